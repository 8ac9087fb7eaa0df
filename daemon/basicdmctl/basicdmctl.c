// SPDX-License-Identifier: GPL-2.0-only
/*
 * basicdmctl: shows and steers the running basicdmd through its control
 * socket, one request per connection (control-protocol.h).  "check" needs
 * no daemon: it reads the configuration itself, as basicdmd --check does.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "backing-check.h"
#include "basicdm-config.h"
#include "basicdmctl-wait.h"
#include "basicdmctl.h"
#include "config-print.h"
#include "control-protocol.h"
#include "initramfs-copy.h"
#include "json-util.h"
#include "util.h"

static bool arg_no_block;
static const char *arg_output;

static void usage(FILE *f)
{
	fputs("Usage: basicdmctl [OPTIONS] COMMAND [ARGS]\n"
	      "\n"
	      "Commands:\n", f);
	ctl_commands_print(f);
	fprintf(f,
		"\n"
		"Options:\n"
		"  -j, --json          the daemon's reply as JSON (stable keys: basicdmctl(8))\n"
		"  -s, --socket PATH   the daemon's control socket (default %s)\n"
		"      --timeout SECS  how long activate, deactivate and reload wait for their\n"
		"                      change to show (default %g; \"infinity\": no limit)\n"
		"      --no-block      return once the daemon accepted the change, do not wait\n"
		"      --output FILE   metrics: write FILE atomically instead of stdout\n"
		"  -h, --help          this text\n"
		"      --version       the version\n"
		"\n"
		"Exit status: 0 done, 1 failed, 2 usage, 3 daemon not reachable,\n"
		"4 permission denied, 5 no such volume, 6 not visible within --timeout.\n",
		arg_socket, arg_timeout);
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

/* ---- replies ----------------------------------------------------------- */

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

	r = ctl_call(req, &reply);
	if (r != EXIT_OK)
		return r;
	if (!json_member_bool(reply, "ok"))
		return ctl_reply_error(reply);
	if (!arg_no_block && req->command == CONTROL_ACTIVATE)
		return wait_activate(req->name, reply);
	if (!arg_no_block && req->command == CONTROL_DEACTIVATE)
		return wait_deactivate(req->name, reply);
	if (!arg_no_block && req->command == CONTROL_RELOAD)
		return wait_reload(reply);

	volumes = json_member(reply, "volumes");
	if (list) {
		_cleanup_(json_object_putp) struct json_object *names = json_object_new_array();

		for (size_t i = 0; volumes && i < json_object_array_length(volumes); i++) {
			struct json_object *v = json_object_array_get_idx(volumes, i);
			const char *name = json_member_string(v, "name");

			if (arg_json)
				json_object_array_add(names, json_object_new_string(name ?: ""));
			else
				puts(name ?: "");
		}
		if (arg_json)
			ctl_print_json(names);
	} else if (arg_json) {
		ctl_print_json(reply);
	} else if (req->command == CONTROL_STATS) {
		stats_print(volumes);
	} else if (req->command != CONTROL_STATUS) {
		print_change(req, reply);
	} else if (*req->name && volumes && json_object_array_length(volumes) == 1) {
		status_print_details(json_object_array_get_idx(volumes, 0));
	} else {
		status_print_table(volumes);
	}
	return EXIT_OK;
}

/* ---- metrics: status and stats together ---------------------------------- */

static int metrics(void)
{
	_cleanup_(json_object_putp) struct json_object *status = NULL, *stats = NULL;
	struct control_request req = { .command = CONTROL_STATUS };
	int r;

	r = ctl_call(&req, &status);
	if (r == EXIT_OK && !json_member_bool(status, "ok"))
		return ctl_reply_error(status);
	if (r == EXIT_OK) {
		req.command = CONTROL_STATS;
		r = ctl_call(&req, &stats);
		if (r == EXIT_OK && !json_member_bool(stats, "ok"))
			return ctl_reply_error(stats);
	}
	/* a daemon that does not answer is a metric too: basicdm_up 0 */
	if (arg_output) {
		int w = metrics_write_file(arg_output, r == EXIT_OK ? json_member(status, "volumes") : NULL,
					   json_member(stats, "volumes"));

		if (w < 0) {
			errno = -w;
			fprintf(stderr, "basicdmctl: cannot write %s: %m\n", arg_output);
			return EXIT_FAILED;
		}
	} else if (r == EXIT_OK) {
		metrics_print(stdout, json_member(status, "volumes"), json_member(stats, "volumes"));
	} else {
		metrics_print_down(stdout);
	}
	return r;
}

/* ---- check: no daemon -------------------------------------------------- */

static int check_config(const char *path)
{
	struct config_errors errors = {}, warnings = {};
	struct config *c = NULL;
	int r;

	r = backing_check_load(path, &c, &errors);
	/* an initramfs that would map a root volume otherwise than the file says */
	if (r >= 0 && initramfs_check(INITRAMFS_IMAGE_GLOB, c, &warnings) < 0)
		fprintf(stderr, "basicdmctl: out of memory comparing the initramfs images\n");
	if (arg_json) {
		_cleanup_(json_object_putp) struct json_object *o =
			r < 0 ? control_reply_new_error(CONTROL_ERROR_FAILED,
							"%s: configuration invalid", path)
			      : control_reply_new();
		struct json_object *details = json_object_new_array();
		struct json_object *warned = json_object_new_array();

		for (size_t i = 0; details && i < errors.n; i++)
			json_object_array_add(details, json_object_new_string(errors.messages[i]));
		for (size_t i = 0; warned && i < warnings.n; i++)
			json_object_array_add(warned, json_object_new_string(warnings.messages[i]));
		json_add(o, "details", details);
		json_add(o, "warnings", warned);
		if (r >= 0)
			json_add(o, "volume_count", json_object_new_uint64(c->n_volumes));
		if (o)
			ctl_print_json(o);
	} else {
		config_print_check(path, r, c, &errors);
		config_print_warnings(&warnings);
	}
	config_errors_clear(&warnings);
	config_errors_clear(&errors);
	config_free(c);
	return r < 0 ? EXIT_FAILED : EXIT_OK;
}

/* ---- the command line -------------------------------------------------- */

/* Seconds, fractions allowed, at most a few decades; "infinity" waits without a limit. */
static int parse_timeout(const char *s, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || isnan(v) || v <= 0 || (!isinf(v) && v > 1e9))
		return usage_error("--timeout: a number of seconds greater than 0 (or "
				   "\"infinity\"), not '%s'", s);
	*ret = v;
	return EXIT_OK;
}

int main(int argc, char *argv[])
{
	enum { OPT_VERSION = 0x100, OPT_TIMEOUT, OPT_NO_BLOCK, OPT_OUTPUT };
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "no-block", no_argument, NULL, OPT_NO_BLOCK },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{},
	};
	_cleanup_(freep) char *why = NULL;
	struct ctl_invocation cmd;
	int c, r;

	while ((c = getopt_long(argc, argv, "js:h", options, NULL)) >= 0)
		switch (c) {
		case 'j':
			arg_json = true;
			break;
		case 's':
			arg_socket = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case OPT_TIMEOUT:
			r = parse_timeout(optarg, &arg_timeout);
			if (r != EXIT_OK)
				return r;
			break;
		case OPT_NO_BLOCK:
			arg_no_block = true;
			break;
		case OPT_OUTPUT:
			arg_output = optarg;
			break;
		case OPT_VERSION:
			puts("basicdmctl " BASICDM_VERSION);
			return EXIT_OK;
		default:
			fputs("Try 'basicdmctl --help'.\n", stderr);
			return EXIT_USAGE;
		}
	r = ctl_command_parse(argv + optind, argc - optind, &cmd, &why);
	if (r != EXIT_OK)
		return usage_error("%s", why ?: "out of memory");

	switch (cmd.command->action) {
	case CTL_REQUEST:
		return run_request(&cmd.request, false);
	case CTL_LIST:
		return run_request(&cmd.request, true);
	case CTL_CHECK:
		return check_config(cmd.n_args == 1 ? cmd.args[0] : BASICDM_CONFIG_PATH);
	case CTL_METRICS:
		return metrics();
	}
	return EXIT_FAILED;
}
