/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * basicdmctl's parts: the command line (basicdmctl.c), its commands
 * (basicdmctl-commands.c), the connection to the daemon
 * (basicdmctl-call.c), status output (basicdmctl-status.c), stats output
 * (basicdmctl-stats.c), Prometheus metrics (basicdmctl-metrics.c),
 * waiting for a change to be visible (basicdmctl-wait.h) and who holds a
 * map open (basicdmctl-holders.h).
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "control-protocol.h"

/* Exit codes, documented in basicdmctl(8): scripts rely on them. */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* the command was tried and failed, or check found problems */
	EXIT_USAGE = 2,		/* wrong command line */
	EXIT_UNREACHABLE = 3,	/* no daemon on the socket, or no answer from it */
	EXIT_DENIED = 4,	/* a change asked by a user other than root */
	EXIT_NO_VOLUME = 5,	/* no volume of that name is configured */
	EXIT_TIMEOUT = 6,	/* accepted, but not visible within --timeout: may still happen */
};

/* The command line's settings. */
extern const char *arg_socket;	/* the daemon's control socket */
extern bool arg_json;		/* --json: replies as JSON on stdout */

/* ---- basicdmctl-commands.c ---- */

/* What a command does. */
enum ctl_action {
	CTL_REQUEST,	/* one request to the daemon, its reply printed */
	CTL_LIST,	/* the request, the names of its reply's volumes printed */
	CTL_CHECK,	/* the configuration checked here: no daemon */
	CTL_METRICS,	/* a status and a stats request, as Prometheus text */
};

struct ctl_command {
	const char *words;		/* as typed: "stats reset" */
	const char *synopsis;		/* its arguments: "NAME on|off"; "" for none */
	enum ctl_action action;
	enum control_command request;	/* CTL_REQUEST's and CTL_LIST's */
	unsigned min_args, max_args;	/* but CTL_REQUEST's: the protocol's */
	const char *help;		/* for --help; a newline goes on on the next line */
};

/*
 * Every command, in --help's order (basicdmctl-commands.c says how a
 * synopsis reads); the last row is all zeroes.
 */
extern const struct ctl_command ctl_commands[];

unsigned ctl_command_min_args(const struct ctl_command *c);
unsigned ctl_command_max_args(const struct ctl_command *c);

/* The next word of the space-separated list at *P, and *P past it; false at its end. */
bool ctl_next_word(const char **p, const char **ret_word, size_t *ret_len);

/* A command line, parsed. */
struct ctl_invocation {
	const struct ctl_command *command;
	struct control_request request;	/* CTL_REQUEST's and CTL_LIST's */
	char **args;			/* the words after the command's */
	size_t n_args;
};

/*
 * The ARGC words of ARGV (the command line after its options) as a command
 * and its arguments, checked against its synopsis.  EXIT_OK, or EXIT_USAGE
 * with *RET_WHY the message, malloc'ed (NULL when out of memory).
 */
int ctl_command_parse(char **argv, size_t argc, struct ctl_invocation *ret, char **ret_why);

/*
 * --help's list of commands: "  SYNOPSIS  HELP", the help text from the
 * 23rd column and its further lines indented as far.  The bash completion
 * reads the synopses back from it.
 */
void ctl_commands_print(FILE *f);

/* ---- basicdmctl-call.c ---- */

/*
 * Sends REQ to the daemon and parses its reply into *RET (ok or not); an
 * exit code other than EXIT_OK when there is no reply, after saying why.
 */
int ctl_call(const struct control_request *req, struct json_object **ret);
/* An error reply: said on stderr (or as JSON on stdout); the exit code of its code. */
int ctl_reply_error(struct json_object *reply);
/* O on stdout, pretty. */
void ctl_print_json(struct json_object *o);

/* ---- basicdmctl-status.c ---- */

/* The "volumes" array of a status reply as a table, one volume a line. */
void status_print_table(struct json_object *volumes);
/* One volume of a status reply, every field on its own line. */
void status_print_details(struct json_object *volume);
/* What a status reply's "backing" names as configured: the file, the path, "KEY=VALUE ...". */
void status_format_configured(struct json_object *backing, char *buf, size_t size);

/* ---- basicdmctl-stats.c ---- */

/* The "volumes" array of a stats reply, one block per volume. */
void stats_print(struct json_object *volumes);

/* ---- basicdmctl-metrics.c ---- */

/*
 * The "volumes" arrays of a status and a stats reply as Prometheus text:
 * basicdm_up, basicdm_volume_state, basic_target's counters, dm-stats'
 * counters and the latency histogram (basicdmctl(8), METRICS).
 */
void metrics_print(FILE *f, struct json_object *status_volumes, struct json_object *stats_volumes);
/* basicdm_up 0 alone: the daemon did not answer. */
void metrics_print_down(FILE *f);
/*
 * The same into PATH, atomically: a temporary file in its directory
 * renamed over it.  STATUS_VOLUMES NULL: metrics_print_down().
 */
int metrics_write_file(const char *path, struct json_object *status_volumes,
		       struct json_object *stats_volumes);
