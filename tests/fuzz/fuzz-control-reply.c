// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: a reply that carries bytes from outside, as a path, a udev
 * property or a match value comes into one: the input as a message (up
 * to a NUL, as control_reply_new_error() formats it), as a string value
 * and as a key.  The reply as sent is clean UTF-8 that json-c reads back
 * (fuzz-reply.h); the value and the key read back byte for byte when they
 * were UTF-8, else as UTF-8, the value at most one U+FFFD a byte
 * (json_text_clean()).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control-protocol.h"
#include "fuzz-common.h"
#include "fuzz-reply.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *reply, *keys = json_object_new_object(), *back;
	const char *s;
	char *key;
	int len;

	if (size > 65536)
		return 0;
	reply = control_reply_new_error(CONTROL_ERROR_FAILED, "%.*s", (int)size, (const char *)data);
	key = strndup((const char *)data, size);
	FUZZ_ASSERT(reply && keys && key);
	FUZZ_ASSERT(json_add(reply, "value",
			     json_object_new_string_len((const char *)data, (int)size)) == 0);
	/* in an object of its own: an input "value" must not replace the value */
	FUZZ_ASSERT(json_add_string(keys, key, "key") == 0);
	FUZZ_ASSERT(json_add(reply, "keys", keys) == 0);

	back = fuzz_check_reply(reply);
	s = json_member_string(back, "value");
	len = json_object_get_string_len(json_member(back, "value"));
	FUZZ_ASSERT(s && len >= 0 && (size_t)len <= 3 * size);
	FUZZ_ASSERT(fuzz_utf8_valid((const uint8_t *)s, (size_t)len, true));
	if (fuzz_utf8_valid(data, size, true))
		FUZZ_ASSERT((size_t)len == size && memcmp(s, data, size) == 0);
	FUZZ_ASSERT(json_object_object_length(json_member(back, "keys")) == 1);
	json_object_object_foreach(json_member(back, "keys"), k, v) {
		FUZZ_ASSERT(fuzz_utf8_valid((const uint8_t *)k, strlen(k), true));
		if (fuzz_utf8_valid((const uint8_t *)key, strlen(key), true))
			FUZZ_ASSERT(streq(k, key));
		FUZZ_ASSERT(streq(json_object_get_string(v), "key"));
	}
	FUZZ_ASSERT(json_member_string(back, "message"));

	json_object_put(back);
	free(key);
	return 0;
}
