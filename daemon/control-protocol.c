// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control protocol's grammar and replies.  The parser sees bytes from
 * any local user: it reads nothing past the buffer, copies nothing
 * unbounded, and names what it refuses so the reply can say it.
 */
#include "control-protocol.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

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

/* Splits LINE in place at blanks; more than MAX words is -E2BIG. */
static int split(char *line, char **words, size_t max, size_t *n)
{
	size_t i = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (i == max)
			return -E2BIG;
		words[i++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	*n = i;
	return 0;
}

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

	if (split(line, words, ELEMENTSOF(words), &n) < 0) {
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

int control_json_add(struct json_object *o, const char *key, struct json_object *value)
{
	if (!o || !value || json_object_object_add(o, key, value) < 0) {
		json_object_put(value);
		return -ENOMEM;
	}
	return 0;
}

/* JSON null: a key whose value is NULL. */
static int add_null(struct json_object *o, const char *key)
{
	return !o || json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
}

static int add_string(struct json_object *o, const char *key, const char *s)
{
	return s ? control_json_add(o, key, json_object_new_string(s)) : add_null(o, key);
}

static int add_u64(struct json_object *o, const char *key, uint64_t v)
{
	return control_json_add(o, key, json_object_new_uint64(v));
}

static int add_bool(struct json_object *o, const char *key, bool b)
{
	return control_json_add(o, key, json_object_new_boolean(b));
}

/* "maj:min" as /proc, dmsetup and lsblk print it; null for no device. */
static int add_devnum(struct json_object *o, const char *key, dev_t d)
{
	char buf[32];

	if (!d)
		return add_null(o, key);
	snprintf(buf, sizeof(buf), "%u:%u", major(d), minor(d));
	return add_string(o, key, buf);
}

struct json_object *control_reply_new(void)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

	if (!o || add_bool(o, "ok", true) < 0)
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
	if (add_bool(o, "ok", false) < 0 ||
	    add_string(o, "error", control_error_to_string(e)) < 0 ||
	    add_string(o, "message", message) < 0)
		return NULL;
	return TAKE_PTR(o);
}

int control_format_timestamp(uint64_t usec, char *buf, size_t size)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;

	if (usec / 1000000 > (uint64_t)INT64_MAX || !gmtime_r(&t, &tm))
		return -EOVERFLOW;
	if (strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -ENOBUFS;
	return 0;
}

static struct json_object *match_to_json(const struct volume_config *c)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	for (size_t i = 0; i < c->n_match; i++)
		if (add_string(o, c->match[i].key, c->match[i].value) < 0)
			return NULL;
	return TAKE_PTR(o);
}

static struct json_object *backing_to_json(const struct control_volume_status *s)
{
	static const char *const kinds[] = {
		[BACKING_FILE] = "file",
		[BACKING_DEVICE] = "device",
		[BACKING_MATCH] = "match",
	};
	const struct volume_config *c = s->cfg;
	const char *node = s->backing ? s->backing_node : NULL;
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	int r;

	if (!o)
		return NULL;
	r = add_string(o, "kind", kinds[c->kind]);
	if (r >= 0)
		r = add_string(o, "file", c->kind == BACKING_FILE ? c->file : NULL);
	if (r >= 0)
		r = add_string(o, "path", c->kind == BACKING_DEVICE ? c->device : NULL);
	if (r >= 0)
		r = c->kind == BACKING_MATCH ? control_json_add(o, "match", match_to_json(c))
					     : add_null(o, "match");
	if (r >= 0)
		r = add_string(o, "device", node);
	if (r >= 0)
		r = add_string(o, "loop_device", c->kind == BACKING_FILE ? node : NULL);
	if (r >= 0)
		r = add_devnum(o, "devnum", s->backing);
	if (r < 0)
		return NULL;
	return TAKE_PTR(o);
}

static struct json_object *map_to_json(const struct dm_map_info *m)
{
	char device[sizeof("/dev/mapper/") + VOLUME_NAME_MAX];
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	int r;

	if (!o)
		return NULL;
	snprintf(device, sizeof(device), "/dev/mapper/%s", m->name);
	r = add_string(o, "name", m->name);
	if (r >= 0)
		r = add_string(o, "uuid", m->uuid);
	if (r >= 0)
		r = add_devnum(o, "devnum", m->devnum);
	if (r >= 0)
		r = add_string(o, "device", device);
	if (r >= 0)
		r = control_json_add(o, "open_count", json_object_new_int(m->open_count));
	if (r >= 0)
		r = add_bool(o, "read_only", m->read_only);
	if (r >= 0)
		r = add_bool(o, "suspended", m->suspended);
	if (r >= 0)
		r = add_bool(o, "deferred_remove", m->deferred_remove);
	if (r < 0)
		return NULL;
	return TAKE_PTR(o);
}

static struct json_object *counters_to_json(const struct dm_counters *c)
{
	const struct {
		const char *key;
		uint64_t value;
	} fields[] = {
		{ "reads", c->reads },
		{ "read_sectors", c->read_sectors },
		{ "writes", c->writes },
		{ "write_sectors", c->write_sectors },
		{ "flushes", c->flushes },
		{ "discards", c->discards },
		{ "discard_sectors", c->discard_sectors },
		{ "write_zeroes", c->write_zeroes },
		{ "write_zeroes_sectors", c->write_zeroes_sectors },
		{ "secure_erases", c->secure_erases },
	};
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(fields); i++)
		if (add_u64(o, fields[i].key, fields[i].value) < 0)
			return NULL;
	return TAKE_PTR(o);
}

struct json_object *control_volume_to_json(const struct control_volume_status *s)
{
	const struct volume_config *c = s->cfg;
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	char since[64];
	int r;

	if (!o)
		return NULL;
	r = add_string(o, "name", c->name);
	if (r >= 0)
		r = add_string(o, "state", s->state);
	if (r >= 0)
		r = control_format_timestamp(s->since_usec, since, sizeof(since)) < 0
			    ? add_null(o, "since")
			    : add_string(o, "since", since);
	if (r >= 0)
		r = add_u64(o, "since_usec", s->since_usec);
	if (r >= 0)
		r = add_string(o, "reason", s->reason);
	if (r >= 0)
		r = control_json_add(o, "backing", backing_to_json(s));
	if (r >= 0)
		r = add_u64(o, "offset_sectors", c->offset);
	if (r >= 0)
		r = s->map && s->map->table_is_ours
			    ? add_u64(o, "size_sectors", s->map->table.sectors)
			    : add_null(o, "size_sectors");
	if (r >= 0)
		r = add_bool(o, "read_only", c->read_only);
	/* the kernel's word once there is a map: a message may have changed it */
	if (r >= 0)
		r = add_bool(o, "trace", s->counters ? s->counters->trace : c->trace);
	if (r >= 0)
		r = s->map ? control_json_add(o, "dm", map_to_json(s->map)) : add_null(o, "dm");
	if (r >= 0)
		r = s->counters ? control_json_add(o, "counters", counters_to_json(s->counters))
				: add_null(o, "counters");
	if (r < 0)
		return NULL;
	return TAKE_PTR(o);
}

char *control_reply_to_string(struct json_object *reply, size_t *len)
{
	const char *text;
	size_t n;
	char *out;

	/* paths stay readable: "/dev/loop0", not "\/dev\/loop0" */
	text = json_object_to_json_string_length(
		reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (!text)
		return NULL;
	out = malloc(n + 2);
	if (!out)
		return NULL;
	memcpy(out, text, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	*len = n + 1;
	return out;
}
