// SPDX-License-Identifier: GPL-2.0-only
#include "manager.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "control-handlers.h"
#include "dm.h"
#include "inactive.h"
#include "log.h"
#include "loop.h"
#include "reload-plan.h"
#include "util.h"

/* READY=1 waits for udev to show the maps made at start, but not forever. */
#define READY_TIMEOUT_USEC (60ULL * 1000000)

static void notify_status(struct manager *m)
{
	size_t active = 0, waiting = 0, failed = 0, inactive = 0;
	char extra[64] = "";

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
	sd_notifyf(false, "STATUS=%zu active, %zu waiting, %zu failed%s", active, waiting, failed,
		   extra);
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

static void state_changed(struct manager *m)
{
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


/* The device DEVNUM is still there (udev has it in sysfs). */
static bool device_present(struct udev *udev, dev_t devnum)
{
	struct udev_device *dev = udev_device_new_from_devnum(udev, 'b', devnum);

	udev_device_unref(dev);
	return dev != NULL;
}

/* Device DEVNUM is gone: V's map, or the disk under it (a file's loop stays V's own). */
static void device_removed(struct volume *v, dev_t devnum)
{
	if (v->map == devnum) {
		volume_map_vanished(v);
	} else if (v->backing == devnum && v->cfg->kind != BACKING_FILE) {
		volume_detach(v, "its backing device went away");
		log_volume_event(LOG_INFO, v->cfg->name, "waiting", NULL,
				 "waiting for its backing device");
	}
}

/* After lost udev events: the removals among them, found by looking. */
static void forget_vanished(struct manager *m, struct udev *udev)
{
	for (size_t i = 0; i < m->n_volumes; i++) {
		struct volume *v = m->volumes[i];

		if (v->map && !device_present(udev, v->map))
			device_removed(v, v->map);
		else if (v->backing && !device_present(udev, v->backing))
			device_removed(v, v->backing);
	}
	state_changed(m);
}

static void on_block_device(struct udev_device *dev, enum block_event event, void *userdata)
{
	struct manager *m = userdata;
	struct udev *udev = block_watch_udev(m->block_watch);
	struct volume *v;
	dev_t devnum;

	if (event == BLOCK_EVENT_LOST) {
		forget_vanished(m, udev);	/* dev is NULL */
		return;
	}
	devnum = udev_device_get_devnum(dev);
	/* one disk may back several volumes, at different offsets */
	for (size_t i = 0; i < m->n_volumes; i++) {
		v = m->volumes[i];
		if (event == BLOCK_EVENT_REMOVED) {
			device_removed(v, devnum);
		} else if (volume_handle_dm_device(v, dev)) {
			break;
		} else if (volume_wants_device(v, dev)) {
			volume_attach(v, udev, devnum, udev_device_get_devnode(dev));
		}
	}
	state_changed(m);
}

static int add_volume(struct manager *m, const struct volume_config *cfg)
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

	if (m->runtime_dir && inactive_is_marked(m->runtime_dir, cfg->name))
		volume_deactivate(v);
	else if (cfg->kind == BACKING_FILE)
		volume_attach_file(v, block_watch_udev(m->block_watch));
	else
		log_volume_event(LOG_INFO, cfg->name, "waiting", NULL,
				 "waiting for its backing device");
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
 * Maps that carry our UUID but that no volume holds: before the start-up
 * pass, those no longer configured; after it, also those whose backing is
 * gone (a disk unplugged while the daemon was stopped).
 */
static void remove_stray_maps(struct manager *m, bool after_coldplug)
{
	struct dm_map_info *maps = NULL;
	size_t n = 0;
	int r;

	r = dm_list_ours(&maps, &n);
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
		r = dm_map_remove(maps[i].name, true);
		if (r < 0)
			log_warning_errno(r, "Cannot remove map %s (%s): %m", maps[i].name, why);
		else
			log_volume_event(LOG_INFO, maps[i].name, "removed", NULL, "map removed (%s)",
					 why);
	}
	dm_map_info_free_array(maps, n);
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

static struct json_object *on_control_request(const struct control_request *req,
					      const struct ucred *peer, void *userdata)
{
	return control_commands_handle(userdata, req, peer);
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
	return control_new(m->event, path, on_control_request, m, &m->control);
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct manager *m = userdata;

	sd_notify(false, "STOPPING=1\nSTATUS=Stopping; maps stay in place");
	log_info("stopping on %s; maps stay in place", strsignal(si->ssi_signo));
	return sd_event_exit(m->event, 0);
}

int manager_new(const char *config_path, const char *dropin_dir, const char *runtime_dir,
		struct manager **ret)
{
	struct manager *m;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->config_path = strdup(config_path);
	m->dropin_dir = dropin_dir ? strdup(dropin_dir) : NULL;
	m->runtime_dir = runtime_dir ? strdup(runtime_dir) : NULL;
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

int manager_start(struct manager *m)
{
	int r;

	r = load_config(m, &m->config, NULL);
	if (r < 0)
		return log_error_errno(r, "Refusing to start with a broken configuration %s",
				       m->config_path);

	dm_setup();
	/* monitor first, enumeration second: nothing falls between them */
	r = block_watch_new(m->event, on_block_device, m, &m->block_watch);
	if (r < 0)
		return log_error_errno(r, "Cannot watch udev block events: %m");

	remove_stray_maps(m, false);
	loop_batch_begin();
	for (size_t i = 0; i < m->config->n_volumes; i++) {
		r = add_volume(m, &m->config->volumes[i]);
		if (r < 0) {
			loop_batch_end();
			return log_error_errno(r, "Out of memory");
		}
	}
	loop_batch_end();
	r = block_watch_coldplug(m->block_watch);
	if (r < 0)
		return log_error_errno(r, "Cannot enumerate block devices: %m");
	remove_stray_maps(m, true);

	if (m->runtime_dir) {
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

static void apply_entry(struct manager *m, const struct plan_entry *p)
{
	struct udev *udev = block_watch_udev(m->block_watch);
	struct volume *v = manager_find_volume(m, (p->new ? p->new : p->old)->name);

	switch (p->action) {
	case PLAN_KEEP:
		v->cfg = p->new;
		/* a reload is the administrator's "try again" */
		if (v->state == VOLUME_FAILED && v->cfg->kind == BACKING_FILE)
			volume_attach_file(v, udev);
		break;
	case PLAN_ADD:
		add_volume(m, p->new);
		break;
	case PLAN_REMOVE:
		volume_detach(v, "removed from the configuration");
		drop_volume(m, v);
		if (m->runtime_dir)
			(void)inactive_mark(m->runtime_dir, p->old->name, false);
		break;
	case PLAN_RELOAD:
		v->cfg = p->new;
		if (v->map)
			volume_reload(v, udev);
		else if (v->state == VOLUME_FAILED && v->backing)
			volume_attach(v, udev, v->backing, v->backing_desc);
		break;
	case PLAN_REPLACE:
		volume_detach(v, "its backing changed in the configuration");
		drop_volume(m, v);
		add_volume(m, p->new);
		break;
	}
}

void reload_result_clear(struct reload_result *r)
{
	config_errors_clear(&r->errors);
	*r = (struct reload_result){};
}

int manager_reload(struct manager *m, struct reload_result *result)
{
	size_t counts[PLAN_REPLACE + 1] = {};
	struct config *new = NULL;
	struct plan_entry *plan = NULL;
	size_t n = 0;
	int r;

	sd_notify(false, "RELOADING=1\nSTATUS=Reloading the configuration");
	log_info("reloading %s", m->config_path);
	r = load_config(m, &new, result ? &result->errors : NULL);
	if (r < 0) {
		log_reload_result(false, "configuration %s refused, nothing changed", m->config_path);
		goto done;
	}
	r = reload_plan(m->config, new, &plan, &n);
	if (r < 0) {
		log_reload_result(false, "cannot plan the reload, nothing changed: %s", strerror(-r));
		config_free(new);
		goto done;
	}
	loop_batch_begin();
	for (size_t i = 0; i < n; i++) {
		apply_entry(m, &plan[i]);
		counts[plan[i].action]++;
	}
	loop_batch_end();
	free(plan);
	config_free(m->config);
	m->config = new;
	/* devices of new device/match volumes may already be there */
	block_watch_coldplug(m->block_watch);
	log_reload_result(true, "configuration reloaded: %zu added, %zu removed, %zu reloaded, "
				"%zu replaced, %zu unchanged",
			  counts[PLAN_ADD], counts[PLAN_REMOVE], counts[PLAN_RELOAD],
			  counts[PLAN_REPLACE], counts[PLAN_KEEP]);
	if (result) {
		result->added = counts[PLAN_ADD];
		result->removed = counts[PLAN_REMOVE];
		result->reloaded = counts[PLAN_RELOAD];
		result->replaced = counts[PLAN_REPLACE];
		result->unchanged = counts[PLAN_KEEP];
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
	if (m->runtime_dir) {
		r = inactive_mark(m->runtime_dir, name, false);
		if (r < 0)
			log_warning_errno(r, "Cannot clear the inactive mark of %s, ignoring: %m", name);
	}
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
	r = volume_deactivate(v);
	state_changed(m);
	return r;
}
