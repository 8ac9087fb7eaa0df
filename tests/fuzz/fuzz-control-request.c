// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: control_request_parse(), what the daemon runs on the bytes
 * any local user sends to its socket.  A request it accepts must format
 * back to a line that parses to the same request; the reply to one it
 * refuses, as control-server.c sends it, is clean UTF-8 (fuzz-reply.h).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "control-protocol.h"
#include "fuzz-common.h"
#include "fuzz-reply.h"
#include "util.h"

/*
 * The reply to a refused request depends on the error and the reason
 * only: each is checked the first time it comes, so that building and
 * reading JSON does not slow the parser's fuzzing down tenfold.
 */
static void check_refusal_reply(int r, const char *why)
{
	static struct {
		int r;
		const char *why;
	} seen[32];
	static size_t n_seen;

	for (size_t i = 0; i < n_seen; i++)
		if (seen[i].r == r && streq(seen[i].why, why))
			return;
	json_object_put(fuzz_check_reply(control_reply_new_error(control_parse_error(r), "%s", why)));
	FUZZ_ASSERT(n_seen < ELEMENTSOF(seen));
	seen[n_seen].r = r;
	seen[n_seen].why = why;
	n_seen++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_request req, again;
	char line[CONTROL_REQUEST_MAX];
	const char *why = "unset";
	int r;

	memset(&req, 0xa5, sizeof(req));
	r = control_request_parse((const char *)data, size, &req, &why);
	if (r < 0) {
		FUZZ_ASSERT(r == -EMSGSIZE || r == -EBADMSG || r == -EOPNOTSUPP || r == -EINVAL);
		FUZZ_ASSERT(why && *why && strcmp(why, "unset") != 0);
		FUZZ_ASSERT(control_error_to_string(control_parse_error(r)));
		check_refusal_reply(r, why);
		return 0;
	}

	FUZZ_ASSERT(r == 0 && !why);
	FUZZ_ASSERT(req.command < _CONTROL_COMMAND_MAX);
	FUZZ_ASSERT(memchr(req.name, '\0', sizeof(req.name)));
	FUZZ_ASSERT(req.name[0] == '\0' || volume_name_valid(req.name));
	FUZZ_ASSERT(req.command == CONTROL_TRACE || !req.on);
	FUZZ_ASSERT(control_command_to_string(req.command));

	FUZZ_ASSERT(control_request_format(&req, line, sizeof(line)) == 0);
	memset(&again, 0x5a, sizeof(again));
	FUZZ_ASSERT(control_request_parse(line, strlen(line), &again, &why) == 0);
	FUZZ_ASSERT(again.command == req.command && again.on == req.on);
	FUZZ_ASSERT(strcmp(again.name, req.name) == 0);
	return 0;
}
