// SPDX-License-Identifier: GPL-2.0-only
#include "manager.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "backing-check.h"
#include "component.h"
#include "inactive.h"
#include "log.h"
#include "loop.h"
#include "map.h"
#include "reload-plan.h"
#include "util.h"

/* READY=1 waits for udev to show the maps made at start, but not forever. */
#define READY_TIMEOUT_USEC (60ULL * 1000000)

static void notify_status(struct manager *m)
{
	size_t active = 0, waiting = 0, failed = 0, inactive = 0;
	char extra[32] = "", status[sizeof(m->status)];

	for (size_t i = 0; i < m->n_volumes; i++)
		switch (m->volumes[i]->state) {
		case VOLUME_ACTIVE:
			active++;
			break;
		case VOLUME_FAILED:
			failed++;
			break;
		case VOLUME_INACTIVE:
			inactive++;
			break;
		default:
			waiting++;
		}
	/* only when there are some: the usual line stays as it always was */
	if (inactive)
		snprintf(extra, sizeof(extra), ", %zu inactive", inactive);
	snprintf(status, sizeof(status), "STATUS=%zu active, %zu waiting, %zu failed%s", active,
		 waiting, failed, extra);
	/* each message wakes systemd: a pass over many devices changes the line a few times */
	if (streq(status, m->status))
		return;
	memcpy(m->status, status, sizeof(status));
	sd_notify(false, status);
}

static bool any_activating(struct manager *m)
{
	for (size_t i = 0; i < m->n_volumes; i++)
		if (m->volumes[i]->state == VOLUME_ACTIVATING)
			return true;
	return false;
}

static void send_ready(struct manager *m)
{
	m->ready = true;
	m->ready_timer = sd_event_source_disable_unref(m->ready_timer);
	sd_notify(false, "READY=1");
	notify_status(m);
	log_info("ready: %zu volumes configured", m->n_volumes);
}

static bool all_active(struct manager *m)
{
	for (size_t i = 0; i < m->n_volumes; i++)
		if (m->volumes[i]->state != VOLUME_ACTIVE)
			return false;
	return true;
}

static bool any_failed(struct manager *m)
{
	for (size_t i = 0; i < m->n_volumes; i++)
		if (m->volumes[i]->state == VOLUME_FAILED)
			return true;
	return false;
}

static void state_changed(struct manager *m)
{
	if (m->until_active && all_active(m))
		sd_event_exit(m->event, 0);
	else if (m->until_active && any_failed(m))
		sd_event_exit(m->event, -EIO);
	if (m->ready)
		notify_status(m);
	else if (m->started && !any_activating(m))
		send_ready(m);
}

struct volume *manager_find_volume(struct manager *m, const char *name)
{
	for (size_t i = 0; i < m->n_volumes; i++)
		if (streq(m->volumes[i]->cfg->name, name))
			return m->volumes[i];
	return NULL;
}

/* A pass over many volumes runs in one event-loop callback: each volume
 * may wait seconds for udev, so the pass tells systemd's watchdog itself
 * that the daemon is alive (WatchdogSec=), volume by volume; and a
 * rescan (start-up, reload, activate) hands every block device to
 * on_block_device() in one callback too: device by device, a ping at
 * most every quarter of WatchdogSec=. */
static void watchdog_ping(struct manager *m)
{
	uint64_t now;

	if (!m->watchdog_usec)
		return;
	/* as often as sd-event pings, not once a device: each message wakes systemd */
	now = clock_usec(CLOCK_MONOTONIC);
	if (now - m->watchdog_pinged_usec < m->watchdog_usec / 4)
		return;
	m->watchdog_pinged_usec = now;
	sd_notify(false, "WATCHDOG=1");
}

static void on_block_device(struct udev_device *dev, enum block_event event, void *userdata)
{
	struct manager *m = userdata;
	struct udev *udev = block_watch_udev(m->block_watch);

	watchdog_ping(m);
	for (size_t i = 0; i < m->n_volumes; i++) {
		struct volume *v = m->volumes[i];

		if (event == BLOCK_EVENT_LOST)
			volume_events_lost(v, udev);	/* dev is NULL */
		else if (event == BLOCK_EVENT_REMOVED)
			volume_device_removed(v, udev_device_get_devnum(dev));
		else if (volume_device_present(v, udev, dev))
			break;	/* a map is one volume's */
	}
	/* a deferred removal is over: the device under it is no component any more */
	if (event != BLOCK_EVENT_PRESENT)
		component_sweep();
	state_changed(m);
}

/*
 * The claims file for udev's helper: every volume of C but those taken
 * down on request.  Written before the volumes act on it, so the "change"
 * that follows a removal finds the device no longer claimed.
 */
static void write_claims(struct manager *m, const struct config *c)
{
	_cleanup_(freep) const struct volume_config **wanted = NULL;
	size_t n = 0;

	wanted = calloc(c->n_volumes ? c->n_volumes : 1, sizeof(*wanted));
	if (!wanted) {
		log_warning("Out of memory: the claims file is not rewritten");
		return;
	}
	for (size_t i = 0; i < c->n_volumes; i++)
		if (!m->runtime_dir || !inactive_is_marked(m->runtime_dir, c->volumes[i].name))
			wanted[n++] = &c->volumes[i];
	component_write_claims(wanted, n);
}

/* A struct volume for CFG, started; -ENOMEM when there is no room for it. */
static int add_volume(struct manager *m, const struct volume_config *cfg, struct loop_index *loops)
{
	struct volume **a, *v;

	a = realloc(m->volumes, (m->n_volumes + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	m->volumes = a;
	v = volume_new(cfg);
	if (!v)
		return -ENOMEM;
	m->volumes[m->n_volumes++] = v;
	/* a volume's failure is its own: logged, and shown as failed */
	(void)volume_start(v, block_watch_udev(m->block_watch), loops,
			   m->runtime_dir && inactive_is_marked(m->runtime_dir, cfg->name));
	return 0;
}

static void drop_volume(struct manager *m, struct volume *v)
{
	for (size_t i = 0; i < m->n_volumes; i++)
		if (m->volumes[i] == v) {
			memmove(&m->volumes[i], &m->volumes[i + 1],
				(m->n_volumes - i - 1) * sizeof(*m->volumes));
			m->n_volumes--;
			break;
		}
	volume_free(v);
}

static void log_config_errors(struct config_errors *errors)
{
	for (size_t i = 0; i < errors->n; i++)
		log_error("%s", errors->messages[i]);
}

/* Every problem is logged; KEEP, when not NULL, gets them too. */
static int load_config(struct manager *m, struct config **ret, struct config_errors *keep)
{
	struct config_errors errors = {};
	int r;

	r = config_load(m->config_path, m->dropin_dir, ret, &errors);
	log_config_errors(&errors);
	if (keep)
		*keep = errors;
	else
		config_errors_clear(&errors);
	return r;
}

/*
 * A reload names every backing file the unit cannot use, with its fix,
 * before anything changes; KEEP, when not NULL, gets the problems too.
 */
static int check_backing_files(const struct config *c, struct config_errors *keep)
{
	static const struct backing_view service = { .in_service = true };
	struct config_errors local = {};
	struct config_errors *errors = keep ? keep : &local;
	size_t before = errors->n;
	int r;

	r = backing_check_config(c, &service, errors);
	for (size_t i = before; i < errors->n; i++)
		log_error("%s", errors->messages[i]);
	config_errors_clear(&local);
	return r;
}

/*
 * Maps that carry our UUID but that no volume holds: before the start-up
 * pass, those no longer configured; after it, also those whose backing is
 * gone (a disk unplugged while the daemon was stopped).
 */
static void remove_stray_maps(struct manager *m, bool after_coldplug)
{
	struct map_info *maps = NULL;
	size_t n = 0;
	int r;

	r = map_list_ours(&maps, &n);
	if (r < 0) {
		log_warning_errno(r, "Cannot list device-mapper maps: %m");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct volume *v = manager_find_volume(m, maps[i].name);
		const char *why;

		if (!config_find(m->config, maps[i].name))
			why = "no longer configured";
		else if (after_coldplug && v && v->state == VOLUME_INACTIVE && v->map != maps[i].devnum)
			why = "the volume is inactive";
		else if (after_coldplug && v && v->map != maps[i].devnum)
			why = "its backing is gone";
		else
			continue;
		r = map_remove(maps[i].name, true);
		if (r < 0)
			log_warning_errno(r, "Cannot remove map %s (%s): %m", maps[i].name, why);
		else
			log_volume_event(LOG_INFO, maps[i].name, "removed", NULL, "map removed (%s)",
					 why);
	}
	map_info_free_array(maps, n);
}

static int on_ready_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct manager *m = userdata;

	log_warning("udev has not processed every new map within %llu s, reporting ready anyway",
		    READY_TIMEOUT_USEC / 1000000);
	send_ready(m);
	return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	manager_reload(userdata, NULL);
	return 0;
}

/* The runtime directory: systemd makes it (RuntimeDirectory=), a manual start may not. */
static int start_control(struct manager *m)
{
	char path[PATH_MAX];
	int n;

	n = snprintf(path, sizeof(path), "%s/" CONTROL_SOCKET_NAME, m->runtime_dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	if (mkdir(m->runtime_dir, 0755) < 0 && errno != EEXIST)
		return negative_errno();
	return control_new(m->event, path, m->control_handler, m, &m->control);
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct manager *m = userdata;

	sd_notify(false, "STOPPING=1\nSTATUS=Stopping; maps stay in place");
	log_info("stopping on %s; maps stay in place", strsignal(si->ssi_signo));
	return sd_event_exit(m->event, 0);
}

int manager_new(const char *config_path, const char *dropin_dir, const char *runtime_dir,
		control_handler_fn control_handler, struct manager **ret)
{
	struct manager *m;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->config_path = strdup(config_path);
	m->dropin_dir = dropin_dir ? strdup(dropin_dir) : NULL;
	m->runtime_dir = runtime_dir ? strdup(runtime_dir) : NULL;
	m->control_handler = control_handler;
	if (!m->config_path || (dropin_dir && !m->dropin_dir) || (runtime_dir && !m->runtime_dir)) {
		r = -ENOMEM;
		goto fail;
	}
	r = sd_event_default(&m->event);
	if (r < 0)
		goto fail;
	r = sd_event_add_signal(m->event, NULL, SIGTERM, on_sigterm, m);
	if (r >= 0)
		r = sd_event_add_signal(m->event, NULL, SIGINT, on_sigterm, m);
	if (r >= 0)
		r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m);
	if (r >= 0)
		r = sd_event_set_watchdog(m->event, true);
	if (r < 0)
		goto fail;
	/* what sd-event read for its own pings, WATCHDOG_USEC= */
	if (sd_watchdog_enabled(false, &m->watchdog_usec) <= 0)
		m->watchdog_usec = 0;
	*ret = m;
	return 0;
fail:
	manager_free(m);
	return r;
}

struct manager *manager_free(struct manager *m)
{
	if (!m)
		return NULL;
	control_free(m->control);
	for (size_t i = 0; i < m->n_volumes; i++)
		volume_free(m->volumes[i]);
	free(m->volumes);
	config_free(m->config);
	sd_event_source_disable_unref(m->ready_timer);
	block_watch_free(m->block_watch);
	sd_event_unref(m->event);
	free(m->config_path);
	free(m->dropin_dir);
	free(m->runtime_dir);
	free(m);
	return NULL;
}

/* The start-up pass over the configured volumes, with one loop index for all of them. */
static int start_volumes(struct manager *m)
{
	_cleanup_(loop_index_freep) struct loop_index *loops = loop_index_new(); /* NULL: scan */
	int r;

	for (size_t i = 0; i < m->config->n_volumes; i++) {
		watchdog_ping(m);
		r = add_volume(m, &m->config->volumes[i], loops);
		if (r < 0)
			return r;
	}
	return 0;
}

int manager_start(struct manager *m, struct config_errors *errors)
{
	int r;

	r = load_config(m, &m->config, errors);
	if (r < 0)
		return log_error_errno(r, "Refusing to start with a broken configuration %s",
				       m->config_path);

	map_setup();
	component_setup(m->runtime_dir);
	write_claims(m, m->config);
	/* monitor first, enumeration second: nothing falls between them */
	r = block_watch_new(m->event, on_block_device, m, &m->block_watch);
	if (r < 0)
		return log_error_errno(r, "Cannot watch udev block events: %m");

	remove_stray_maps(m, false);
	r = start_volumes(m);
	if (r < 0)
		return log_error_errno(r, "Out of memory");
	r = block_watch_coldplug(m->block_watch);
	if (r < 0)
		return log_error_errno(r, "Cannot enumerate block devices: %m");
	remove_stray_maps(m, true);
	/* marks a stopped daemon left behind on devices no map holds any more */
	component_sweep();

	if (m->runtime_dir && m->control_handler) {
		r = start_control(m);
		/* a second daemon would fight the first over every map */
		if (r == -EADDRINUSE)
			return log_error_errno(r, "Another basicdmd serves %s/" CONTROL_SOCKET_NAME,
					       m->runtime_dir);
		/* the volumes matter more than basicdmctl: serve them anyway */
		if (r < 0)
			log_error_errno(r, "Cannot create the control socket in %s, "
					   "basicdmctl will not reach the daemon: %m",
					m->runtime_dir);
	}

	m->started = true;
	if (any_activating(m)) {
		r = sd_event_add_time_relative(m->event, &m->ready_timer, CLOCK_MONOTONIC,
					       READY_TIMEOUT_USEC, 0, on_ready_timeout, m);
		if (r < 0)
			return log_error_errno(r, "Cannot arm the ready timer: %m");
	} else {
		send_ready(m);
	}
	return 0;
}

int manager_run(struct manager *m)
{
	return sd_event_loop(m->event);
}

static int on_activation_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct manager *m = userdata;

	return sd_event_exit(m->event, -ETIMEDOUT);
}

int manager_run_until_active(struct manager *m, uint64_t timeout_usec)
{
	_cleanup_(sd_event_source_unrefp) sd_event_source *timer = NULL;
	int r;

	m->until_active = true;
	r = sd_event_add_time_relative(m->event, &timer, CLOCK_MONOTONIC, timeout_usec, 0,
				       on_activation_timeout, m);
	if (r < 0)
		return r;
	/* the start-up pass may have done it all */
	state_changed(m);
	return sd_event_loop(m->event);
}

static void clear_inactive_mark(struct manager *m, const char *name)
{
	int r;

	if (!m->runtime_dir)
		return;
	r = inactive_mark(m->runtime_dir, name, false);
	if (r < 0)
		log_warning_errno(r, "Cannot clear the inactive mark of %s, ignoring: %m", name);
}

/*
 * One entry of a reload plan, handed to its volume; -ENOMEM when a volume
 * to set up has no room.  A volume of the old configuration whose own
 * set-up ran out of memory has no struct volume: it is set up now.
 */
static int apply_entry(struct manager *m, const struct plan_entry *p, struct loop_index *loops)
{
	struct volume *v = manager_find_volume(m, (p->new ? p->new : p->old)->name);

	switch (p->action) {
	case PLAN_KEEP:
	case PLAN_RELOAD:
		if (!v)
			return add_volume(m, p->new, loops);
		/* a volume's failure is its own: logged, and shown as failed */
		(void)volume_reconfigure(v, p->new, p->action == PLAN_RELOAD,
					 block_watch_udev(m->block_watch), loops);
		return 0;
	case PLAN_ADD:
		return add_volume(m, p->new, loops);
	case PLAN_REMOVE:
		if (v) {
			volume_remove(v, "removed from the configuration");
			drop_volume(m, v);
		}
		clear_inactive_mark(m, p->old->name);
		return 0;
	case PLAN_REPLACE:
		if (v) {
			volume_remove(v, "its backing changed in the configuration");
			drop_volume(m, v);
		}
		return add_volume(m, p->new, loops);
	}
	return 0;
}

/* Applies PLAN with one loop index for all of it; what it did into RESULT. */
static void apply_plan(struct manager *m, const struct plan_entry *plan, size_t n,
		       struct reload_result *result)
{
	_cleanup_(loop_index_freep) struct loop_index *loops = loop_index_new(); /* NULL: scan */
	size_t counts[PLAN_REPLACE + 1] = {};

	for (size_t i = 0; i < n; i++) {
		int r;

		watchdog_ping(m);
		r = apply_entry(m, &plan[i], loops);
		if (r < 0) {
			/* the plan goes on: what fits is set up, the next reload tries again */
			log_error_errno(r, "Cannot set up volume %s, it stays down until the next "
					   "reload: %m", plan[i].new->name);
			result->not_set_up++;
		}
		counts[plan[i].action]++;
	}
	result->added = counts[PLAN_ADD];
	result->removed = counts[PLAN_REMOVE];
	result->reloaded = counts[PLAN_RELOAD];
	result->replaced = counts[PLAN_REPLACE];
	result->unchanged = counts[PLAN_KEEP];
}

void reload_result_clear(struct reload_result *r)
{
	config_errors_clear(&r->errors);
	free(r->plan);
	config_free(r->old_config);
	*r = (struct reload_result){};
}

void reload_result_format(const struct reload_result *r, char *buf, size_t size)
{
	int n;

	n = snprintf(buf, size,
		     "configuration reloaded: %zu added, %zu removed, %zu reloaded, %zu replaced, "
		     "%zu unchanged",
		     r->added, r->removed, r->reloaded, r->replaced, r->unchanged);
	if (r->not_set_up && n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - n, "; %zu not set up (out of memory)", r->not_set_up);
	if (r->rescan_error < 0 && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - n, "; block devices not rescanned (%s)",
			 strerror(-r->rescan_error));
}

int manager_reload(struct manager *m, struct reload_result *result)
{
	struct reload_result applied = {};
	struct config *new = NULL;
	struct plan_entry *plan = NULL;
	char summary[256];
	size_t n = 0;
	int r;

	sd_notify(false, "RELOADING=1\nSTATUS=Reloading the configuration");
	m->status[0] = '\0';	/* the counts are said again afterwards, changed or not */
	log_info("reloading %s", m->config_path);
	r = load_config(m, &new, result ? &result->errors : NULL);
	if (r < 0) {
		log_reload_result(false, "configuration %s refused, nothing changed", m->config_path);
		goto done;
	}
	r = check_backing_files(new, result ? &result->errors : NULL);
	if (r < 0) {
		log_reload_result(false, "configuration %s refused, nothing changed", m->config_path);
		config_free(new);
		goto done;
	}
	r = reload_plan(m->config, new, &plan, &n);
	if (r < 0) {
		log_reload_result(false, "cannot plan the reload, nothing changed: %s", strerror(-r));
		config_free(new);
		goto done;
	}
	write_claims(m, new);
	apply_plan(m, plan, n, &applied);
	applied.plan = plan;
	applied.n_plan = n;
	applied.old_config = m->config;
	m->config = new;
	/* devices of new device/match volumes may already be there */
	applied.rescan_error = block_watch_coldplug(m->block_watch);
	if (applied.rescan_error < 0)
		log_error_errno(applied.rescan_error,
				"Cannot enumerate block devices after the reload: a new volume "
				"whose disk is already there waits for its next udev event: %m");
	reload_result_format(&applied, summary, sizeof(summary));
	log_reload_result(true, "%s", summary);
	if (result) {
		applied.errors = result->errors;
		*result = applied;
	} else {
		reload_result_clear(&applied);
	}
done:
	/* before the first READY=1, the start-up pass sends it */
	if (m->ready) {
		sd_notify(false, "READY=1");
		notify_status(m);
	}
	return r;
}

int manager_activate(struct manager *m, const char *name)
{
	struct volume *v = manager_find_volume(m, name);
	int r;

	if (!v)
		return -ENOENT;
	clear_inactive_mark(m, name);
	write_claims(m, m->config);
	r = volume_activate(v, block_watch_udev(m->block_watch));
	/* its backing may be there already: udev will not announce it again */
	if (r >= 0 && v->state == VOLUME_WAITING)
		r = block_watch_coldplug(m->block_watch);
	state_changed(m);
	return r;
}

int manager_deactivate(struct manager *m, const char *name)
{
	struct volume *v = manager_find_volume(m, name);
	int r;

	if (!v)
		return -ENOENT;
	if (v->state == VOLUME_INACTIVE)
		return 0;
	/* marked first: a crash half-way must not bring it back */
	if (m->runtime_dir) {
		r = inactive_mark(m->runtime_dir, name, true);
		if (r < 0)
			log_warning_errno(r, "Cannot mark %s inactive, a restarted daemon will "
					     "bring it back: %m", name);
	}
	write_claims(m, m->config);
	r = volume_deactivate(v);
	state_changed(m);
	return r;
}
