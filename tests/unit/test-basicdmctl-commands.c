// SPDX-License-Identifier: GPL-2.0-only
/*
 * basicdmctl's command table: what the command line parser makes of each
 * command, every usage error word for word, the rows against the
 * protocol's table, --help's layout (the bash completion reads it), and
 * basicdmctl(8)'s SYNOPSIS against the rows: a command added without its
 * line in the manual page, or a line left there without its command,
 * fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "basicdmctl.h"
#include "util.h"

#define WORDS_MAX 8
#define SYNOPSES_MAX 64
#define SYNOPSIS_LEN 256

/* ---- helpers ---- */

/* LINE split at its spaces (no word has one), parsed. */
static int parse(const char *line, struct ctl_invocation *ret, char **ret_why)
{
	static char buf[256];
	char *words[WORDS_MAX];
	size_t n = 0;

	assert_true(strlen(line) < sizeof(buf));
	strcpy(buf, line);
	for (char *w = strtok(buf, " "); w; w = strtok(NULL, " ")) {
		assert_true(n < WORDS_MAX);
		words[n++] = w;
	}
	return ctl_command_parse(words, n, ret, ret_why);
}

static void assert_parses(const char *line, const char *words, enum control_command request,
			  const char *name, bool on)
{
	struct ctl_invocation cmd;
	char *why = (char *)"unset";

	if (parse(line, &cmd, &why) != EXIT_OK)
		fail_msg("'%s' refused: %s", line, why);
	assert_null(why);
	assert_string_equal(cmd.command->words, words);
	if (cmd.command->action == CTL_REQUEST || cmd.command->action == CTL_LIST) {
		assert_int_equal(cmd.request.command, request);
		assert_string_equal(cmd.request.name, name);
		assert_int_equal(cmd.request.on, on);
	}
}

static void assert_usage_error(const char *line, const char *message)
{
	struct ctl_invocation cmd;
	_cleanup_(freep) char *why = NULL;

	assert_int_equal(parse(line, &cmd, &why), EXIT_USAGE);
	assert_non_null(why);
	assert_string_equal(why, message);
}

/* A synopsis' words: how many, how many can be left out; NAME first or not. */
static void synopsis_counts(const char *synopsis, unsigned *ret_words, unsigned *ret_optional,
			    bool *ret_name_first)
{
	const char *p = synopsis, *word;
	unsigned words = 0, optional = 0;
	size_t len;

	*ret_name_first = false;
	while (ctl_next_word(&p, &word, &len)) {
		bool bracketed = word[0] == '[';

		if (bracketed) {
			if (word[len - 1] != ']')
				fail_msg("'%s': '[' without its ']'", synopsis);
			word++;
			len -= 2;
			optional++;
		} else if (optional) {
			fail_msg("'%s': a required argument after an optional one", synopsis);
		}
		if (words == 0)
			*ret_name_first = len == 4 && strncmp(word, "NAME", 4) == 0;
		words++;
	}
	*ret_words = words;
	*ret_optional = optional;
}

/* C's line in the SYNOPSIS: "basicdmctl stats reset NAME". */
static void row_synopsis(const struct ctl_command *c, char *buf, size_t size)
{
	int n = snprintf(buf, size, "basicdmctl %s%s%s", c->words, *c->synopsis ? " " : "",
			 c->synopsis);

	assert_true(n > 0 && (size_t)n < size);
}

/* ---- the parser ---- */

static void test_parse_every_command(void **state)
{
	assert_parses("status", "status", CONTROL_STATUS, "", false);
	assert_parses("status data", "status", CONTROL_STATUS, "data", false);
	assert_parses("list", "list", CONTROL_STATUS, "", false);
	assert_parses("reload", "reload", CONTROL_RELOAD, "", false);
	assert_parses("activate data", "activate", CONTROL_ACTIVATE, "data", false);
	assert_parses("deactivate data", "deactivate", CONTROL_DEACTIVATE, "data", false);
	assert_parses("trace data on", "trace", CONTROL_TRACE, "data", true);
	assert_parses("trace data off", "trace", CONTROL_TRACE, "data", false);
	assert_parses("stats", "stats", CONTROL_STATS, "", false);
	assert_parses("stats data", "stats", CONTROL_STATS, "data", false);
	assert_parses("stats reset data", "stats reset", CONTROL_STATS_RESET, "data", false);
	assert_parses("metrics", "metrics", 0, "", false);
	assert_parses("check", "check", 0, "", false);
	assert_parses("check /etc/other.conf", "check", 0, "", false);
}

static void test_parse_arguments_kept(void **state)
{
	struct ctl_invocation cmd;
	char *why = NULL;

	assert_int_equal(parse("check /etc/other.conf", &cmd, &why), EXIT_OK);
	assert_int_equal(cmd.command->action, CTL_CHECK);
	assert_int_equal(cmd.n_args, 1);
	assert_string_equal(cmd.args[0], "/etc/other.conf");

	assert_int_equal(parse("check", &cmd, &why), EXIT_OK);
	assert_int_equal(cmd.n_args, 0);

	assert_int_equal(parse("metrics", &cmd, &why), EXIT_OK);
	assert_int_equal(cmd.command->action, CTL_METRICS);
	assert_int_equal(parse("list", &cmd, &why), EXIT_OK);
	assert_int_equal(cmd.command->action, CTL_LIST);
	assert_int_equal(parse("stats reset data", &cmd, &why), EXIT_OK);
	assert_int_equal(cmd.n_args, 1);
	assert_string_equal(cmd.args[0], "data");
}

static void test_parse_errors(void **state)
{
	char line[128];

	assert_usage_error("", "no command given");
	assert_usage_error("frobnicate", "unknown command 'frobnicate'");
	assert_usage_error("STATUS", "unknown command 'STATUS'");
	/* the wire's name of "stats reset" is not the client's */
	assert_usage_error("stats-reset data", "unknown command 'stats-reset'");
	assert_usage_error("reset data", "unknown command 'reset'");

	/* missing */
	assert_usage_error("activate", "activate: missing argument");
	assert_usage_error("deactivate", "deactivate: missing argument");
	assert_usage_error("trace", "trace: missing argument");
	assert_usage_error("trace data", "trace: missing argument");
	assert_usage_error("stats reset", "stats reset: missing argument");

	/* too many */
	assert_usage_error("status a b", "status: too many arguments");
	assert_usage_error("list a", "list: too many arguments");
	assert_usage_error("reload now", "reload: too many arguments");
	assert_usage_error("activate a b", "activate: too many arguments");
	assert_usage_error("deactivate a b", "deactivate: too many arguments");
	assert_usage_error("trace data on now", "trace: too many arguments");
	assert_usage_error("stats frob b", "stats: too many arguments");
	assert_usage_error("stats reset a b", "stats reset: too many arguments");
	assert_usage_error("metrics now", "metrics: too many arguments");
	assert_usage_error("check a.conf b.conf", "check: too many arguments");

	/* a name that is no volume's */
	assert_usage_error("status ../etc", "invalid volume name '../etc'");
	assert_usage_error("activate a/b", "invalid volume name 'a/b'");
	assert_usage_error("deactivate ..", "invalid volume name '..'");
	assert_usage_error("stats control", "invalid volume name 'control'");
	assert_usage_error("stats reset a*", "invalid volume name 'a*'");
	snprintf(line, sizeof(line), "activate %065d", 0);
	assert_usage_error(line, "invalid volume name '"
				 "00000000000000000000000000000000000000000000000000000000000000000'");
	/* the name first, then the switch */
	assert_usage_error("trace ../x maybe", "invalid volume name '../x'");

	/* trace: on or off, nothing else */
	assert_usage_error("trace data maybe", "trace: 'on' or 'off', not 'maybe'");
	assert_usage_error("trace data ON", "trace: 'on' or 'off', not 'ON'");
	assert_usage_error("trace data o", "trace: 'on' or 'off', not 'o'");
	assert_usage_error("trace data onn", "trace: 'on' or 'off', not 'onn'");
}

/* An empty word is an argument too ("basicdmctl status ''"). */
static void test_parse_empty_words(void **state)
{
	struct ctl_invocation cmd;
	_cleanup_(freep) char *why = NULL, *why2 = NULL;
	char empty[] = "", status[] = "status";
	char *argv[] = { status, empty };

	assert_int_equal(ctl_command_parse(argv, 2, &cmd, &why), EXIT_USAGE);
	assert_string_equal(why, "invalid volume name ''");
	assert_int_equal(ctl_command_parse(argv + 1, 1, &cmd, &why2), EXIT_USAGE);
	assert_string_equal(why2, "unknown command ''");
}

/* ---- the table ---- */

static void test_rows(void **state)
{
	size_t n = 0;

	for (const struct ctl_command *c = ctl_commands; c->words; c++, n++) {
		unsigned words, optional;
		bool name_first;

		assert_non_null(c->synopsis);
		assert_non_null(c->help);
		assert_true(*c->words && *c->help);
		for (const struct ctl_command *d = ctl_commands; d < c; d++)
			if (streq(c->words, d->words))
				fail_msg("two rows for '%s'", c->words);

		/* the synopsis says what the parser holds to */
		synopsis_counts(c->synopsis, &words, &optional, &name_first);
		if (ctl_command_max_args(c) != words || ctl_command_min_args(c) != words - optional)
			fail_msg("'%s %s': takes %u to %u arguments", c->words, c->synopsis,
				 ctl_command_min_args(c), ctl_command_max_args(c));

		/* a request's arguments are the protocol's: a volume name first */
		if (c->action == CTL_REQUEST || c->action == CTL_LIST) {
			assert_true(c->request < _CONTROL_COMMAND_MAX);
			if (words > 0 && !name_first)
				fail_msg("'%s %s': a request's first argument is a NAME", c->words,
					 c->synopsis);
			assert_true(ctl_command_min_args(c) >= control_command_min_args(c->request));
			assert_true(ctl_command_max_args(c) <= control_command_max_args(c->request));
		}
	}
	assert_true(n > 0);
}

/* Every request the daemon knows has its command. */
static void test_every_request_has_a_command(void **state)
{
	for (enum control_command r = 0; r < _CONTROL_COMMAND_MAX; r++) {
		const struct ctl_command *c;

		for (c = ctl_commands; c->words; c++)
			if (c->action == CTL_REQUEST && c->request == r)
				break;
		if (!c->words)
			fail_msg("no basicdmctl command sends '%s'", control_command_to_string(r));
	}
}

/*
 * --help: a command a line, "  SYNOPSIS  TEXT", the text's further lines
 * indented to where it starts; the bash completion reads the synopses.
 */
static void test_help_layout(void **state)
{
	_cleanup_(freep) char *text = NULL;
	const struct ctl_command *c = ctl_commands;
	char synopsis[SYNOPSIS_LEN];
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_non_null(f);
	ctl_commands_print(f);
	assert_int_equal(fclose(f), 0);

	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		const char *typed, *help;

		if (strspn(line, " ") == 22) {
			/* the text of the command before goes on */
			assert_ptr_not_equal(c, ctl_commands);
			continue;
		}
		assert_non_null(c->words);
		row_synopsis(c, synopsis, sizeof(synopsis));
		typed = synopsis + strlen("basicdmctl ");
		assert_true(startswith(line, "  "));
		assert_true(startswith(line + 2, typed));
		help = line + 2 + strlen(typed);
		assert_true(startswith(help, "  "));
		help += strspn(help, " ");
		if (strlen(typed) <= 18)
			assert_int_equal(help - line, 22);
		assert_int_equal(strncmp(help, c->help, strcspn(c->help, "\n")), 0);
		c++;
	}
	assert_null(c->words);
}

/* ---- basicdmctl(8) ---- */

/* roff's escapes in TEXT: \- is a minus, font changes and \& vanish. */
static void unescape(char *text)
{
	char *in = text, *out = text;

	while (*in) {
		if (*in != '\\') {
			*out++ = *in++;
			continue;
		}
		switch (in[1]) {
		case '-':
			*out++ = '-';
			in += 2;
			break;
		case '&':
			in += 2;
			break;
		case 'f':
			if (!in[2])
				fail_msg("'\\f' at the end of a line");
			in += 3;
			break;
		default:
			fail_msg("an escape the test does not know: '%s'", in);
		}
	}
	*out = '\0';
}

/* A font request's arguments, alternating fonts (.BR) or not (.B), as text. */
static void font_request(const char *request, char *args, char *out, size_t size)
{
	bool alternating = strlen(request) == 2;
	size_t len = strlen(out);
	bool first = true;

	while (*args) {
		char *arg, *end;

		args += strspn(args, " \t");
		if (!*args)
			break;
		if (*args == '"') {
			arg = args + 1;
			end = strchr(arg, '"');
			if (!end)
				fail_msg("unterminated quote: '%s'", args);
		} else {
			arg = args;
			end = arg + strcspn(arg, " \t");
		}
		args = *end ? end + 1 : end;
		*end = '\0';
		len += snprintf(out + len, size - len, "%s%s", first || alternating ? "" : " ", arg);
		assert_true(len < size);
		first = false;
	}
}

/*
 * The commands' lines of the SYNOPSIS (its paragraphs after the first,
 * which is the general form), each as it reads, options in brackets left
 * out: "basicdmctl metrics [--output FILE]" is "basicdmctl metrics".
 */
static size_t man_synopses(char synopses[][SYNOPSIS_LEN], size_t max)
{
	_cleanup_(freep) char *line = NULL;
	size_t size = 0, n = 0;
	bool in_synopsis = false, first_paragraph = true;
	FILE *f = fopen(BASICDMCTL_MAN_PAGE, "re");
	char entry[SYNOPSIS_LEN] = "";

	if (!f)
		fail_msg("%s: %m", BASICDMCTL_MAN_PAGE);
	while (getline(&line, &size, f) >= 0) {
		char piece[SYNOPSIS_LEN] = "";
		bool end_of_entry = false;

		line[strcspn(line, "\n")] = '\0';
		if (startswith(line, ".SH")) {
			if (in_synopsis)
				break;
			in_synopsis = streq(line, ".SH SYNOPSIS");
			continue;
		}
		if (!in_synopsis || startswith(line, ".\\\""))
			continue;
		if (streq(line, ".PP") || streq(line, ".br")) {
			end_of_entry = true;
		} else if (line[0] == '.') {
			char *request = line + 1, *args = request + strcspn(request, " ");

			if (*args)
				*args++ = '\0';
			if (strlen(request) > 2 || strspn(request, "BIR") != strlen(request))
				fail_msg("a request the test does not know in the SYNOPSIS: '.%s'",
					 request);
			font_request(request, args, piece, sizeof(piece));
		} else {
			snprintf(piece, sizeof(piece), "%s", line);
		}
		if (*piece) {
			size_t len = strlen(entry);

			assert_true(len + 1 + strlen(piece) < sizeof(entry));
			snprintf(entry + len, sizeof(entry) - len, "%s%s", len ? " " : "", piece);
		}
		if (end_of_entry) {
			if (*entry && !first_paragraph) {
				assert_true(n < max);
				strcpy(synopses[n++], entry);
			}
			*entry = '\0';
			if (streq(line, ".PP"))
				first_paragraph = false;
		}
	}
	if (*entry && !first_paragraph) {
		assert_true(n < max);
		strcpy(synopses[n++], entry);
	}
	fclose(f);
	assert_true(in_synopsis);

	for (size_t i = 0; i < n; i++) {
		char *s = synopses[i], *opt;

		unescape(s);
		/* " [--output FILE]": an option, which OPTIONS documents */
		while ((opt = strstr(s, " [-"))) {
			char *end = strchr(opt, ']');

			if (!end)
				fail_msg("'%s': '[' without its ']'", s);
			memmove(opt, end + 1, strlen(end + 1) + 1);
		}
	}
	return n;
}

static void test_man_synopsis(void **state)
{
	static char synopses[SYNOPSES_MAX][SYNOPSIS_LEN];
	char expected[SYNOPSIS_LEN];
	size_t n = man_synopses(synopses, SYNOPSES_MAX);
	bool used[SYNOPSES_MAX] = {};

	/* the parser works: the general form is left out, the others are there */
	assert_true(n > 0);
	for (const struct ctl_command *c = ctl_commands; c->words; c++) {
		size_t found = 0;

		row_synopsis(c, expected, sizeof(expected));
		for (size_t i = 0; i < n; i++)
			if (streq(synopses[i], expected)) {
				used[i] = true;
				found++;
			}
		if (found != 1)
			fail_msg("basicdmctl(8)'s SYNOPSIS has '%s' %zu times, not once", expected,
				 found);
	}
	for (size_t i = 0; i < n; i++)
		if (!used[i])
			fail_msg("basicdmctl(8)'s SYNOPSIS has '%s', which is no command of basicdmctl",
				 synopses[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_every_command),
		cmocka_unit_test(test_parse_arguments_kept),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_empty_words),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_every_request_has_a_command),
		cmocka_unit_test(test_help_layout),
		cmocka_unit_test(test_man_synopsis),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
