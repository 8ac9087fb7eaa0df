// SPDX-License-Identifier: GPL-2.0-only
/* JSON helpers over json-c: adding members to replies, reading them back. */
#include "json-util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <sys/sysmacros.h>

/* ---- building ---------------------------------------------------------- */

int json_add(struct json_object *o, const char *key, struct json_object *value)
{
	if (!o || !value || json_object_object_add(o, key, value) < 0) {
		json_object_put(value);
		return -ENOMEM;
	}
	return 0;
}

/* JSON null: a key whose value is NULL. */
int json_add_null(struct json_object *o, const char *key)
{
	return !o || json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
}

int json_add_string(struct json_object *o, const char *key, const char *s)
{
	return s ? json_add(o, key, json_object_new_string(s)) : json_add_null(o, key);
}

int json_add_u64(struct json_object *o, const char *key, uint64_t v)
{
	return json_add(o, key, json_object_new_uint64(v));
}

int json_add_bool(struct json_object *o, const char *key, bool b)
{
	return json_add(o, key, json_object_new_boolean(b));
}

int json_add_double(struct json_object *o, const char *key, double v)
{
	char text[64];

	if (!isfinite(v))
		return json_add_null(o, key);
	/* json-c would print all 17 digits: 20.412000000000001 */
	snprintf(text, sizeof(text), "%.3f", v);
	return json_add(o, key, json_object_new_double_s(v, text));
}

/* "maj:min" as /proc, dmsetup and lsblk print it; null for no device. */
int json_add_devnum(struct json_object *o, const char *key, dev_t d)
{
	char buf[32];

	if (!d)
		return json_add_null(o, key);
	snprintf(buf, sizeof(buf), "%u:%u", major(d), minor(d));
	return json_add_string(o, key, buf);
}

/* ---- reading ----------------------------------------------------------- */

struct json_object *json_member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *json_member_string(struct json_object *o, const char *key)
{
	struct json_object *v = json_member(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

uint64_t json_member_u64(struct json_object *o, const char *key)
{
	struct json_object *v = json_member(o, key);

	return v ? json_object_get_uint64(v) : 0;
}

bool json_member_bool(struct json_object *o, const char *key)
{
	struct json_object *v = json_member(o, key);

	return v && json_object_get_boolean(v);
}

double json_member_double(struct json_object *o, const char *key)
{
	struct json_object *v = json_member(o, key);

	if (!v || !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return NAN;
	return json_object_get_double(v);
}
