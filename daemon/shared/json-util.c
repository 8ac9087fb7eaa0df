// SPDX-License-Identifier: GPL-2.0-only
/* JSON helpers over json-c: adding members to replies, reading them back. */
#include "json-util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* ---- writing ----------------------------------------------------------- */

/*
 * The length of the well-formed UTF-8 sequence at S (N bytes left), or 0
 * with the length of its maximal subpart, which one U+FFFD replaces, in
 * *BAD (Unicode's table 3-7: no overlong form, no surrogate, nothing past
 * U+10FFFF).
 */
static size_t utf8_sequence(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
	} else {
		*bad = 1;
		return 0;
	}
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	for (size_t i = 1; i < len; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return len;
}

/* S cleaned into OUT (NULL: only counted); the bytes that takes. */
static size_t clean_into(const unsigned char *s, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		size_t bad = 0, len = utf8_sequence(s + i, n - i, &bad);
		char buf[6];
		const char *put = (const char *)s + i;
		size_t put_len = len;
		unsigned cp;

		if (len == 0) {
			put = "\xef\xbf\xbd";	/* U+FFFD */
			put_len = 3;
			len = bad;
		} else if (s[i] == 0x7f || (s[i] == 0xc2 && s[i + 1] <= 0x9f)) {
			/* DEL, or U+0080 to U+009F: C2 80 .. C2 9F */
			cp = s[i] == 0x7f ? 0x7f : s[i + 1];
			memcpy(buf, "\\u00", 4);
			buf[4] = hex[cp >> 4];
			buf[5] = hex[cp & 0xf];
			put = buf;
			put_len = sizeof(buf);
		}
		if (out)
			memcpy(out + o, put, put_len);
		o += put_len;
		i += len;
	}
	return o;
}

char *json_text_clean(const char *text, size_t len, size_t *ret_len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = clean_into(s, len, NULL);
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	clean_into(s, len, out);
	out[n] = '\0';
	*ret_len = n;
	return out;
}

char *json_to_text(struct json_object *o, int flags, size_t *len)
{
	const char *text;
	size_t n;

	text = json_object_to_json_string_length(o, flags, &n);
	return text ? json_text_clean(text, n, len) : NULL;
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
