// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: config_validate() on a tree of raw settings decoded from the
 * input, so that every kind of value reaches every rule, including the
 * ones neither parser produces often (floats, lists, groups in odd
 * places, negative numbers).  The input is text, one setting a
 * line, so that seeds are easy to write and mutations stay meaningful:
 *
 *   file NAME        later settings come from NAME (for "file:line")
 *   volume           starts a volume (one is started when needed)
 *   KEY=T:VALUE      a setting of kind T:
 *                      s string, t INI text, i integer (strtoll of VALUE),
 *                      b boolean (VALUE 1 or not), f float, l list,
 *                      g group
 *   KEY=g:           opens a group, "}" closes it (depth 3 at most)
 *
 * The line number of a setting is the line of the input.  A model the
 * validator accepts must keep every promise of fuzz-common.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config-validate.h"
#include "fuzz-common.h"

#define DEPTH_MAX 3

struct decoder {
	struct raw_setting root;
	size_t stack_index[DEPTH_MAX + 1];	/* member index of each open group in its parent */
	size_t depth;				/* 0: no volume open */
	char file[64];
};

/* Appends may move members: walk down from the root by index again. */
static struct raw_setting *open_group(struct decoder *d)
{
	struct raw_setting *g = &d->root;

	for (size_t i = 0; i < d->depth; i++)
		g = &g->members[d->stack_index[i]];
	return g;
}

static void begin_volume(struct decoder *d, int line)
{
	FUZZ_ASSERT(raw_setting_append(&d->root, NULL, RAW_GROUP, d->file, line));
	d->stack_index[0] = d->root.n_members - 1;
	d->depth = 1;
}

static void decode_setting(struct decoder *d, char *text, int line)
{
	char *eq = strchr(text, '='), *value;
	struct raw_setting *group, *s;
	enum raw_kind kind;
	char type;

	if (!eq || eq[1] == '\0' || eq[2] != ':')
		return;
	*eq = '\0';
	type = eq[1];
	value = eq + 3;

	switch (type) {
	case 's': kind = RAW_STRING; break;
	case 't': kind = RAW_TEXT; break;
	case 'i': kind = RAW_INTEGER; break;
	case 'b': kind = RAW_BOOLEAN; break;
	case 'f': kind = RAW_FLOAT; break;
	case 'l': kind = RAW_LIST; break;
	case 'g': kind = RAW_GROUP; break;
	default: return;
	}
	if (d->depth == 0)
		begin_volume(d, line);

	group = open_group(d);
	s = raw_setting_append(group, text, kind, d->file, line);
	FUZZ_ASSERT(s);
	switch (kind) {
	case RAW_STRING:
	case RAW_TEXT:
		s->text = strdup(value);
		FUZZ_ASSERT(s->text);
		break;
	case RAW_INTEGER:
		s->integer = strtoll(value, NULL, 0);
		break;
	case RAW_BOOLEAN:
		s->boolean = value[0] == '1';
		break;
	case RAW_GROUP:
		if (d->depth <= DEPTH_MAX) {
			d->stack_index[d->depth] = group->n_members - 1;
			d->depth++;
		}
		break;
	default:
		break;
	}
}

static void decode(struct decoder *d, char *text)
{
	int line = 0;

	for (char *next; text; text = next) {
		next = strchr(text, '\n');
		if (next)
			*next++ = '\0';
		line++;

		if (strncmp(text, "file ", 5) == 0)
			snprintf(d->file, sizeof(d->file), "%s", text + 5);
		else if (strcmp(text, "volume") == 0)
			begin_volume(d, line);
		else if (strcmp(text, "}") == 0) {
			if (d->depth > 1)
				d->depth--;
		} else
			decode_setting(d, text, line);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decoder d = { .file = "fuzz.conf" };
	struct config_errors errors = {};
	struct config *c;
	char *text;
	int r;

	/* a NUL ends the text there: no setting could hold one */
	text = malloc(size + 1);
	FUZZ_ASSERT(text);
	memcpy(text, data, size);
	text[size] = '\0';
	decode(&d, text);
	free(text);

	c = calloc(1, sizeof(*c));
	FUZZ_ASSERT(c);
	r = config_validate(&d.root, c, &errors);
	FUZZ_ASSERT(r == 0);
	fuzz_check_errors(&errors);
	if (errors.n == 0) {
		FUZZ_ASSERT(c->n_volumes == d.root.n_members);
		fuzz_check_config(c);
	}

	config_free(c);
	raw_setting_done(&d.root);
	config_errors_clear(&errors);
	return 0;
}
