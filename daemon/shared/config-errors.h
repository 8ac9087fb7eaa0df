/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The list of problems a load found, each one line "file:line: reason" (or
 * "file: reason"), in the order found.  Every loader and check of the
 * configuration reports here and goes on, so that one run names every
 * mistake; a caller tells failure by the list growing.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

struct config_errors {
	char **messages;
	size_t n;
};

/*
 * Adds "FILE:LINE: message" (or "FILE: message" when LINE is 0).  A
 * control character, which can only have come from the file, is shown as
 * \xNN: a message stays one line.  0, or -ENOMEM.
 */
int config_error_add(struct config_errors *e, const char *file, int line,
		     const char *format, ...) __attribute__((format(printf, 4, 5)));
int config_error_addv(struct config_errors *e, const char *file, int line,
		      const char *format, va_list ap) __attribute__((format(printf, 4, 0)));

/* How a file that cannot be read was being read, as the report words it. */
enum config_read {
	CONFIG_READ_FILE,	/* "PATH: cannot read: reason" */
	CONFIG_READ_DIRECTORY,	/* "PATH: cannot read directory: reason" */
};

/*
 * The one report of a file or directory that cannot be read: adds it for
 * ERROR (a negative errno) and returns ERROR, or -ENOMEM when the report
 * itself cannot be stored.
 */
int config_error_cannot_read(struct config_errors *e, const char *path, enum config_read how,
			     int error);

/* Frees every message; E may be NULL.  E is empty again afterwards. */
void config_errors_clear(struct config_errors *e);
