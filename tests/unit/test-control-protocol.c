// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control protocol without a socket: what the parser takes and refuses
 * (its input comes from any local user), request lines round trip, and the
 * reply envelope's JSON, key for key, as basicdmctl(8) documents it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "control-protocol.h"
#include "reply-wire.h"

/* ---- helpers ---- */

static int parse(const char *buf, size_t len, struct control_request *req)
{
	const char *why = "unset";
	int r;

	memset(req, 0xaa, sizeof(*req));
	r = control_request_parse(buf, len, req, &why);
	/* every refusal says why, every success says nothing */
	if (r < 0)
		assert_true(why && *why);
	else
		assert_null(why);
	return r;
}

static int parse_str(const char *s, struct control_request *req)
{
	return parse(s, strlen(s), req);
}

static int parse_error(const char *s)
{
	struct control_request req;

	return parse_str(s, &req);
}

/* ---- the parser: accepted ---- */

static void test_parse_every_command(void **state)
{
	struct control_request req;

	assert_int_equal(parse_str("status\n", &req), 0);
	assert_int_equal(req.command, CONTROL_STATUS);
	assert_string_equal(req.name, "");

	assert_int_equal(parse_str("status data\n", &req), 0);
	assert_int_equal(req.command, CONTROL_STATUS);
	assert_string_equal(req.name, "data");

	assert_int_equal(parse_str("reload\n", &req), 0);
	assert_int_equal(req.command, CONTROL_RELOAD);
	assert_string_equal(req.name, "");

	assert_int_equal(parse_str("activate a.b_c-1\n", &req), 0);
	assert_int_equal(req.command, CONTROL_ACTIVATE);
	assert_string_equal(req.name, "a.b_c-1");

	assert_int_equal(parse_str("deactivate data\n", &req), 0);
	assert_int_equal(req.command, CONTROL_DEACTIVATE);

	assert_int_equal(parse_str("trace data on\n", &req), 0);
	assert_int_equal(req.command, CONTROL_TRACE);
	assert_true(req.on);
	assert_int_equal(parse_str("trace data off\n", &req), 0);
	assert_false(req.on);

	assert_int_equal(parse_str("stats-reset data\n", &req), 0);
	assert_int_equal(req.command, CONTROL_STATS_RESET);
	assert_string_equal(req.name, "data");

	assert_int_equal(parse_str("stats\n", &req), 0);
	assert_int_equal(req.command, CONTROL_STATS);
	assert_string_equal(req.name, "");
	assert_int_equal(parse_str("stats data\n", &req), 0);
	assert_int_equal(req.command, CONTROL_STATS);
	assert_string_equal(req.name, "data");
}

static void test_parse_framing(void **state)
{
	struct control_request req;
	static const char after[] = "status data\nreload\0\xff junk";

	/* no newline: the request ends where the client shut down */
	assert_int_equal(parse_str("status data", &req), 0);
	assert_string_equal(req.name, "data");
	/* blanks around and between words */
	assert_int_equal(parse_str(" \tstatus  \t data \n", &req), 0);
	assert_string_equal(req.name, "data");
	assert_int_equal(parse_str("trace\tdata\ton", &req), 0);
	assert_int_equal(req.command, CONTROL_TRACE);
	assert_string_equal(req.name, "data");
	assert_true(req.on);
	/* one request per connection: what follows the newline is not read */
	assert_int_equal(parse(after, sizeof(after) - 1, &req), 0);
	assert_int_equal(req.command, CONTROL_STATUS);
	assert_string_equal(req.name, "data");
	/* the parser reads only LEN bytes: "status data" cut to "status" */
	assert_int_equal(parse("status data\n", 6, &req), 0);
	assert_string_equal(req.name, "");
}

static void test_parse_longest_name_and_line(void **state)
{
	char line[CONTROL_REQUEST_MAX + 16];
	struct control_request req;

	snprintf(line, sizeof(line), "status %064d\n", 0);
	assert_int_equal(parse_str(line, &req), 0);
	assert_int_equal(strlen(req.name), VOLUME_NAME_MAX);

	/* 4095 bytes and the newline: as long as a request may be */
	memset(line, ' ', CONTROL_REQUEST_MAX - 1);
	memcpy(line, "reload", 6);
	line[CONTROL_REQUEST_MAX - 1] = '\n';
	assert_int_equal(parse(line, CONTROL_REQUEST_MAX, &req), 0);
	assert_int_equal(req.command, CONTROL_RELOAD);
}

/* ---- the parser: refused ---- */

static void test_parse_oversized(void **state)
{
	char *big = malloc(3 * CONTROL_REQUEST_MAX);

	assert_non_null(big);
	memset(big, 'a', 3 * CONTROL_REQUEST_MAX);
	/* a full buffer without a newline */
	assert_int_equal(control_request_parse(big, CONTROL_REQUEST_MAX, &(struct control_request){},
					       &(const char *){ NULL }),
			 -EMSGSIZE);
	/* a newline, but too late */
	big[CONTROL_REQUEST_MAX] = '\n';
	assert_int_equal(control_request_parse(big, 2 * CONTROL_REQUEST_MAX,
					       &(struct control_request){}, &(const char *){ NULL }),
			 -EMSGSIZE);
	/* blanks count too: 4096 bytes before the newline */
	memset(big, ' ', CONTROL_REQUEST_MAX);
	memcpy(big, "status", 6);
	assert_int_equal(parse(big, CONTROL_REQUEST_MAX + 1, &(struct control_request){}),
			 -EMSGSIZE);
	assert_int_equal(control_parse_error(-EMSGSIZE), CONTROL_ERROR_TOO_LARGE);
	free(big);
}

static void test_parse_bad_bytes(void **state)
{
	struct control_request req;
	static const char nul[] = "sta\0tus\n";
	static const char nul_arg[] = "status da\0ta\n";

	assert_int_equal(parse(nul, sizeof(nul) - 1, &req), -EBADMSG);
	assert_int_equal(parse(nul_arg, sizeof(nul_arg) - 1, &req), -EBADMSG);
	assert_int_equal(parse_error("status\r\n"), -EBADMSG);
	assert_int_equal(parse_error("status \x1b[2J\n"), -EBADMSG);
	assert_int_equal(parse_error("status d\xc3\xa4ta\n"), -EBADMSG);
	assert_int_equal(parse_error("status \x7f\n"), -EBADMSG);
	assert_int_equal(control_parse_error(-EBADMSG), CONTROL_ERROR_BAD_REQUEST);
}

static void test_parse_empty(void **state)
{
	struct control_request req;

	assert_int_equal(parse("", 0, &req), -EBADMSG);
	assert_int_equal(parse_error("\n"), -EBADMSG);
	assert_int_equal(parse_error(" \t \n"), -EBADMSG);
}

static void test_parse_unknown_command(void **state)
{
	assert_int_equal(parse_error("stat\n"), -EOPNOTSUPP);
	assert_int_equal(parse_error("STATUS\n"), -EOPNOTSUPP);
	assert_int_equal(parse_error("statusx\n"), -EOPNOTSUPP);
	/* the client's "stats reset NAME" is "stats-reset NAME" on the wire */
	assert_int_equal(parse_error("stats reset data\n"), -EINVAL);
	assert_int_equal(parse_error("check\n"), -EOPNOTSUPP);
	assert_int_equal(control_parse_error(-EOPNOTSUPP), CONTROL_ERROR_UNKNOWN_COMMAND);
}

static void test_parse_wrong_arguments(void **state)
{
	/* missing */
	assert_int_equal(parse_error("activate\n"), -EINVAL);
	assert_int_equal(parse_error("deactivate\n"), -EINVAL);
	assert_int_equal(parse_error("trace data\n"), -EINVAL);
	assert_int_equal(parse_error("trace\n"), -EINVAL);
	assert_int_equal(parse_error("stats-reset\n"), -EINVAL);
	/* extra */
	assert_int_equal(parse_error("reload now\n"), -EINVAL);
	assert_int_equal(parse_error("status a b\n"), -EINVAL);
	assert_int_equal(parse_error("activate a b\n"), -EINVAL);
	assert_int_equal(parse_error("trace data on now\n"), -EINVAL);
	assert_int_equal(parse_error("status a b c d e f g\n"), -EINVAL);
	/* trace takes on or off, nothing else */
	assert_int_equal(parse_error("trace data ON\n"), -EINVAL);
	assert_int_equal(parse_error("trace data 1\n"), -EINVAL);
	assert_int_equal(parse_error("trace data yes\n"), -EINVAL);
	assert_int_equal(control_parse_error(-EINVAL), CONTROL_ERROR_BAD_REQUEST);
}

static void test_parse_bad_names(void **state)
{
	char line[128];

	assert_int_equal(parse_error("status .\n"), -EINVAL);
	assert_int_equal(parse_error("status ..\n"), -EINVAL);
	assert_int_equal(parse_error("status ../etc\n"), -EINVAL);
	assert_int_equal(parse_error("activate a/b\n"), -EINVAL);
	assert_int_equal(parse_error("activate a*\n"), -EINVAL);
	assert_int_equal(parse_error("deactivate $(reboot)\n"), -EINVAL);
	assert_int_equal(parse_error("trace a:b on\n"), -EINVAL);
	snprintf(line, sizeof(line), "status %065d\n", 0);
	assert_int_equal(parse_error(line), -EINVAL);
}

static void test_who_may_change(void **state)
{
	assert_false(control_command_changes_state(CONTROL_STATUS));
	assert_true(control_command_changes_state(CONTROL_RELOAD));
	assert_true(control_command_changes_state(CONTROL_ACTIVATE));
	assert_true(control_command_changes_state(CONTROL_DEACTIVATE));
	assert_true(control_command_changes_state(CONTROL_TRACE));
	assert_true(control_command_changes_state(CONTROL_STATS_RESET));
	assert_true(control_command_changes_state(_CONTROL_COMMAND_MAX));
}

/* What basicdmctl reads the argument counts from: the ones the parser holds to. */
static void test_argument_counts(void **state)
{
	static const char *const args[] = { "data", "on", "x" };

	assert_int_equal(control_command_min_args(CONTROL_STATUS), 0);
	assert_int_equal(control_command_max_args(CONTROL_STATUS), 1);
	assert_int_equal(control_command_min_args(CONTROL_TRACE), 2);
	assert_int_equal(control_command_max_args(CONTROL_TRACE), 2);
	assert_int_equal(control_command_min_args(_CONTROL_COMMAND_MAX), 0);
	assert_int_equal(control_command_max_args(_CONTROL_COMMAND_MAX), 0);

	for (enum control_command c = 0; c < _CONTROL_COMMAND_MAX; c++) {
		unsigned min = control_command_min_args(c), max = control_command_max_args(c);

		assert_true(min <= max);
		assert_true(max < sizeof(args) / sizeof(args[0]));
		for (unsigned n = 0; n <= max + 1; n++) {
			char line[64];
			int len;

			len = snprintf(line, sizeof(line), "%s", control_command_to_string(c));
			for (unsigned i = 0; i < n; i++)
				len += snprintf(line + len, sizeof(line) - len, " %s", args[i]);
			assert_int_equal(parse_error(line), n >= min && n <= max ? 0 : -EINVAL);
		}
	}
}

/* ---- request lines ---- */

static void test_format_round_trip(void **state)
{
	static const struct {
		struct control_request req;
		const char *line;
	} cases[] = {
		{ { CONTROL_STATUS, "", false }, "status\n" },
		{ { CONTROL_STATUS, "data", false }, "status data\n" },
		{ { CONTROL_RELOAD, "", false }, "reload\n" },
		{ { CONTROL_ACTIVATE, "data", false }, "activate data\n" },
		{ { CONTROL_DEACTIVATE, "data", false }, "deactivate data\n" },
		{ { CONTROL_TRACE, "data", true }, "trace data on\n" },
		{ { CONTROL_TRACE, "data", false }, "trace data off\n" },
		{ { CONTROL_STATS_RESET, "data", false }, "stats-reset data\n" },
		{ { CONTROL_STATS, "", false }, "stats\n" },
		{ { CONTROL_STATS, "data", false }, "stats data\n" },
	};
	char line[CONTROL_REQUEST_MAX];
	struct control_request back;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(control_request_format(&cases[i].req, line, sizeof(line)), 0);
		assert_string_equal(line, cases[i].line);
		assert_int_equal(parse_str(line, &back), 0);
		assert_int_equal(back.command, cases[i].req.command);
		assert_string_equal(back.name, cases[i].req.name);
		assert_int_equal(back.on, cases[i].req.on);
	}
}

static void test_format_refuses(void **state)
{
	char line[CONTROL_REQUEST_MAX];

	assert_int_equal(control_request_format(&(struct control_request){ CONTROL_ACTIVATE, "", false },
						line, sizeof(line)),
			 -EINVAL);
	assert_int_equal(control_request_format(&(struct control_request){ CONTROL_RELOAD, "x", false },
						line, sizeof(line)),
			 -EINVAL);
	assert_int_equal(control_request_format(&(struct control_request){ CONTROL_STATUS, "..", false },
						line, sizeof(line)),
			 -EINVAL);
	assert_int_equal(control_request_format(&(struct control_request){ _CONTROL_COMMAND_MAX, "", false },
						line, sizeof(line)),
			 -EINVAL);
	assert_int_equal(control_request_format(&(struct control_request){ CONTROL_STATUS, "data", false },
						line, 8),
			 -ENOBUFS);
}

/* ---- replies ---- */

static void test_reply_ok_and_errors(void **state)
{
	enum control_error e;

	assert_wire(control_reply_new(), "{\"ok\":true}\n");
	assert_wire(control_reply_new_error(CONTROL_ERROR_NO_SUCH_VOLUME, "no volume named %s", "x"),
		    "{\"ok\":false,\"error\":\"no-such-volume\",\"message\":\"no volume named x\"}\n");
	assert_wire(control_reply_new_error(CONTROL_ERROR_PERMISSION_DENIED, "root only"),
		    "{\"ok\":false,\"error\":\"permission-denied\",\"message\":\"root only\"}\n");
	/* a newline in a message cannot split the reply */
	assert_wire(control_reply_new_error(CONTROL_ERROR_FAILED, "a\nb \"q\" /p"),
		    "{\"ok\":false,\"error\":\"failed\",\"message\":\"a\\nb \\\"q\\\" /p\"}\n");

	/* every code has a name, and the name leads back to it */
	for (int i = 0; i < _CONTROL_ERROR_MAX; i++) {
		assert_int_equal(control_error_from_string(control_error_to_string(i), &e), 0);
		assert_int_equal(e, i);
	}
	assert_string_equal(control_error_to_string(CONTROL_ERROR_BAD_REQUEST), "bad-request");
	assert_string_equal(control_error_to_string(CONTROL_ERROR_TOO_LARGE), "too-large");
	assert_string_equal(control_error_to_string(CONTROL_ERROR_UNKNOWN_COMMAND), "unknown-command");
	assert_string_equal(control_error_to_string(CONTROL_ERROR_BUSY), "busy");
	assert_string_equal(control_error_to_string(CONTROL_ERROR_TIMEOUT), "timeout");
	assert_int_equal(control_error_from_string("no-such-thing", &e), -EINVAL);
}

/*
 * Whatever bytes a string holds (a path, a udev property, a match value),
 * the reply is valid UTF-8 with no control character: IN as a value and
 * as a key on the wire, where the value reads OUT.
 */
#define FFFD "\xef\xbf\xbd"

static void assert_string_wire(const char *in, const char *out)
{
	struct json_object *o = control_reply_new();
	char *expected, *text;

	assert_int_equal(json_add_string(o, "s", in), 0);
	assert_int_equal(json_add_string(o, in, "k"), 0);
	assert_true(asprintf(&expected, "{\"ok\":true,\"s\":\"%s\",\"%s\":\"k\"}\n", out, out) > 0);
	text = wire(o);
	assert_string_equal(text, expected);
	free(text);
	free(expected);
}

/* Read back by json-c: the string as it was (LEN bytes). */
static void assert_reads_back(const char *in, size_t len)
{
	struct json_object *o = control_reply_new(), *back;
	char *text;

	assert_int_equal(json_add(o, "s", json_object_new_string_len(in, (int)len)), 0);
	text = wire(o);
	back = json_tokener_parse(text);
	assert_non_null(back);
	assert_int_equal(json_object_get_string_len(json_member(back, "s")), len);
	assert_memory_equal(json_member_string(back, "s"), in, len);
	json_object_put(back);
	free(text);
}

static void test_reply_utf8(void **state)
{
	static const char controls[] = "del\x7f c1\xc2\x80\xc2\x85\xc2\x9f nl\n nul\0 tab\t";

	/* valid UTF-8 as it is, up to U+10FFFF; U+00A0 is no control */
	assert_string_wire("\xc3\xa9 \xc2\xa0 \xe2\x82\xac \xef\xbf\xbd \xf0\x9f\x92\xbe \xf4\x8f\xbf\xbf",
			   "\xc3\xa9 \xc2\xa0 \xe2\x82\xac \xef\xbf\xbd \xf0\x9f\x92\xbe \xf4\x8f\xbf\xbf");
	/* DEL and the C1 controls escaped here, the C0 ones by json-c */
	assert_string_wire("del\x7f c1\xc2\x85 nl\n", "del\\u007f c1\\u0085 nl\\n");
	assert_reads_back(controls, sizeof(controls) - 1);
	/* a stray byte, a byte that never starts one, a sequence cut short: one U+FFFD each */
	assert_string_wire("a\xff" "b\x80" "c\xc3(", "a" FFFD "b" FFFD "c" FFFD "(");
	assert_string_wire("\xf0\x9f\x92" "x\xe2\x82", FFFD "x" FFFD);
	/* overlong forms, surrogates, past U+10FFFF: ill-formed from their second byte */
	assert_string_wire("\xc0\xaf", FFFD FFFD);
	assert_string_wire("\xe0\x80\xaf", FFFD FFFD FFFD);
	assert_string_wire("\xed\xa0\x80", FFFD FFFD FFFD);
	assert_string_wire("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	assert_string_wire("\xf5\x80", FFFD FFFD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_every_command),
		cmocka_unit_test(test_parse_framing),
		cmocka_unit_test(test_parse_longest_name_and_line),
		cmocka_unit_test(test_parse_oversized),
		cmocka_unit_test(test_parse_bad_bytes),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_unknown_command),
		cmocka_unit_test(test_parse_wrong_arguments),
		cmocka_unit_test(test_parse_bad_names),
		cmocka_unit_test(test_who_may_change),
		cmocka_unit_test(test_argument_counts),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_format_refuses),
		cmocka_unit_test(test_reply_ok_and_errors),
		cmocka_unit_test(test_reply_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
