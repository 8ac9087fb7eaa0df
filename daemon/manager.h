/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's state: the sd-event loop, the udev watch, the current
 * configuration and one struct volume per configured volume.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "udev-watch.h"
#include "volume.h"

struct manager {
	sd_event *event;
	struct udev_watch *udev;
	char *config_path;
	char *dropin_dir;
	struct config *config;
	struct volume **volumes;
	size_t n_volumes;
	bool ready;
	sd_event_source *ready_timer;
};

int manager_new(const char *config_path, const char *dropin_dir, struct manager **ret);
struct manager *manager_free(struct manager *m);

/* Loads the configuration, adopts existing maps, attaches what is there, coldplugs. */
int manager_start(struct manager *m);
int manager_run(struct manager *m);

/* SIGHUP: apply the difference to a new configuration, or refuse it whole. */
int manager_reload(struct manager *m);

struct volume *manager_find_volume(struct manager *m, const char *name);
