// SPDX-License-Identifier: GPL-2.0-only
/*
 * A volume as the "status" reply shows it: what the daemon knows of it and
 * what the kernel says of its map.  The keys are documented in
 * basicdmctl(8) and never change meaning.
 */
#include "volume-json.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "json-util.h"
#include "util.h"

int format_timestamp_utc(uint64_t usec, char *buf, size_t size)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;

	if (usec / 1000000 > (uint64_t)INT64_MAX || !gmtime_r(&t, &tm))
		return -EOVERFLOW;
	if (strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -ENOBUFS;
	return 0;
}

static struct json_object *match_to_json(const struct volume_config *c)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	for (size_t i = 0; i < c->n_match; i++)
		if (json_add_string(o, c->match[i].key, c->match[i].value) < 0)
			return NULL;
	return TAKE_PTR(o);
}

static struct json_object *backing_to_json(const struct volume_status *s)
{
	static const char *const kinds[] = {
		[BACKING_FILE] = "file",
		[BACKING_DEVICE] = "device",
		[BACKING_MATCH] = "match",
	};
	const struct volume_config *c = s->cfg;
	const char *node = s->backing ? s->backing_node : NULL;
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	int r;

	if (!o)
		return NULL;
	r = json_add_string(o, "kind", kinds[c->kind]);
	if (r >= 0)
		r = json_add_string(o, "file", c->kind == BACKING_FILE ? c->file : NULL);
	if (r >= 0)
		r = json_add_string(o, "path", c->kind == BACKING_DEVICE ? c->device : NULL);
	if (r >= 0)
		r = c->kind == BACKING_MATCH ? json_add(o, "match", match_to_json(c))
					     : json_add_null(o, "match");
	if (r >= 0)
		r = json_add_string(o, "device", node);
	if (r >= 0)
		r = json_add_string(o, "loop_device", c->kind == BACKING_FILE ? node : NULL);
	if (r >= 0)
		r = json_add_devnum(o, "devnum", s->backing);
	if (r < 0)
		return NULL;
	return TAKE_PTR(o);
}

static struct json_object *map_to_json(const struct map_info *m)
{
	char device[sizeof("/dev/mapper/") + VOLUME_NAME_MAX];
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	int r;

	if (!o)
		return NULL;
	snprintf(device, sizeof(device), "/dev/mapper/%s", m->name);
	r = json_add_string(o, "name", m->name);
	if (r >= 0)
		r = json_add_string(o, "uuid", m->uuid);
	if (r >= 0)
		r = json_add_devnum(o, "devnum", m->devnum);
	if (r >= 0)
		r = json_add_string(o, "device", device);
	if (r >= 0)
		r = json_add(o, "open_count", json_object_new_int(m->open_count));
	if (r >= 0)
		r = json_add_bool(o, "read_only", m->read_only);
	if (r >= 0)
		r = json_add_bool(o, "suspended", m->suspended);
	if (r >= 0)
		r = json_add_bool(o, "deferred_remove", m->deferred_remove);
	if (r < 0)
		return NULL;
	return TAKE_PTR(o);
}

static struct json_object *counters_to_json(const struct basic_target_counters *c)
{
	const struct {
		const char *key;
		uint64_t value;
	} fields[] = {
		{ "reads", c->reads },
		{ "read_sectors", c->read_sectors },
		{ "writes", c->writes },
		{ "write_sectors", c->write_sectors },
		{ "flushes", c->flushes },
		{ "discards", c->discards },
		{ "discard_sectors", c->discard_sectors },
		{ "write_zeroes", c->write_zeroes },
		{ "write_zeroes_sectors", c->write_zeroes_sectors },
		{ "secure_erases", c->secure_erases },
	};
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(fields); i++)
		if (json_add_u64(o, fields[i].key, fields[i].value) < 0)
			return NULL;
	return TAKE_PTR(o);
}

struct json_object *volume_status_to_json(const struct volume_status *s)
{
	const struct volume_config *c = s->cfg;
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	char since[64];
	int r;

	if (!o)
		return NULL;
	r = json_add_string(o, "name", c->name);
	if (r >= 0)
		r = json_add_string(o, "state", s->state);
	if (r >= 0)
		r = format_timestamp_utc(s->since_usec, since, sizeof(since)) < 0
			    ? json_add_null(o, "since")
			    : json_add_string(o, "since", since);
	if (r >= 0)
		r = json_add_u64(o, "since_usec", s->since_usec);
	if (r >= 0)
		r = json_add_string(o, "reason", s->reason);
	if (r >= 0)
		r = json_add(o, "backing", backing_to_json(s));
	if (r >= 0)
		r = json_add_u64(o, "offset_sectors", c->offset);
	if (r >= 0)
		r = s->map && s->map->table_is_ours
			    ? json_add_u64(o, "size_sectors", s->map->table.sectors)
			    : json_add_null(o, "size_sectors");
	if (r >= 0)
		r = json_add_bool(o, "read_only", c->read_only);
	/* the kernel's word once there is a map: a message may have changed it */
	if (r >= 0)
		r = json_add_bool(o, "trace", s->counters ? s->counters->trace : c->trace);
	if (r >= 0)
		r = s->map ? json_add(o, "dm", map_to_json(s->map)) : json_add_null(o, "dm");
	if (r >= 0)
		r = s->counters ? json_add(o, "counters", counters_to_json(s->counters))
				: json_add_null(o, "counters");
	if (r < 0)
		return NULL;
	return TAKE_PTR(o);
}

