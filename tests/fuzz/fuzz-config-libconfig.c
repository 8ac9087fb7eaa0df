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
 * every volume is placed on a line of main.conf or inc.conf.  Without an
 * @include, libconfig reads the input itself as well: whatever it
 * accepts, it accepts as we prepared it too, with the same settings on
 * the same lines (check_same_reading()).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "basicdm-config.h"
#include "config-source.h"
#include "fuzz-common.h"
#include "test-files.h"
#include "util.h"

static char dir[4096], path[4200], inc[4200];

static void cleanup(void)
{
	unlink(path);
	unlink(inc);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char inc_text[] = "{ name = \"inc\"; device = \"/dev/vdz\"; }\n";
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/fuzz-libconfig-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	FUZZ_ASSERT(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	snprintf(inc, sizeof(inc), "%s/inc.conf", dir);
	FUZZ_ASSERT(write_text(inc, inc_text, 0600) == 0);
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

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && streq(s + n - k, suffix);
}

/*
 * libconfig's own words for an @include it met, and ours for an integer
 * it read alone.  Both end the message, where no message ends with text
 * from the input (that is always quoted).
 */
static void check_scanned_alike(const struct config_errors *errors)
{
	for (size_t i = 0; i < errors->n; i++) {
		FUZZ_ASSERT(!ends_with(errors->messages[i], ": cannot open include file"));
		FUZZ_ASSERT(!ends_with(errors->messages[i], "please report this as a bug"));
	}
}

/*
 * A setting libconfig read from the input itself (RAW) and from the text
 * config-source.c made of it (OURS): the same name, line and value, but
 * that each integer of ours is 64 bits wide, of which a plain integer of
 * RAW may hold only the low 32 (libconfig 1.5 cuts a plain decimal, both
 * releases a plain hexadecimal number).
 */
static void check_same_setting(const config_setting_t *raw, const config_setting_t *ours)
{
	int type = config_setting_type(raw);
	double a, b;

	FUZZ_ASSERT(config_setting_source_line(raw) == config_setting_source_line(ours));
	FUZZ_ASSERT(streq_ptr(config_setting_name(raw), config_setting_name(ours)));
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		FUZZ_ASSERT(config_setting_type(ours) == CONFIG_TYPE_INT64);
		if (type == CONFIG_TYPE_INT)
			FUZZ_ASSERT(config_setting_get_int(raw) ==
				    (int32_t)config_setting_get_int64(ours));
		else
			FUZZ_ASSERT(config_setting_get_int64(raw) == config_setting_get_int64(ours));
		return;
	case CONFIG_TYPE_FLOAT:
		a = config_setting_get_float(raw);
		b = config_setting_get_float(ours);
		FUZZ_ASSERT(config_setting_type(ours) == type && memcmp(&a, &b, sizeof(a)) == 0);
		return;
	case CONFIG_TYPE_STRING:
		FUZZ_ASSERT(config_setting_type(ours) == type);
		FUZZ_ASSERT(streq(config_setting_get_string(raw), config_setting_get_string(ours)));
		return;
	case CONFIG_TYPE_BOOL:
		FUZZ_ASSERT(config_setting_type(ours) == type);
		FUZZ_ASSERT(config_setting_get_bool(raw) == config_setting_get_bool(ours));
		return;
	}
	FUZZ_ASSERT(config_setting_type(ours) == type);
	FUZZ_ASSERT(config_setting_length(raw) == config_setting_length(ours));
	for (int i = 0; i < config_setting_length(raw); i++)
		check_same_setting(config_setting_get_elem(raw, i), config_setting_get_elem(ours, i));
}

/* The input, with no @include: libconfig's own reading of it against ours. */
static void check_same_reading(const uint8_t *data, size_t size)
{
	struct config_source source = {};
	struct config_errors errors = {};
	_cleanup_(freep) char *text = NULL;
	config_t raw, ours;
	FILE *f;

	if (memchr(data, '\0', size) || memmem(data, size, "@include", strlen("@include")))
		return;
	text = strndup((const char *)data, size);
	FUZZ_ASSERT(text);
	f = fopen(path, "re");
	FUZZ_ASSERT(f);
	FUZZ_ASSERT(config_source_read(path, f, getuid(), &source, &errors) == 0);
	fclose(f);

	config_init(&raw);
	config_init(&ours);
	if (config_read_string(&raw, text) && source.text) {
		FUZZ_ASSERT(config_read_string(&ours, source.text));
		check_same_setting(config_root_setting(&raw), config_root_setting(&ours));
	}
	config_destroy(&raw);
	config_destroy(&ours);
	config_source_done(&source);
	config_errors_clear(&errors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors errors = {};
	struct config *c = NULL;
	int r;

	if (!includes_confined(data, size))
		return 0;
	FUZZ_ASSERT(write_file(path, data, size, 0600) == 0);

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

	check_same_reading(data, size);
	return 0;
}
