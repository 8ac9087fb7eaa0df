// SPDX-License-Identifier: GPL-2.0-only
/*
 * basicdmctl's commands, one row each: what is typed, its arguments as
 * --help and basicdmctl(8) show them, and what it does.  The command line
 * is parsed against this table, --help prints it, and the bash completion
 * reads it back from --help; test-basicdmctl-commands holds basicdmctl(8)'s
 * SYNOPSIS to it.
 *
 * A synopsis is a list of words, one per argument: NAME is a volume name,
 * "on|off" one of those words, anything else (PATH) any word; [...] may
 * be left out, at the end only.  A command that is one request to the
 * daemon takes the protocol's argument counts (control-protocol.h), and
 * the protocol's parser turns its arguments into the request.
 *
 * A new command is a row here and its line in basicdmctl(8)'s SYNOPSIS
 * (and its entry under COMMANDS).  One that sends a new request needs the
 * request in the protocol too (control-protocol.h's enum, the row of
 * control-protocol.c's table, basicdmctl(8)'s PROTOCOL), its handler in
 * basicdmd (control-handlers.c) and, for its reply's text without
 * --json, its case in basicdmctl.c's print_change().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basicdmctl.h"
#include "util.h"

/* --help's columns: the synopsis from the third, its text from the 23rd. */
#define HELP_INDENT 22

const struct ctl_command ctl_commands[] = {
	{ .words = "status", .synopsis = "[NAME]",
	  .action = CTL_REQUEST, .request = CONTROL_STATUS,
	  .help = "volumes: state, backing, map, size, I/O counters" },
	{ .words = "list", .synopsis = "",
	  .action = CTL_LIST, .request = CONTROL_STATUS, .min_args = 0, .max_args = 0,
	  .help = "names of the configured volumes" },
	{ .words = "reload", .synopsis = "",
	  .action = CTL_REQUEST, .request = CONTROL_RELOAD,
	  .help = "apply the edited configuration, wait until it shows" },
	{ .words = "activate", .synopsis = "NAME",
	  .action = CTL_REQUEST, .request = CONTROL_ACTIVATE,
	  .help = "bring a volume up again: returns once /dev/basicdm/NAME is there" },
	{ .words = "deactivate", .synopsis = "NAME",
	  .action = CTL_REQUEST, .request = CONTROL_DEACTIVATE,
	  .help = "remove its map (deferred while open: says who holds it) and\n"
		  "keep it down; returns once /dev/basicdm/NAME is gone" },
	{ .words = "check", .synopsis = "[PATH]",
	  .action = CTL_CHECK, .min_args = 0, .max_args = 1,
	  .help = "validate a configuration (default " BASICDM_CONFIG_PATH "), no daemon needed" },
	{ .words = "trace", .synopsis = "NAME on|off",
	  .action = CTL_REQUEST, .request = CONTROL_TRACE,
	  .help = "log every I/O of the volume to the kernel log" },
	{ .words = "stats", .synopsis = "[NAME]",
	  .action = CTL_REQUEST, .request = CONTROL_STATS,
	  .help = "dm-stats of the volumes' maps: IOPS, throughput, mean and\n"
		  "p50/p90/p99 latency, the latency histogram" },
	{ .words = "stats reset", .synopsis = "NAME",
	  .action = CTL_REQUEST, .request = CONTROL_STATS_RESET,
	  .help = "zero the volume's I/O counters" },
	{ .words = "metrics", .synopsis = "",
	  .action = CTL_METRICS, .min_args = 0, .max_args = 0,
	  .help = "status and stats in the Prometheus text format" },
	{},
};

unsigned ctl_command_min_args(const struct ctl_command *c)
{
	return c->action == CTL_REQUEST ? control_command_min_args(c->request) : c->min_args;
}

unsigned ctl_command_max_args(const struct ctl_command *c)
{
	return c->action == CTL_REQUEST ? control_command_max_args(c->request) : c->max_args;
}

bool ctl_next_word(const char **p, const char **ret_word, size_t *ret_len)
{
	const char *s = *p + strspn(*p, " ");
	size_t len = strcspn(s, " ");

	if (len == 0)
		return false;
	*ret_word = s;
	*ret_len = len;
	*p = s + len;
	return true;
}

/* How many of ARGV's words C's words are, 0 when they are not its first ones. */
static size_t words_match(const struct ctl_command *c, char **argv, size_t argc)
{
	const char *p = c->words, *word;
	size_t len, i;

	for (i = 0; ctl_next_word(&p, &word, &len); i++)
		if (i == argc || strlen(argv[i]) != len || strncmp(argv[i], word, len) != 0)
			return 0;
	return i;
}

static int why(char **ret_why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int why(char **ret_why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(ret_why, fmt, ap) < 0)
		*ret_why = NULL;
	va_end(ap);
	return EXIT_USAGE;
}

/* ARG against WORD of C's synopsis (brackets stripped): NAME, a choice, or anything. */
static int check_arg(const struct ctl_command *c, const char *word, size_t len, const char *arg,
		     char **ret_why)
{
	char choices[128] = "";
	const char *p, *bar;
	int n = 0;

	if (len == 4 && strncmp(word, "NAME", 4) == 0)
		return volume_name_valid(arg) ? EXIT_OK
					      : why(ret_why, "invalid volume name '%s'", arg);
	if (!memchr(word, '|', len))
		return EXIT_OK;
	for (p = word; p < word + len; p = bar + 1) {
		bar = memchr(p, '|', word + len - p) ?: word + len;
		if (strlen(arg) == (size_t)(bar - p) && strncmp(arg, p, bar - p) == 0)
			return EXIT_OK;
		if ((size_t)n < sizeof(choices))
			n += snprintf(choices + n, sizeof(choices) - n, "%s'%.*s'",
				      p == word ? "" : " or ", (int)(bar - p), p);
	}
	return why(ret_why, "%s: %s, not '%s'", c->words, choices, arg);
}

/* C's request, as the daemon's parser reads "WIRE-NAME ARGS...". */
static int make_request(const struct ctl_command *c, char **args, size_t n,
			struct control_request *ret, char **ret_why)
{
	char line[CONTROL_REQUEST_MAX];
	const char *wire_why;
	size_t len;

	len = snprintf(line, sizeof(line), "%s", control_command_to_string(c->request));
	for (size_t i = 0; i < n && len < sizeof(line); i++)
		len += snprintf(line + len, sizeof(line) - len, " %s", args[i]);
	if (len >= sizeof(line))
		return why(ret_why, "%s: arguments too long", c->words);
	if (control_request_parse(line, len, ret, &wire_why) < 0)
		return why(ret_why, "%s: %s", c->words, wire_why);
	return EXIT_OK;
}

int ctl_command_parse(char **argv, size_t argc, struct ctl_invocation *ret, char **ret_why)
{
	const struct ctl_command *c, *found = NULL;
	size_t n_words = 0, n;
	const char *p, *word;
	char **args;
	size_t len;
	int r;

	*ret_why = NULL;
	if (argc == 0)
		return why(ret_why, "no command given");
	/* the longest match: "stats reset NAME" is not "stats NAME" */
	for (c = ctl_commands; c->words; c++) {
		size_t m = words_match(c, argv, argc);

		if (m > n_words) {
			found = c;
			n_words = m;
		}
	}
	if (!found)
		return why(ret_why, "unknown command '%s'", argv[0]);

	args = argv + n_words;
	n = argc - n_words;
	if (n < ctl_command_min_args(found))
		return why(ret_why, "%s: missing argument", found->words);
	if (n > ctl_command_max_args(found))
		return why(ret_why, "%s: too many arguments", found->words);
	p = found->synopsis;
	for (size_t i = 0; i < n && ctl_next_word(&p, &word, &len); i++) {
		if (word[0] == '[') {
			word++;
			len -= 2;
		}
		r = check_arg(found, word, len, args[i], ret_why);
		if (r != EXIT_OK)
			return r;
	}

	*ret = (struct ctl_invocation){ .command = found, .args = args, .n_args = n };
	if (found->action == CTL_REQUEST || found->action == CTL_LIST)
		return make_request(found, args, n, &ret->request, ret_why);
	return EXIT_OK;
}

void ctl_commands_print(FILE *f)
{
	for (const struct ctl_command *c = ctl_commands; c->words; c++) {
		const char *help = c->help;
		size_t len = strcspn(help, "\n");
		int n;

		n = fprintf(f, "  %s%s%s", c->words, *c->synopsis ? " " : "", c->synopsis);
		fprintf(f, "%*s%.*s\n", n < HELP_INDENT - 2 ? HELP_INDENT - n : 2, "", (int)len, help);
		while (help[len]) {
			help += len + 1;
			len = strcspn(help, "\n");
			fprintf(f, "%*s%.*s\n", HELP_INDENT, "", (int)len, help);
		}
	}
}
