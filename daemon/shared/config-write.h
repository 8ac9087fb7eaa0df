/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A volume's definition written back as libconfig text that config_load()
 * reads as the same volume: what the initramfs activates (basicdmd
 * --initramfs-config), and what basicdmd --check compares it with.  One
 * volume is one line, so two definitions are equal exactly when their
 * lines are.
 */
#pragma once

#include <stdio.h>

#include "config-model.h"

/*
 * V as one group on one line, no newline, in *RET (malloc'ed): its name,
 * backing, offset, sectors, read_only and trace, and latency_histogram
 * "off" (the initramfs keeps no statistics; the daemon sets them up when
 * it adopts the map).  Strings escaped: \\, \" and \xNN for control
 * bytes.  -EINVAL for a match property whose name libconfig cannot write
 * (a drop-in may name one), -ENOMEM.
 */
int config_volume_line(const struct volume_config *v, char **ret);
