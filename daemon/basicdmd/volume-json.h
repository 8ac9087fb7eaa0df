/* SPDX-License-Identifier: GPL-2.0-only */
/* The daemon's side of "status": one volume as a JSON object. */
#pragma once

#include <json-c/json.h>
#include <stdint.h>
#include <sys/types.h>

#include "basicdm-config.h"
#include "map.h"

/* What the daemon knows of one volume when it answers "status". */
struct volume_status {
	const struct volume_config *cfg;
	const char *state;
	uint64_t since_usec;		/* CLOCK_REALTIME */
	const char *reason;		/* NULL unless failed */
	dev_t backing;			/* 0 while there is none */
	const char *backing_node;	/* "/dev/loop0", "/dev/vdb"; NULL if unknown */
	const struct map_info *map;	/* NULL when no map of ours exists */
	const struct basic_target_counters *counters; /* NULL when they cannot be read */
};

/*
 * The volume's object in a status reply ("volumes": [...]), keys as
 * basicdmctl(8) documents them; NULL when out of memory.
 */
struct json_object *volume_status_to_json(const struct volume_status *s);
/* "2024-05-01T12:00:01Z": USEC of CLOCK_REALTIME in UTC; -ENOBUFS, -EOVERFLOW. */
int format_timestamp_utc(uint64_t usec, char *buf, size_t size);

