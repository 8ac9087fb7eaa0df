/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by config.c (libconfig), config-ini.c (inih) and config-validate.c.
 * Both syntaxes are first turned into the same tree of settings as written,
 * so that one validator gives the same answer and the same message for the
 * same mistake in either file.
 */
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "config.h"

enum raw_kind {
	RAW_TEXT,	/* INI: untyped text, read as the key's type */
	RAW_STRING,
	RAW_INTEGER,
	RAW_TRUNCATED,	/* libconfig < 1.7 cut this integer to 32 bits; text holds the literal */
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
	char *text;		/* RAW_TEXT, RAW_STRING, RAW_TRUNCATED */
	long long integer;	/* RAW_INTEGER */
	bool boolean;		/* RAW_BOOLEAN */
	struct raw_setting *members; /* RAW_GROUP */
	size_t n_members;
	struct source_location where;
};

/* Appends a zeroed member to GROUP; the pointer lives until the next append. */
struct raw_setting *raw_setting_append(struct raw_setting *group, const char *key,
				       enum raw_kind kind, const char *file, int line);
void raw_setting_done(struct raw_setting *s);

void volume_config_done(struct volume_config *v);

/* Adds "FILE:LINE: message" (or "FILE: message" when LINE is 0). */
int config_error_add(struct config_errors *e, const char *file, int line,
		     const char *format, ...) __attribute__((format(printf, 4, 5)));
int config_error_addv(struct config_errors *e, const char *file, int line,
		      const char *format, va_list ap) __attribute__((format(printf, 4, 0)));

/*
 * StrictModes, as sshd has it: PATH, as fstat() saw it in ST, must belong
 * to OWNER and be writable by neither group nor others.  Returns 0, or
 * -EPERM with each problem in ERRORS as "PATH: reason; refusing it: fix".
 */
int config_check_trusted(const char *path, const struct stat *st, uid_t owner,
			 struct config_errors *errors);

/*
 * Opens NAME (relative to DIR_FD, or AT_FDCWD) for reading and judges what
 * was opened with config_check_trusted(); PATH names it in messages.  0
 * and *RET the stream, or 0 and NULL for a directory (the caller decides
 * whether that is an error); a negative errno, reported in ERRORS, when it
 * cannot be read or is not trusted.
 */
int config_open_trusted(int dir_fd, const char *name, const char *path, uid_t owner,
			struct config_errors *errors, FILE **ret);

/*
 * Appends the volumes of every *.conf in DIR to ROOT.  Mistakes go to
 * ERRORS and parsing goes on; returns a negative errno only when a file
 * cannot be read at all, is refused by config_check_trusted() (as is DIR
 * itself), or memory runs out.  A missing DIR is fine.
 */
int config_ini_load_dir(const char *dir, uid_t owner, struct raw_setting *root,
			struct config_errors *errors);

/*
 * One drop-in, already opened and judged, read from F; PATH names it in
 * messages.  Returns as config_ini_load_dir() does.
 */
int config_ini_load_file(FILE *f, const char *path, struct raw_setting *root,
			 struct config_errors *errors);

/*
 * Checks every volume of ROOT and appends it to C.  Every problem goes to
 * ERRORS; returns a negative errno only when memory runs out.  C may hold
 * half-checked volumes when ERRORS grew: the caller discards it then.
 */
int config_validate(const struct raw_setting *root, struct config *c, struct config_errors *errors);
