/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * StrictModes for backing files, as config-trust.h has it for the
 * configuration: whoever can write the file under a map, or replace it,
 * can read and change the volume's data behind the map, and have basicdmd
 * grow or attach a file of theirs choosing.  So a backing file, and every
 * directory above it up to /, must belong to root (or to OWNER, for tests
 * run by someone else) and be writable by neither group nor others.  A
 * sticky directory (/tmp, mode 1777) may be writable by others: they
 * cannot remove or rename the trusted file, or directory, in it.
 *
 * The path's last component is never followed: a symbolic link there is
 * refused, naming the file it points to.  A symbolic link among the
 * directories is resolved once, as realpath(3) would, and the directories
 * it leads to are the ones judged and used; the link itself must be root's
 * (in a directory judged already), or whoever made it could point it
 * elsewhere, at another volume's file say.  Each directory is opened from
 * / down with O_PATH | O_NOFOLLOW in the one judged before it and judged
 * with fstat(), and the file is opened relative to the last one with
 * O_NOFOLLOW and judged with fstat() on that descriptor.  What was judged
 * is what the caller uses.
 *
 * Each refusal is one sentence in *REASON (malloc'ed) that names the path,
 * its owner or mode and the command that fixes it, e.g. "/srv/v.img is
 * writable by others (mode 0666); refusing it: chmod o-w /srv/v.img".
 */
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

/*
 * Opens the directory that holds PATH (absolute) after judging it and
 * every directory above it.  0, with its O_PATH descriptor in *DIR_FD and
 * PATH's last component in *NAME (malloc'ed); -EPERM with *REASON when a
 * directory, or a symbolic link on the way, is not trusted; another
 * negative errno when one cannot be opened (-ENOENT: it does not exist;
 * -ENOTDIR, -ELOOP, -ENOMEM).
 */
int backing_trust_open_dir(const char *path, uid_t owner, int *dir_fd, char **name,
			   char **reason);

/*
 * Opens NAME in DIR_FD (backing_trust_open_dir()) with FLAGS: O_PATH to
 * judge only, or O_RDONLY or O_RDWR to use it (O_NOFOLLOW, O_CLOEXEC,
 * O_NOCTTY and O_NONBLOCK are added; the caller clears O_NONBLOCK if it
 * wants), and judges what was opened; PATH names it in *REASON.  The
 * descriptor, with its fstat() in ST; or -ELOOP with *REASON for a
 * symbolic link, -EPERM with *REASON when not trusted, -EISDIR or -EINVAL
 * for a directory or anything else that is not a regular file, -ESTALE
 * when it was replaced while being opened, or the errno of the open.
 */
int backing_trust_open_file(int dir_fd, const char *name, const char *path, int flags,
			    uid_t owner, struct stat *st, char **reason);

/* Both: backing file PATH opened with FLAGS, as backing_trust_open_file() returns it. */
int backing_trust_open(const char *path, int flags, uid_t owner, struct stat *st, char **reason);

/*
 * The rule for the file itself, ST its fstat(): 0, or -EPERM with *REASON.
 * For a file the caller has just created (O_CREAT | O_EXCL) in a directory
 * from backing_trust_open_dir().
 */
int backing_trust_check_file(const char *path, const struct stat *st, uid_t owner,
			     char **reason);
