/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the harnesses that build replies: what the control socket
 * sends is one line of valid UTF-8 with no control character but its
 * final newline, which json-c reads back.  UTF-8 is read here code point
 * by code point, apart from json_text_clean()'s table.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control-protocol.h"
#include "fuzz-common.h"

/*
 * Whether S (N bytes) is UTF-8: each code point decoded, then checked for
 * an overlong form, a surrogate or a value past U+10FFFF; with CONTROLS
 * false, no C0 control, DEL or C1 control either.
 */
static inline bool fuzz_utf8_valid(const uint8_t *s, size_t n, bool controls)
{
	static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000 };

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len;

		if (s[i] < 0x80) {
			cp = s[i], len = 1;
		} else if ((s[i] & 0xe0) == 0xc0) {
			cp = s[i] & 0x1f, len = 2;
		} else if ((s[i] & 0xf0) == 0xe0) {
			cp = s[i] & 0x0f, len = 3;
		} else if ((s[i] & 0xf8) == 0xf0) {
			cp = s[i] & 0x07, len = 4;
		} else {
			return false;
		}
		if (len > n - i)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		if (!controls && (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)))
			return false;
		i += len;
	}
	return true;
}

/* REPLY (taken) as sent, checked; what json-c reads back from it, for the caller to put. */
static inline struct json_object *fuzz_check_reply(struct json_object *reply)
{
	struct json_object *back;
	size_t len;
	char *text;

	FUZZ_ASSERT(reply);
	text = control_reply_to_string(reply, &len);
	json_object_put(reply);
	FUZZ_ASSERT(text && len == strlen(text) && len > 0 && text[len - 1] == '\n');
	FUZZ_ASSERT(fuzz_utf8_valid((const uint8_t *)text, len - 1, false));
	back = json_tokener_parse(text);
	FUZZ_ASSERT(back && json_object_is_type(back, json_type_object));
	free(text);
	return back;
}
