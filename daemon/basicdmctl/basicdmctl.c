// SPDX-License-Identifier: GPL-2.0-only
/*
 * basicdmctl: shows and steers the running basicdmd through its control
 * socket, one request per connection (control-protocol.h).  "check" needs
 * no daemon: it reads the configuration itself, as basicdmd --check does.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "backing-check.h"
#include "basicdmctl.h"
#include "config.h"
#include "control-protocol.h"
#include "json-util.h"
#include "util.h"

/* A status of thousands of volumes is megabytes; more is not a reply. */
#define REPLY_MAX (64u << 20)
/* A reload maps and unmaps synchronously: give it time. */
#define REPLY_TIMEOUT_MS (120 * 1000)

static const char *socket_path = BASICDM_RUNTIME_DIR "/" CONTROL_SOCKET_NAME;
static bool json_output;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: basicdmctl [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Commands:\n"
		"  status [NAME]       volumes: state, backing, map, size, I/O counters\n"
		"  list                names of the configured volumes\n"
		"  reload              apply the edited configuration\n"
		"  activate NAME       bring a volume up again\n"
		"  deactivate NAME     remove its map (deferred while open) and keep it down\n"
		"  check [PATH]        validate a configuration (default %s), no daemon needed\n"
		"  trace NAME on|off   log every I/O of the volume to the kernel log\n"
		"  stats reset NAME    zero the volume's I/O counters\n"
		"\n"
		"Options:\n"
		"  -j, --json          the daemon's reply as JSON (stable keys: basicdmctl(8))\n"
		"  -s, --socket PATH   the daemon's control socket (default %s)\n"
		"  -h, --help          this text\n"
		"      --version       the version\n"
		"\n"
		"Exit status: 0 done, 1 failed, 2 usage, 3 daemon not reachable,\n"
		"4 permission denied, 5 no such volume.\n",
		BASICDM_CONFIG_PATH, socket_path);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("basicdmctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'basicdmctl --help'.\n", stderr);
	return EXIT_USAGE;
}

/* ---- the connection ---------------------------------------------------- */

static int connect_daemon(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(socket_path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, socket_path);
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
		fprintf(stderr, "basicdmctl: basicdmd is not running (%s: %m)\n", socket_path);
	else
		fprintf(stderr, "basicdmctl: cannot reach basicdmd at %s: %m\n", socket_path);
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

/* Sends REQ and parses the reply; an exit code on failure, after saying why. */
static int call(const struct control_request *req, struct json_object **ret)
{
	_cleanup_(closep) int fd = -1;
	_cleanup_(freep) char *text = NULL;
	char line[CONTROL_REQUEST_MAX];
	struct json_object *reply;
	size_t len;
	int r;

	r = control_request_format(req, line, sizeof(line));
	if (r < 0)
		return usage_error("cannot form the request: %s", strerror(-r));
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

/* ---- replies ----------------------------------------------------------- */

static void print_json(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* An error reply: said on stderr (or as JSON on stdout), mapped to an exit code. */
static int reply_error(struct json_object *reply)
{
	const char *code = json_member_string(reply, "error");
	const char *message = json_member_string(reply, "message");
	struct json_object *details = json_member(reply, "details");
	enum control_error e = CONTROL_ERROR_FAILED;

	if (json_output) {
		print_json(reply);
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

static void print_change(const struct control_request *req, struct json_object *reply)
{
	const char *volume = json_member_string(reply, "volume");
	const char *state = json_member_string(reply, "state");

	switch (req->command) {
	case CONTROL_RELOAD:
		puts(json_member_string(reply, "message") ?: "configuration reloaded");
		break;
	case CONTROL_ACTIVATE:
		if (streq_ptr(state, "waiting"))
			printf("%s: waiting for its backing device\n", volume);
		else
			printf("%s: %s\n", volume, state);
		break;
	case CONTROL_DEACTIVATE:
		printf("%s: %s%s\n", volume, state,
		       json_member_bool(reply, "deferred")
			       ? " (the map goes away when it is closed)"
			       : "");
		break;
	case CONTROL_TRACE:
		printf("%s: trace %s\n", volume, json_member_bool(reply, "trace") ? "on" : "off");
		break;
	case CONTROL_STATS_RESET:
		printf("%s: I/O counters reset\n", volume);
		break;
	default:
		break;
	}
}

/* The daemon's answer to REQ, printed; the exit code. */
static int run_request(const struct control_request *req, bool list)
{
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	struct json_object *volumes;
	int r;

	r = call(req, &reply);
	if (r != EXIT_OK)
		return r;
	if (!json_member_bool(reply, "ok"))
		return reply_error(reply);

	volumes = json_member(reply, "volumes");
	if (list) {
		_cleanup_(json_object_putp) struct json_object *names = json_object_new_array();

		for (size_t i = 0; volumes && i < json_object_array_length(volumes); i++) {
			struct json_object *v = json_object_array_get_idx(volumes, i);
			const char *name = json_member_string(v, "name");

			if (json_output)
				json_object_array_add(names, json_object_new_string(name ?: ""));
			else
				puts(name ?: "");
		}
		if (json_output)
			print_json(names);
	} else if (json_output) {
		print_json(reply);
	} else if (req->command != CONTROL_STATUS) {
		print_change(req, reply);
	} else if (*req->name && volumes && json_object_array_length(volumes) == 1) {
		status_print_details(json_object_array_get_idx(volumes, 0));
	} else {
		status_print_table(volumes);
	}
	return EXIT_OK;
}

/* ---- check: no daemon -------------------------------------------------- */

static int check_config(const char *path)
{
	struct config_errors errors = {};
	struct config *c = NULL;
	int r;

	r = backing_check_load(path, &c, &errors);
	if (json_output) {
		_cleanup_(json_object_putp) struct json_object *o =
			r < 0 ? control_reply_new_error(CONTROL_ERROR_FAILED,
							"%s: configuration invalid", path)
			      : control_reply_new();
		struct json_object *details = json_object_new_array();

		for (size_t i = 0; details && i < errors.n; i++)
			json_object_array_add(details, json_object_new_string(errors.messages[i]));
		json_add(o, "details", details);
		if (r >= 0)
			json_add(o, "volume_count", json_object_new_uint64(c->n_volumes));
		if (o)
			print_json(o);
	} else {
		config_print_check(path, r, c, &errors);
	}
	config_errors_clear(&errors);
	config_free(c);
	return r < 0 ? EXIT_FAILED : EXIT_OK;
}

/* ---- the command line -------------------------------------------------- */

static int want_args(int n, int min, int max, const char *command)
{
	if (n < min)
		return usage_error("%s: missing argument", command);
	if (n > max)
		return usage_error("%s: too many arguments", command);
	return EXIT_OK;
}

static int set_name(struct control_request *req, const char *name)
{
	if (!volume_name_valid(name))
		return usage_error("invalid volume name '%s'", name);
	strcpy(req->name, name);
	return EXIT_OK;
}

int main(int argc, char *argv[])
{
	enum { OPT_VERSION = 0x100 };
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{},
	};
	struct control_request req = {};
	const char *command;
	char **args;
	int c, n, r;

	while ((c = getopt_long(argc, argv, "js:h", options, NULL)) >= 0)
		switch (c) {
		case 'j':
			json_output = true;
			break;
		case 's':
			socket_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case OPT_VERSION:
			puts("basicdmctl " BASICDM_VERSION);
			return EXIT_OK;
		default:
			fputs("Try 'basicdmctl --help'.\n", stderr);
			return EXIT_USAGE;
		}
	if (optind == argc)
		return usage_error("no command given");

	command = argv[optind];
	args = argv + optind + 1;
	n = argc - optind - 1;

	if (streq(command, "status") || streq(command, "list")) {
		r = want_args(n, 0, streq(command, "list") ? 0 : 1, command);
		if (r == EXIT_OK && n == 1)
			r = set_name(&req, args[0]);
		if (r != EXIT_OK)
			return r;
		req.command = CONTROL_STATUS;
		return run_request(&req, streq(command, "list"));
	}
	if (streq(command, "check")) {
		r = want_args(n, 0, 1, command);
		return r != EXIT_OK ? r : check_config(n == 1 ? args[0] : BASICDM_CONFIG_PATH);
	}
	if (streq(command, "reload")) {
		r = want_args(n, 0, 0, command);
		req.command = CONTROL_RELOAD;
	} else if (streq(command, "activate") || streq(command, "deactivate")) {
		r = want_args(n, 1, 1, command);
		if (r == EXIT_OK)
			r = set_name(&req, args[0]);
		req.command = streq(command, "activate") ? CONTROL_ACTIVATE : CONTROL_DEACTIVATE;
	} else if (streq(command, "trace")) {
		r = want_args(n, 2, 2, command);
		if (r == EXIT_OK)
			r = set_name(&req, args[0]);
		if (r == EXIT_OK && !streq(args[1], "on") && !streq(args[1], "off"))
			r = usage_error("trace: 'on' or 'off', not '%s'", args[1]);
		req.command = CONTROL_TRACE;
		req.on = r == EXIT_OK && streq(args[1], "on");
	} else if (streq(command, "stats")) {
		r = want_args(n, 2, 2, command);
		if (r == EXIT_OK && !streq(args[0], "reset"))
			r = usage_error("stats: unknown subcommand '%s' (only 'reset')", args[0]);
		if (r == EXIT_OK)
			r = set_name(&req, args[1]);
		req.command = CONTROL_STATS_RESET;
	} else {
		return usage_error("unknown command '%s'", command);
	}
	return r != EXIT_OK ? r : run_request(&req, false);
}
