/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * basicdmd's two jobs for the initramfs (initramfs-tools: hooks/basicdm
 * and scripts/local-top/basicdm, doc/root-on-a-volume.md):
 *
 * - when the image is built, the definitions of the volumes that hold the
 *   root file system (and /usr), written as a configuration file of their
 *   own (config-write.h) that goes into the image;
 * - at boot, before the root is mounted, one pass of the daemon's own
 *   start-up over that file: the same loader, matcher and table code.  It
 *   returns once every volume is active, and the maps stay for basicdm.service
 *   to adopt after the switch to the real root.
 */
#pragma once

#include <stddef.h>

/*
 * The file the image holds: the volumes NAMES (N of them) of the
 * configuration CONFIG_PATH, to stdout.  Every problem on stderr; returns
 * an exit status.
 */
int initramfs_print_config(const char *config_path, char *const *names, size_t n);

/*
 * Activates every volume of CONFIG_PATH, logging to the kernel's log.
 * Exit status 0 once all are active; otherwise 1, after TIMEOUT_SEC or as
 * soon as one fails, with one line on stdout for each volume that is not
 * active: its name and what it waits for, or why it failed; or, when the
 * file does not load, one line for each of its problems (FILE:LINE: why).
 */
int initramfs_activate(const char *config_path, unsigned timeout_sec);
