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

/*
 * Makes PATH hold SIZE bytes, sparse: creates it when it does not exist
 * (size 0: it must exist) and grows it when it is smaller and GROW is set.
 * Never shrinks it.  -ENOSPC when its file system has no room for the
 * bytes added.
 *
 * Every file here is opened as backing-trust.h has it: its directories
 * judged from / down, the file in the last of them with O_NOFOLLOW and
 * judged on its descriptor, which is the one grown or bound.  A file
 * refused (-ELOOP for a symbolic link, -EPERM for a file or directory
 * someone but root could change) is logged with its fix.  A missing file
 * is created with O_CREAT | O_EXCL | O_NOFOLLOW; one that appeared
 * meanwhile is judged as it is, and left as it is.
 */
int loop_prepare_file(const char *path, uint64_t size, bool grow);

/*
 * Has loop device LOOP take the size its FILE has now, after the file grew
 * under it (LOOP_SET_CAPACITY).  Only when the sizes differ: the kernel
 * sends a change event for the device even when its size stays, and udev
 * would probe it again for nothing.  1 when it resized, 0 when the sizes
 * agreed, -ESTALE when FILE is not the file LOOP is bound to, or a
 * negative errno.
 */
int loop_follow_file(dev_t loop, const char *file);

/*
 * The bound loop devices indexed by backing inode, read once when first
 * needed: for a pass over many volumes (start-up, a reload), instead of
 * scanning every loop device for every file.  An entry is only a hint,
 * checked against the device before it is used.  The caller owns it for one
 * pass; NULL, also what loop_index_new() returns when out of memory, means
 * "scan".
 */
struct loop_index;

struct loop_index *loop_index_new(void);
struct loop_index *loop_index_free(struct loop_index *idx);
static inline void loop_index_freep(struct loop_index **idx)
{
	loop_index_free(*idx);
}

/*
 * Told about a free loop device before PATH is bound to it (BIND true), so
 * the events of the binding see what it did, and again (BIND false) when
 * the device was taken by someone else meanwhile.
 */
struct loop_bind_hook {
	void (*fn)(dev_t loop, bool bind, void *userdata);
	void *userdata;
};

/*
 * Opens PATH (as loop_prepare_file() does, for reading only when
 * READ_ONLY) and finds the loop device backed by the file opened (same
 * st_dev and st_ino), through IDX when not NULL, or binds that descriptor
 * to a free one, telling HOOK (NULL: nobody) first.  On
 * success *devnum is the loop device, *reused says whether it was found
 * attached, and *fd is an open descriptor on it that the caller keeps while
 * it needs the device (autoclear detaches it once the last user is gone),
 * or -1 when it was found attached.
 */
int loop_attach(struct loop_index *idx, const char *path, bool read_only,
		const struct loop_bind_hook *hook, dev_t *devnum, int *fd, bool *reused);
