/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's state: the sd-event loop, the block watch, the current
 * configuration and one struct volume per configured volume.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "basicdm-config.h"
#include "control-server.h"
#include "block-watch.h"
#include "reload-plan.h"
#include "volume.h"

struct manager {
	sd_event *event;
	struct block_watch *block_watch;
	char *config_path;
	char *dropin_dir;
	char *runtime_dir;	/* control socket, inactive marks; NULL: neither */
	control_handler_fn control_handler;	/* answers basicdmctl */
	struct control *control;
	struct config *config;
	struct volume **volumes;
	size_t n_volumes;
	bool started;	/* the start-up pass (adoption, attach, coldplug) is over */
	bool ready;	/* READY=1 sent */
	bool until_active;	/* the initramfs's pass: stops once every volume is active */
	sd_event_source *ready_timer;
	uint64_t watchdog_usec;	/* WatchdogSec=; 0: no watchdog */
	uint64_t watchdog_pinged_usec;	/* CLOCK_MONOTONIC of our last ping */
	char status[128];	/* the STATUS= systemd has */
};

/*
 * CONTROL_HANDLER answers the control socket's requests, with the manager
 * as userdata; NULL: no control socket (the initramfs's pass).
 */
int manager_new(const char *config_path, const char *dropin_dir, const char *runtime_dir,
		control_handler_fn control_handler, struct manager **ret);
struct manager *manager_free(struct manager *m);

/*
 * Loads the configuration, adopts existing maps, attaches what is there,
 * coldplugs.  ERRORS, when not NULL, gets the configuration's problems
 * (they are logged either way): the initramfs names them on its console.
 */
int manager_start(struct manager *m, struct config_errors *errors);
int manager_run(struct manager *m);
/*
 * The initramfs's pass, after manager_start(): returns 0 once every volume
 * is active, -EIO as soon as one has failed, -ETIMEDOUT after TIMEOUT_USEC.
 */
int manager_run_until_active(struct manager *m, uint64_t timeout_usec);

/* What a reload did, for basicdmctl: the plan's counts, or every problem found. */
struct reload_result {
	size_t added, removed, reloaded, replaced, unchanged;
	size_t not_set_up;	/* out of memory for them: the next reload tries again */
	int rescan_error;	/* block devices could not be enumerated afterwards */
	struct config_errors errors;
	/*
	 * The plan as applied, one entry per name, so that basicdmctl can wait
	 * for each change: its "old" side points into OLD_CONFIG, kept here,
	 * its "new" side into the manager's configuration (valid until the
	 * next reload).  NULL for a refused reload.
	 */
	struct plan_entry *plan;
	size_t n_plan;
	struct config *old_config;
};

/*
 * SIGHUP: apply the difference to a new configuration, or refuse it whole.
 * RESULT, when not NULL, is filled in either way (reload_result_clear()).
 */
int manager_reload(struct manager *m, struct reload_result *result);
void reload_result_clear(struct reload_result *r);
/* "configuration reloaded: 1 added, ...", and what went wrong when something did. */
void reload_result_format(const struct reload_result *r, char *buf, size_t size);

struct volume *manager_find_volume(struct manager *m, const char *name);

/* basicdmctl activate: -ENOENT for no such volume, else as volume_activate(). */
int manager_activate(struct manager *m, const char *name);
/* basicdmctl deactivate: the volume stays inactive, even across a daemon restart. */
int manager_deactivate(struct manager *m, const char *name);
