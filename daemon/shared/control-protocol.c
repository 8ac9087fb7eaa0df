// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control protocol's grammar and replies.  The parser sees bytes from
 * any local user: it reads nothing past the buffer, copies nothing
 * unbounded, and names what it refuses so the reply can say it.
 */
#include "control-protocol.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parse-util.h"
#include "util.h"

/* A command and at most two arguments: "trace NAME on". */
#define WORDS_MAX 3

static const struct {
	const char *name;
	unsigned min_args, max_args;	/* the first argument is a volume name */
	bool changes_state;
} commands[_CONTROL_COMMAND_MAX] = {
	[CONTROL_STATUS] = { "status", 0, 1, false },
	[CONTROL_RELOAD] = { "reload", 0, 0, true },
	[CONTROL_ACTIVATE] = { "activate", 1, 1, true },
	[CONTROL_DEACTIVATE] = { "deactivate", 1, 1, true },
	[CONTROL_TRACE] = { "trace", 2, 2, true },
	[CONTROL_STATS_RESET] = { "stats-reset", 1, 1, true },
	[CONTROL_STATS] = { "stats", 0, 1, false },
};

static const char *const error_names[_CONTROL_ERROR_MAX] = {
	[CONTROL_ERROR_BAD_REQUEST] = "bad-request",
	[CONTROL_ERROR_TOO_LARGE] = "too-large",
	[CONTROL_ERROR_UNKNOWN_COMMAND] = "unknown-command",
	[CONTROL_ERROR_PERMISSION_DENIED] = "permission-denied",
	[CONTROL_ERROR_NO_SUCH_VOLUME] = "no-such-volume",
	[CONTROL_ERROR_FAILED] = "failed",
	[CONTROL_ERROR_BUSY] = "busy",
	[CONTROL_ERROR_TIMEOUT] = "timeout",
};

const char *control_command_to_string(enum control_command c)
{
	return c < _CONTROL_COMMAND_MAX ? commands[c].name : NULL;
}

bool control_command_changes_state(enum control_command c)
{
	/* an unknown command is treated as the more dangerous kind */
	return c >= _CONTROL_COMMAND_MAX || commands[c].changes_state;
}

unsigned control_command_min_args(enum control_command c)
{
	return c < _CONTROL_COMMAND_MAX ? commands[c].min_args : 0;
}

unsigned control_command_max_args(enum control_command c)
{
	return c < _CONTROL_COMMAND_MAX ? commands[c].max_args : 0;
}

const char *control_error_to_string(enum control_error e)
{
	return e < _CONTROL_ERROR_MAX ? error_names[e] : "failed";
}

int control_error_from_string(const char *s, enum control_error *ret)
{
	for (size_t i = 0; i < _CONTROL_ERROR_MAX; i++)
		if (streq(s, error_names[i])) {
			*ret = (enum control_error)i;
			return 0;
		}
	return -EINVAL;
}

enum control_error control_parse_error(int r)
{
	switch (r) {
	case -EMSGSIZE:
		return CONTROL_ERROR_TOO_LARGE;
	case -EOPNOTSUPP:
		return CONTROL_ERROR_UNKNOWN_COMMAND;
	default:
		return CONTROL_ERROR_BAD_REQUEST;
	}
}

/* ---- requests ---------------------------------------------------------- */

int control_request_parse(const char *buf, size_t len, struct control_request *ret,
			  const char **why)
{
	char line[CONTROL_REQUEST_MAX], *words[WORDS_MAX];
	struct control_request req = {};
	const char *newline;
	size_t line_len, n, c;

	newline = memchr(buf, '\n', len);
	line_len = newline ? (size_t)(newline - buf) : len;
	if (line_len >= CONTROL_REQUEST_MAX) {
		*why = "request longer than 4096 bytes";
		return -EMSGSIZE;
	}
	for (size_t i = 0; i < line_len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == '\0') {
			*why = "NUL byte in the request";
			return -EBADMSG;
		}
		if ((ch < 0x20 && ch != '\t') || ch > 0x7e) {
			*why = "request is not printable ASCII";
			return -EBADMSG;
		}
	}
	memcpy(line, buf, line_len);
	line[line_len] = '\0';

	if (split_words(line, words, ELEMENTSOF(words), &n) < 0) {
		*why = "too many arguments";
		return -EINVAL;
	}
	if (n == 0) {
		*why = "empty request";
		return -EBADMSG;
	}
	for (c = 0; c < _CONTROL_COMMAND_MAX; c++)
		if (streq(words[0], commands[c].name))
			break;
	if (c == _CONTROL_COMMAND_MAX) {
		*why = "unknown command";
		return -EOPNOTSUPP;
	}
	req.command = (enum control_command)c;
	if (n - 1 < commands[c].min_args) {
		*why = "missing argument";
		return -EINVAL;
	}
	if (n - 1 > commands[c].max_args) {
		*why = "too many arguments";
		return -EINVAL;
	}
	if (n > 1) {
		if (!volume_name_valid(words[1])) {
			*why = "invalid volume name";
			return -EINVAL;
		}
		strcpy(req.name, words[1]);
	}
	if (req.command == CONTROL_TRACE) {
		if (streq(words[2], "on"))
			req.on = true;
		else if (!streq(words[2], "off")) {
			*why = "trace takes 'on' or 'off'";
			return -EINVAL;
		}
	}
	*ret = req;
	*why = NULL;
	return 0;
}

int control_request_format(const struct control_request *req, char *buf, size_t size)
{
	enum control_command c = req->command;
	bool has_name = req->name[0] != '\0';
	int n;

	if (c >= _CONTROL_COMMAND_MAX)
		return -EINVAL;
	if (has_name ? commands[c].max_args == 0 || !volume_name_valid(req->name)
		     : commands[c].min_args > 0)
		return -EINVAL;
	n = snprintf(buf, size, "%s%s%s%s\n", commands[c].name, has_name ? " " : "",
		     req->name, c == CONTROL_TRACE ? (req->on ? " on" : " off") : "");
	if (n < 0 || (size_t)n >= size)
		return -ENOBUFS;
	return 0;
}

/* ---- replies ----------------------------------------------------------- */

struct json_object *control_reply_new(void)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

	if (!o || json_add_bool(o, "ok", true) < 0)
		return NULL;
	return TAKE_PTR(o);
}

struct json_object *control_reply_new_error(enum control_error e, const char *fmt, ...)
{
	_cleanup_(freep) char *message = NULL;
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (r < 0)
		return NULL;
	o = json_object_new_object();
	if (!o)
		return NULL;
	if (json_add_bool(o, "ok", false) < 0 ||
	    json_add_string(o, "error", control_error_to_string(e)) < 0 ||
	    json_add_string(o, "message", message) < 0)
		return NULL;
	return TAKE_PTR(o);
}

char *control_reply_to_string(struct json_object *reply, size_t *len)
{
	char *text, *out;
	size_t n;

	/* paths stay readable: "/dev/loop0", not "\/dev\/loop0" */
	text = json_to_text(reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (!text)
		return NULL;
	out = realloc(text, n + 2);
	if (!out) {
		free(text);
		return NULL;
	}
	out[n] = '\n';
	out[n + 1] = '\0';
	*len = n + 1;
	return out;
}
