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

/*
 * The text of O as json-c writes it with FLAGS (JSON_C_TO_STRING_*),
 * through json_text_clean(): malloc'ed, NUL-terminated, its length in
 * *LEN; NULL when out of memory.  Every reply and every JSON basicdmctl
 * prints is written by this.
 */
char *json_to_text(struct json_object *o, int flags, size_t *len);

/*
 * TEXT, LEN bytes of JSON as json-c writes it, made valid UTF-8 with no
 * control character in its strings.  json-c escapes '"', '\' and the C0
 * controls but copies every other byte of a string as it is, so a path,
 * a udev property or a match value would carry DEL, a C1 control (U+0080
 * to U+009F) or bytes that are not UTF-8 into a reply.  Here DEL and the
 * C1 controls become "\u007f" .. "\u009f", which read back as the same
 * characters, and each ill-formed sequence (each maximal subpart, as
 * Unicode counts them: a stray byte, a truncated sequence, an overlong
 * form, a surrogate, past U+10FFFF) becomes U+FFFD.  What json-c writes
 * outside strings is ASCII: only strings, values and keys, change.
 * Malloc'ed, NUL-terminated, its length in *RET_LEN; NULL when out of memory.
 */
char *json_text_clean(const char *text, size_t len, size_t *ret_len);

/* Getters: a missing member, or one of another type, reads as NULL, 0, false. */
struct json_object *json_member(struct json_object *o, const char *key);
const char *json_member_string(struct json_object *o, const char *key);
uint64_t json_member_u64(struct json_object *o, const char *key);
bool json_member_bool(struct json_object *o, const char *key);
/* A number member as a double; NAN when missing or null. */
double json_member_double(struct json_object *o, const char *key);
