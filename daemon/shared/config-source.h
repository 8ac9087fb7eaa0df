/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The text libconfig parses for the main file, prepared so that libconfig
 * 1.5 (Debian 12) and 1.7 (Debian 13) read the same settings from it, with
 * the same errors on the same lines:
 *   - every @include is put in place here: the file opened, judged with
 *     config_check_trusted() and read by us, its name relative to the main
 *     file's directory (1.5 joins even an absolute name to that directory,
 *     and names a file as written; 1.7 as joined);
 *   - every integer is written again in decimal with an L suffix, so that
 *     neither release cuts it to 32 bits (1.5 a plain decimal number, both
 *     a plain hexadecimal one) or takes another reading of it;
 *   - a comma that ends a list or array, or follows another comma there,
 *     is dropped (1.7 allows it, 1.5 does not);
 *   - every file ends with a line break (1.5 refuses a # comment at the
 *     very end).
 * What the releases read differently and cannot be written again is
 * refused with its line: a number with a leading 0 (octal to 1.7, decimal
 * to 1.5), a number past 64 bits, \x00 in a string, a NUL byte, a string
 * or a comment still open at the end of a file, an @include file name
 * with a backslash or control character, @include nested deeper than
 * libconfig allows (10) or of a file being read already (it would be read
 * again inside itself to that depth), and an @include of what is not a
 * regular file (both releases end the process on a directory).
 *
 * Each line of the text comes from one line of one file:
 * config_source_where() says which.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "config-errors.h"

struct config_source_span;

struct config_source {
	char *text;		/* for config_read_string(); NULL when refused */
	size_t size;
	int lines;		/* its line breaks: it ends with one */
	char **files;		/* the main file's path, then each included file's */
	size_t n_files;
	struct config_source_span *spans;
	size_t n_spans;
};

/*
 * Prepares the text of PATH, read from F (opened and judged by the
 * caller), with what it includes judged as OWNER's files.  0 and
 * S->text; 0 and S->text NULL when the problems found are in ERRORS (the
 * text is not to be parsed: as a syntax error, no failure); -EPERM when an
 * included file is not trusted, -ENOMEM, or another negative errno when a
 * file cannot be read, reported in ERRORS.  config_source_done() frees S
 * in every case.
 */
int config_source_read(const char *path, FILE *f, uid_t owner, struct config_source *s,
		       struct config_errors *errors);

/*
 * The file and line that line LINE of S->text was written on.  A line
 * past the end (libconfig's line for an unexpected end of the text) is
 * the main file's last line.
 */
void config_source_where(const struct config_source *s, int line, const char **file,
			 int *file_line);

/* Frees what S holds and zeroes it. */
void config_source_done(struct config_source *s);
