/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Loop devices for file-backed volumes: LOOP_CONFIGURE with autoclear, direct
 * I/O where the file allows it, read-only on request.  A file already on a
 * loop device is found and reused, never attached twice.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Creates PATH sparse with SIZE bytes when it does not exist (size 0: must exist). */
int loop_prepare_file(const char *path, uint64_t size);

/*
 * Finds the loop device backed by PATH (same st_dev and st_ino), or attaches
 * one.  On success *devnum is the loop device and *fd an open descriptor on
 * it that the caller keeps while it needs the device (autoclear detaches it
 * once the last user is gone), or -1 when the device was found attached.
 */
int loop_attach(const char *path, bool read_only, dev_t *devnum, int *fd, bool *reused);

/* The loop device currently backed by PATH: 0 and *devnum, or -ENOENT. */
int loop_find(const char *path, dev_t *devnum);

/*
 * Between these, loop_attach() and loop_find() look files up in an index of
 * the bound loop devices read once, instead of scanning every loop device
 * for every file: for a pass over many volumes (start-up, a reload).
 */
void loop_batch_begin(void);
void loop_batch_end(void);
