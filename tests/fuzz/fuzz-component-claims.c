// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: component_claims_load(), what basicdm-udev-backing reads at
 * every block device's event (component-claims.h).  The input is written
 * to a file in a private directory of its own.
 *
 * What loads is sound: one volume per line that is neither a comment nor
 * empty, each with a volume's name and one backing of its kind (an
 * absolute path, or KEY=VALUE pairs with a key and no "=" in it), and no
 * NUL byte in the input.  It writes back (component_claims_write()) as
 * printable ASCII lines that load again to the same volumes, and those
 * write back to the same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "component-claims.h"
#include "fuzz-common.h"
#include "test-files.h"
#include "util.h"

static char dir[4096], path[4200], again[4200], again2[4200];

static void cleanup(void)
{
	unlink(path);
	unlink(again);
	unlink(again2);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/fuzz-claims-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	FUZZ_ASSERT(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/claims", dir);
	snprintf(again, sizeof(again), "%s/again", dir);
	snprintf(again2, sizeof(again2), "%s/again2", dir);
	atexit(cleanup);
	return 0;
}

/* Lines the loader makes a volume of: neither empty nor a comment. */
static size_t volume_lines(const uint8_t *data, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < size;) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t end = nl ? (size_t)(nl - data) : size;

		if (end > i && data[i] != '#')
			n++;
		i = end + 1;
	}
	return n;
}

static void check_volume(const struct volume_config *v)
{
	FUZZ_ASSERT(volume_name_valid(v->name));
	switch (v->kind) {
	case BACKING_FILE:
		FUZZ_ASSERT(v->file && v->file[0] == '/' && !v->device && v->n_match == 0);
		break;
	case BACKING_DEVICE:
		FUZZ_ASSERT(v->device && v->device[0] == '/' && !v->file && v->n_match == 0);
		break;
	case BACKING_MATCH:
		FUZZ_ASSERT(!v->file && !v->device && v->n_match > 0 && v->match);
		for (size_t i = 0; i < v->n_match; i++) {
			FUZZ_ASSERT(v->match[i].key && v->match[i].key[0]);
			FUZZ_ASSERT(!strchr(v->match[i].key, '='));
			FUZZ_ASSERT(v->match[i].value);
		}
		break;
	default:
		FUZZ_ASSERT(!"unknown backing kind");
	}
}

static void check_same_volume(const struct volume_config *a, const struct volume_config *b)
{
	FUZZ_ASSERT(streq(a->name, b->name) && a->kind == b->kind);
	FUZZ_ASSERT(streq_ptr(a->file, b->file) && streq_ptr(a->device, b->device));
	FUZZ_ASSERT(a->n_match == b->n_match);
	for (size_t i = 0; i < a->n_match; i++) {
		FUZZ_ASSERT(streq(a->match[i].key, b->match[i].key));
		FUZZ_ASSERT(streq(a->match[i].value, b->match[i].value));
	}
}

/* C's volumes written to TO: 0, and the file's text in *TEXT. */
static void write_back(const struct config *c, const char *to, char **text)
{
	const struct volume_config **all = calloc(c->n_volumes + 1, sizeof(*all));

	FUZZ_ASSERT(all);
	for (size_t i = 0; i < c->n_volumes; i++)
		all[i] = &c->volumes[i];
	FUZZ_ASSERT(component_claims_write(to, all, c->n_volumes) == 0);
	free(all);
	*text = read_file(to);
	FUZZ_ASSERT(*text);
	/* printable ASCII lines: every byte of a field that is not is escaped */
	for (const char *p = *text; *p; p++)
		FUZZ_ASSERT(*p == '\n' || (*p >= ' ' && *p < 0x7f));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL, *back = NULL;
	char *text = NULL, *text2 = NULL;
	int r;

	FUZZ_ASSERT(write_file(path, data, size, 0600) == 0);
	r = component_claims_load(path, &c);
	if (r < 0) {
		FUZZ_ASSERT(r == -EINVAL || r == -ENOMEM);
		return 0;
	}
	FUZZ_ASSERT(r == 0 && c);
	FUZZ_ASSERT(!memchr(data, '\0', size));
	FUZZ_ASSERT(c->n_volumes == volume_lines(data, size));
	for (size_t i = 0; i < c->n_volumes; i++)
		check_volume(&c->volumes[i]);

	write_back(c, again, &text);
	FUZZ_ASSERT(component_claims_load(again, &back) == 0);
	FUZZ_ASSERT(back->n_volumes == c->n_volumes);
	for (size_t i = 0; i < c->n_volumes; i++)
		check_same_volume(&c->volumes[i], &back->volumes[i]);
	write_back(back, again2, &text2);
	FUZZ_ASSERT(streq(text, text2));

	free(text);
	free(text2);
	config_free(back);
	config_free(c);
	return 0;
}
