/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Replacing a file that others read at any moment (udev's helper reads the
 * claims and the component marks, node_exporter the metrics file): the
 * new content goes to a file beside it, PATH.XXXXXX, which is renamed over
 * PATH, so a reader sees the old file or the new one, never a part.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* Writes the content; 0, or a negative errno that abandons the file. */
typedef int (*atomic_file_fill_t)(FILE *f, void *userdata);

/*
 * PATH becomes what FILL writes, with MODE (not masked by the umask).
 * DURABLE: synced before the rename, for a file that must survive a crash
 * (not for one in /run).  On failure PATH is untouched and the file beside
 * it removed.  0 or a negative errno.
 */
int atomic_file_write(const char *path, mode_t mode, bool durable, atomic_file_fill_t fill,
		      void *userdata);
