// SPDX-License-Identifier: GPL-2.0-only
/*
 * basicdmctl's connection to basicdmd: one request per connection
 * (control-protocol.h), the reply read until the daemon closes, and an
 * error reply turned into what the user reads and the exit code.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "basicdmctl.h"
#include "json-util.h"
#include "util.h"

/* A status of thousands of volumes is megabytes; more is not a reply. */
#define REPLY_MAX (64u << 20)
/* A reload maps and unmaps synchronously: give it time. */
#define REPLY_TIMEOUT_MS (120 * 1000)

const char *arg_socket = BASICDM_RUNTIME_DIR "/" CONTROL_SOCKET_NAME;
bool arg_json;

static int connect_daemon(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(arg_socket) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, arg_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negative_errno();
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int r = negative_errno();

		close(fd);
		return r;
	}
	return fd;
}

static int report_unreachable(int r)
{
	errno = -r;
	if (r == -ENOENT || r == -ECONNREFUSED)
		fprintf(stderr, "basicdmctl: basicdmd is not running (%s: %m)\n", arg_socket);
	else
		fprintf(stderr, "basicdmctl: cannot reach basicdmd at %s: %m\n", arg_socket);
	return EXIT_UNREACHABLE;
}

/* Waits up to the reply timeout for EVENTS on FD: 0, or -ETIMEDOUT. */
static int wait_for(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&p, 1, REPLY_TIMEOUT_MS);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return negative_errno();
	return n == 0 ? -ETIMEDOUT : 0;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Everything the daemon sends until it closes; NUL-terminated. */
static int receive_all(int fd, char **ret, size_t *ret_len)
{
	_cleanup_(freep) char *buf = NULL;
	size_t len = 0, size = 0;
	int r;

	for (;;) {
		ssize_t n;

		if (len + 1 >= size) {
			size_t want = size ? size * 2 : 65536;
			char *p;

			if (want > REPLY_MAX + 1)
				return -EMSGSIZE;
			p = realloc(buf, want);
			if (!p)
				return -ENOMEM;
			buf = p;
			size = want;
		}
		r = wait_for(fd, POLLIN);
		if (r < 0)
			return r;
		n = recv(fd, buf + len, size - len - 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* the daemon closed with our request unread: its reply is here */
			if (errno == ECONNRESET && len > 0)
				break;
			return negative_errno();
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

int ctl_call(const struct control_request *req, struct json_object **ret)
{
	_cleanup_(closep) int fd = -1;
	_cleanup_(freep) char *text = NULL;
	char line[CONTROL_REQUEST_MAX];
	struct json_object *reply;
	size_t len;
	int r;

	r = control_request_format(req, line, sizeof(line));
	if (r < 0) {
		fprintf(stderr, "basicdmctl: cannot form the request: %s\n"
				"Try 'basicdmctl --help'.\n", strerror(-r));
		return EXIT_USAGE;
	}
	fd = connect_daemon();
	if (fd < 0)
		return report_unreachable(fd);
	r = send_all(fd, line, strlen(line));
	/* a daemon that refuses at once ("busy") closes before reading: its reply is there */
	if (r >= 0 || r == -EPIPE || r == -ECONNRESET)
		r = receive_all(fd, &text, &len);
	if (r == -ETIMEDOUT) {
		fprintf(stderr, "basicdmctl: basicdmd did not answer within %d s\n",
			REPLY_TIMEOUT_MS / 1000);
		return EXIT_UNREACHABLE;
	}
	if (r < 0)
		return report_unreachable(r);
	reply = json_tokener_parse(text);
	if (!reply || !json_object_is_type(reply, json_type_object)) {
		json_object_put(reply);
		fprintf(stderr, "basicdmctl: basicdmd sent no valid reply%s\n",
			len ? "" : " (it closed the connection)");
		return EXIT_UNREACHABLE;
	}
	*ret = reply;
	return EXIT_OK;
}

void ctl_print_json(struct json_object *o)
{
	_cleanup_(freep) char *text = NULL;
	size_t len;

	/* cleaned again: json-c reads "\u007f" back as DEL, and would write that raw */
	text = json_to_text(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				       JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!text) {
		fputs("basicdmctl: out of memory\n", stderr);
		return;
	}
	puts(text);
}

int ctl_reply_error(struct json_object *reply)
{
	const char *code = json_member_string(reply, "error");
	const char *message = json_member_string(reply, "message");
	struct json_object *details = json_member(reply, "details");
	enum control_error e = CONTROL_ERROR_FAILED;

	if (arg_json) {
		ctl_print_json(reply);
	} else {
		fprintf(stderr, "basicdmctl: %s\n", message ? message : "the daemon refused");
		for (size_t i = 0; details && i < json_object_array_length(details); i++)
			fprintf(stderr, "%s\n",
				json_object_get_string(json_object_array_get_idx(details, i)));
	}
	if (code)
		(void)control_error_from_string(code, &e);
	switch (e) {
	case CONTROL_ERROR_PERMISSION_DENIED:
		return EXIT_DENIED;
	case CONTROL_ERROR_NO_SUCH_VOLUME:
		return EXIT_NO_VOLUME;
	case CONTROL_ERROR_BUSY:
	case CONTROL_ERROR_TIMEOUT:
		return EXIT_UNREACHABLE;
	default:
		return EXIT_FAILED;
	}
}
