/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which volumes were deactivated on request, as empty files
 * DIR/inactive/NAME in the daemon's runtime directory: a daemon restarted
 * after a crash must not bring back what the administrator took down,
 * while a reboot (or systemctl stop, which empties the runtime
 * directory) forgets them.
 */
#pragma once

#include <stdbool.h>

/* Marks NAME inactive (ON) or clears the mark; 0 or a negative errno. */
int inactive_mark(const char *dir, const char *name, bool on);
bool inactive_is_marked(const char *dir, const char *name);
