/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * JSON helpers over json-c, for the control protocol's replies: the
 * daemon builds them, basicdmctl reads them.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

static inline void json_object_putp(struct json_object **o)
{
	json_object_put(*o);
}

/*
 * Adders: KEY into object O.  json_add() takes VALUE; NULL (out of
 * memory) or a failed add is -ENOMEM, and VALUE is freed.
 */
int json_add(struct json_object *o, const char *key, struct json_object *value);
int json_add_null(struct json_object *o, const char *key);
/* S NULL: JSON null. */
int json_add_string(struct json_object *o, const char *key, const char *s);
int json_add_u64(struct json_object *o, const char *key, uint64_t v);
int json_add_bool(struct json_object *o, const char *key, bool b);
/* V with three decimals ("20.412"); NaN or infinity: JSON null (not known). */
int json_add_double(struct json_object *o, const char *key, double v);
/* "maj:min" as /proc, dmsetup and lsblk print it; null for no device. */
int json_add_devnum(struct json_object *o, const char *key, dev_t d);

/* Getters: a missing member, or one of another type, reads as NULL, 0, false. */
struct json_object *json_member(struct json_object *o, const char *key);
const char *json_member_string(struct json_object *o, const char *key);
uint64_t json_member_u64(struct json_object *o, const char *key);
bool json_member_bool(struct json_object *o, const char *key);
/* A number member as a double; NAN when missing or null. */
double json_member_double(struct json_object *o, const char *key);
