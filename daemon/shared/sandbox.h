/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What basicdm.service's sandbox lets the daemon reach, as one rule for
 * the generator that opens it up, the checks that warn the administrator
 * and the daemon itself.  The unit (units/basicdm.service.in) mounts the
 * whole file system read-only (ProtectSystem=strict) but for its state
 * directory and the directories basicdm-generator lists in ReadWritePaths=
 * from the configured file volumes; /home, /root and /run/user are out of
 * reach altogether (ProtectHome=yes), whatever ReadWritePaths= says.  The
 * generator never lists a system directory such as /etc or /usr, nor /
 * itself (sandbox_closed_dir()): that would undo ProtectSystem=strict.
 */
#pragma once

#include <stdbool.h>

#include "config-model.h"

/* The unit's StateDirectory=: always writable, created by systemd at start. */
#define SANDBOX_STATE_DIR "/var/lib/basicdm"

/* Where the generated drop-in goes in the generator's output directory. */
#define SANDBOX_DROPIN_DIR "basicdm.service.d"
#define SANDBOX_DROPIN_NAME "50-backing-files.conf"

/*
 * The directory ProtectHome= hides that PATH lies in ("/home"), or NULL
 * when PATH is outside all of them.
 */
const char *sandbox_hidden_root(const char *path);

/*
 * Why DIR must never be opened for writing, whatever the configuration
 * says: the system directory it is or lies below ("/etc" for "/etc" and
 * "/etc/x"; the same for /usr, /boot, /efi, /proc, /sys, /dev and /run),
 * *SHARED false; or the shared directory it is ("/", "/var" or "/var/lib"
 * themselves, not what is below them: "/srv" and "/var/lib/vm" are fine),
 * *SHARED true.  NULL when DIR may be opened.  DIR is judged as written:
 * the validator refuses a path with "..", "." or "//" components, and the
 * generator leaves such a directory out.
 */
const char *sandbox_closed_dir(const char *dir, bool *shared);

/*
 * Where DIR leads once its symbolic links are followed, as systemd follows
 * them for ReadWritePaths=, when that is a directory sandbox_closed_dir()
 * refuses: "/srv/images" that is a link to /etc gives "/etc", malloc'ed.
 * NULL when DIR leads elsewhere, or does not exist (yet).
 */
char *sandbox_closed_target(const char *dir);

/*
 * The directory that file volume V needs to write in, malloc'ed in *RET:
 * the file's directory, since a missing file is created there.  *RET is
 * NULL when V needs no write access (read_only, or not a file volume).
 * Returns 0 or -ENOMEM.
 */
int sandbox_write_dir(const struct volume_config *v, char **ret);

/* True when the unit can write in DIR without a ReadWritePaths= entry. */
bool sandbox_dir_always_writable(const char *dir);
