/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Components, the daemon's side: it keeps the marks and the claims that
 * tell udev which devices are components of its volumes.
 *
 * A device that backs a volume is a component (basicdm.conf(5),
 * COMPONENTS): udev's rules mark it not ready for systemd, its file-system
 * signature hidden, skipped by LVM, so only the map carries what is on it.
 * The daemon keeps two things in its runtime directory for the rules'
 * helper, basicdm-udev-backing: the marker of each device it maps
 * (component-mark.h), written before the table is loaded and removed once
 * no map of ours holds the device, and the claims file
 * (component-claims.h), which lets the helper mark a device before it is
 * mapped.  udev applies a changed mark at the device's next event: the
 * daemon asks for one (a "change" uevent on the device and its partitions).
 *
 * Nothing here happens before component_setup() names the directory.
 * Failures are logged here: a volume is mapped whatever becomes of its mark.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "basicdm-config.h"

/* Markers and claims under RUNTIME_DIR (made if missing); NULL: none. */
void component_setup(const char *runtime_dir);

/*
 * BACKING is about to be mapped for VOLUME: its marker is written (with the
 * disk's sequence number when sysfs has it).  True when it was not marked
 * before: once the table is loaded, the caller asks udev to look again
 * (component_trigger()).
 */
bool component_claim(dev_t backing, const char *volume);

/*
 * component_claim() for a free loop device about to be bound to VOLUME's
 * file: the binding changes its sequence number, so the marker takes any
 * until the volume claims the bound device.
 */
void component_claim_loop(dev_t loop, const char *volume);

/*
 * A volume let go of BACKING: when no map of ours holds it any more (the
 * removal was not deferred, or a failed load), its marker goes and udev is
 * asked to look again.  A device still held keeps its mark until
 * component_sweep() finds it free.
 */
void component_release(dev_t backing);

/* component_release() for every marked device: after a map went away, and at start. */
void component_sweep(void);

/* The claims file: the backings of VOLUMES (N of them), what the daemon maps or waits for. */
void component_write_claims(const struct volume_config *const *volumes, size_t n);
