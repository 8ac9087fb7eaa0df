/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Settings as written, before any is judged.  Both syntaxes are first
 * turned into this same tree (config-libconfig.h, config-ini.h), so that
 * one validator (config-validate.h) gives the same answer and the same
 * message for the same mistake in either file.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config-model.h"

enum raw_kind {
	RAW_TEXT,	/* INI: untyped text, read as the key's type */
	RAW_STRING,
	RAW_INTEGER,
	RAW_BOOLEAN,
	RAW_FLOAT,
	RAW_LIST,	/* libconfig list or array */
	RAW_GROUP,
};

/*
 * One setting as written.  The root is a group of volumes, each volume a
 * group of settings; "match" is a group of udev properties.
 */
struct raw_setting {
	char *key;		/* NULL for the root and for volumes */
	enum raw_kind kind;
	char *text;		/* RAW_TEXT, RAW_STRING */
	long long integer;	/* RAW_INTEGER */
	bool boolean;		/* RAW_BOOLEAN */
	struct raw_setting *members; /* RAW_GROUP */
	size_t n_members;
	struct source_location where;
};

/*
 * Appends a zeroed member of KIND to GROUP, with copies of KEY (may be
 * NULL) and FILE; NULL when memory runs out.  The pointer lives until the
 * next append to GROUP.
 */
struct raw_setting *raw_setting_append(struct raw_setting *group, const char *key,
				       enum raw_kind kind, const char *file, int line);

/* Frees what S holds, members and all, and zeroes it: S itself stays. */
void raw_setting_done(struct raw_setting *s);
