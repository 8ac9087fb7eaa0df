/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * For the unit tests of replies (after cmocka.h): a JSON object as the
 * control socket sends it, and the checks that it is one line.
 */
#pragma once

#include <stdlib.h>
#include <string.h>

#include "control-protocol.h"

/* The reply as it goes on the wire; frees REPLY. */
static inline char *wire(struct json_object *reply)
{
	char *text;
	size_t len;

	assert_non_null(reply);
	text = control_reply_to_string(reply, &len);
	json_object_put(reply);
	assert_non_null(text);
	assert_int_equal(len, strlen(text));
	/* one line: exactly one newline, at the end */
	assert_true(len > 0 && text[len - 1] == '\n');
	assert_null(memchr(text, '\n', len - 1));
	return text;
}

static inline void assert_wire(struct json_object *reply, const char *expected)
{
	char *text = wire(reply);

	assert_string_equal(text, expected);
	free(text);
}
