// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: the main configuration file, through config_load() as the
 * daemon calls it (config-source.c's scanner, which puts the @includes in
 * place and writes the integers again, libconfig, the validator).  The
 * input is written to a file in a private directory of its own; so that
 * no input reads what lies outside, an @include may only name a relative
 * path without "..": the directory holds inc.conf, a volume of its own.
 *
 * Besides fuzz-common.h's promises: our scanner agrees with libconfig's,
 * so libconfig never meets an @include or an integer it left alone, and
 * every volume is placed on a line of main.conf or inc.conf.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fuzz-common.h"
#include "util.h"

static char dir[4096], path[4200], inc[4200];

static void cleanup(void)
{
	unlink(path);
	unlink(inc);
	rmdir(dir);
}

static void write_file(const char *p, const uint8_t *data, size_t size)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	FUZZ_ASSERT(fd >= 0);
	while (size > 0) {
		ssize_t n = write(fd, data, size);

		FUZZ_ASSERT(n > 0);
		data += n;
		size -= (size_t)n;
	}
	FUZZ_ASSERT(fchmod(fd, 0600) == 0);
	close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char inc_text[] = "{ name = \"inc\"; device = \"/dev/vdz\"; }\n";
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/fuzz-libconfig-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	FUZZ_ASSERT(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	snprintf(inc, sizeof(inc), "%s/inc.conf", dir);
	write_file(inc, (const uint8_t *)inc_text, strlen(inc_text));
	atexit(cleanup);
	return 0;
}

/* Every "@include" must be followed by blanks and a harmless "relative/path". */
static int includes_confined(const uint8_t *data, size_t size)
{
	static const char word[] = "@include";
	const uint8_t *p = data, *end = data + size;

	while ((p = memmem(p, (size_t)(end - p), word, strlen(word)))) {
		const uint8_t *q = p + strlen(word), *name;

		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q == p + strlen(word) || q >= end || *q != '"')
			return 0;
		name = ++q;
		while (q < end && *q != '"') {
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/", *q) ||
			    *q == '\0')
				return 0;
			q++;
		}
		if (q >= end || q == name || *name == '/' ||
		    memmem(name, (size_t)(q - name), "..", 2))
			return 0;
		p = q;
	}
	return 1;
}

/* Lines a volume may be placed on in a file of SIZE bytes. */
static int lines_of(const uint8_t *data, size_t size)
{
	int n = 1;

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

/* libconfig's own words for an @include it met, and ours for an integer it read alone. */
static void check_scanned_alike(const struct config_errors *errors)
{
	static const char include[] = ": cannot open include file";

	for (size_t i = 0; i < errors->n; i++) {
		const char *m = errors->messages[i];
		size_t len = strlen(m);

		FUZZ_ASSERT(len < strlen(include) || !streq(m + len - strlen(include), include));
		FUZZ_ASSERT(!strstr(m, "scanner missed"));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors errors = {};
	struct config *c = NULL;
	int r;

	if (!includes_confined(data, size))
		return 0;
	write_file(path, data, size);

	r = config_load_owned_by(path, NULL, getuid(), &c, &errors);
	fuzz_check_errors(&errors);
	check_scanned_alike(&errors);
	if (r == 0) {
		FUZZ_ASSERT(errors.n == 0);
		fuzz_check_config(c);
		for (size_t i = 0; i < c->n_volumes; i++) {
			const struct source_location *w = &c->volumes[i].where;

			if (streq(w->file, inc))
				FUZZ_ASSERT(w->line == 1);
			else
				FUZZ_ASSERT(streq(w->file, path) && w->line >= 1 &&
					    w->line <= lines_of(data, size));
		}
	} else {
		FUZZ_ASSERT(r < 0 && !c && errors.n > 0);
	}
	config_free(c);
	config_errors_clear(&errors);
	return 0;
}
