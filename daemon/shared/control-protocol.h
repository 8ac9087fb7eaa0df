/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control protocol between basicdmctl and basicdmd, without any I/O:
 * requests parsed from and formatted to their line, replies built as JSON.
 *
 * One request per connection: a line of printable ASCII words, at most
 * CONTROL_REQUEST_MAX bytes with its newline ("trace data on\n"); without
 * a newline the request ends where the client shuts down its side.  The
 * reply is one JSON object and a newline, then the daemon closes:
 *   {"ok":true, ...command's members...}
 *   {"ok":false,"error":"<code>","message":"<text>"[,"details":[...]]}
 * Keys and codes are documented in basicdmctl(8) and never change meaning.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "basicdm-config.h"
#include "json-util.h"

#define CONTROL_REQUEST_MAX 4096	/* bytes, the newline included */
#define CONTROL_SOCKET_NAME "control"	/* in the daemon's runtime directory */

enum control_command {
	CONTROL_STATUS,		/* status [NAME] */
	CONTROL_RELOAD,		/* reload */
	CONTROL_ACTIVATE,	/* activate NAME */
	CONTROL_DEACTIVATE,	/* deactivate NAME */
	CONTROL_TRACE,		/* trace NAME on|off */
	CONTROL_STATS_RESET,	/* stats-reset NAME */
	CONTROL_STATS,		/* stats [NAME]: dm-stats latency and throughput */
	_CONTROL_COMMAND_MAX,
};

struct control_request {
	enum control_command command;
	char name[VOLUME_NAME_MAX + 1];	/* "" when not given */
	bool on;			/* CONTROL_TRACE */
};

enum control_error {
	CONTROL_ERROR_BAD_REQUEST,	/* malformed line, wrong arguments */
	CONTROL_ERROR_TOO_LARGE,	/* no newline within CONTROL_REQUEST_MAX bytes */
	CONTROL_ERROR_UNKNOWN_COMMAND,
	CONTROL_ERROR_PERMISSION_DENIED, /* a change asked by another user than root */
	CONTROL_ERROR_NO_SUCH_VOLUME,
	CONTROL_ERROR_FAILED,		/* the command was tried and did not succeed */
	CONTROL_ERROR_BUSY,		/* too many clients at once: try again */
	CONTROL_ERROR_TIMEOUT,		/* the request did not arrive in time */
	_CONTROL_ERROR_MAX,
};

/* The command's first word on the wire ("stats-reset"); NULL past the list. */
const char *control_command_to_string(enum control_command c);
/* The reply's "error" code ("no-such-volume"); "failed" past the list. */
const char *control_error_to_string(enum control_error e);
/* -EINVAL for a code this version does not know. */
int control_error_from_string(const char *s, enum control_error *ret);

/* Commands that change something, and any command past the list: only root may send them. */
bool control_command_changes_state(enum control_command c);
/*
 * How many arguments the command takes after its name, at least and at
 * most; the first is a volume name, trace's second "on" or "off".  0 past
 * the list.
 */
unsigned control_command_min_args(enum control_command c);
unsigned control_command_max_args(enum control_command c);

/*
 * Parses the LEN bytes a client sent: the request is the first line, or
 * all of them when there is no newline; what follows the newline is not
 * looked at.  Words are separated by spaces and tabs.  Returns 0 with *why
 * NULL, or -EMSGSIZE (too long), -EBADMSG (empty, a NUL or a byte that is
 * not printable ASCII), -EOPNOTSUPP (unknown command) or -EINVAL (wrong
 * arguments) with *why saying what is wrong; *ret is set only on success.
 */
int control_request_parse(const char *buf, size_t len, struct control_request *ret,
			  const char **why);
/* The reply's error code for a failure of control_request_parse(). */
enum control_error control_parse_error(int r);

/*
 * The request's line, newline included, into BUF: what control_request_parse()
 * reads back as REQ.  -EINVAL for a request it would refuse, -ENOBUFS.
 */
int control_request_format(const struct control_request *req, char *buf, size_t size);

/*
 * {"ok":true}, for the command to add its members to (json-util.h); NULL
 * when out of memory, as for every builder here.
 */
struct json_object *control_reply_new(void);
/* {"ok":false,"error":<E's code>,"message":<FMT...>}; "details" is the caller's to add. */
struct json_object *control_reply_new_error(enum control_error e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * The reply as sent: compact JSON and a newline, malloc'ed; NULL on ENOMEM.
 * Valid UTF-8 without a control character but the final newline, whatever
 * bytes its strings hold (json_to_text()).
 */
char *control_reply_to_string(struct json_object *reply, size_t *len);
