// SPDX-License-Identifier: GPL-2.0-only
#include "manager.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "dm.h"
#include "log.h"
#include "reload-plan.h"
#include "util.h"

/* READY=1 waits for udev to show the maps made at start, but not forever. */
#define READY_TIMEOUT_USEC (60ULL * 1000000)

static void notify_status(struct manager *m)
{
	size_t active = 0, waiting = 0, failed = 0;

	for (size_t i = 0; i < m->n_volumes; i++)
		switch (m->volumes[i]->state) {
		case VOLUME_ACTIVE:
			active++;
			break;
		case VOLUME_FAILED:
			failed++;
			break;
		default:
			waiting++;
		}
	sd_notifyf(false, "STATUS=%zu active, %zu waiting, %zu failed", active, waiting, failed);
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
	if (!m->ready && !any_activating(m))
		send_ready(m);
	else if (m->ready)
		notify_status(m);
}

struct volume *manager_find_volume(struct manager *m, const char *name)
{
	for (size_t i = 0; i < m->n_volumes; i++)
		if (streq(m->volumes[i]->cfg->name, name))
			return m->volumes[i];
	return NULL;
}


static void on_block_device(struct udev_device *dev, enum udev_action action, void *userdata)
{
	struct manager *m = userdata;
	dev_t devnum = udev_device_get_devnum(dev);
	struct udev *udev = udev_watch_udev(m->udev);
	struct volume *v;

	/* one disk may back several volumes, at different offsets */
	for (size_t i = 0; i < m->n_volumes; i++) {
		v = m->volumes[i];
		if (action == UDEV_ACTION_REMOVE) {
			if (v->backing == devnum && v->cfg->kind != BACKING_FILE) {
				volume_detach(v, "its backing device went away");
				log_volume_event(LOG_INFO, v->cfg->name, "waiting", NULL,
						 "waiting for its backing device");
			}
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

	if (cfg->kind == BACKING_FILE)
		volume_attach_file(v, udev_watch_udev(m->udev));
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

static int load_config(struct manager *m, struct config **ret)
{
	struct config_errors errors = {};
	int r;

	r = config_load(m->config_path, m->dropin_dir, ret, &errors);
	log_config_errors(&errors);
	config_errors_clear(&errors);
	return r;
}

/* Maps that carry our UUID but are no longer configured are removed. */
static void remove_unconfigured_maps(struct manager *m)
{
	struct dm_map_info *maps = NULL;
	size_t n = 0;
	int r;

	r = dm_list_ours(&maps, &n);
	if (r < 0) {
		log_warning_errno(r, "Cannot list device-mapper maps, not adopting any: %m");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (config_find(m->config, maps[i].name))
			continue;
		r = dm_map_remove(maps[i].name, true);
		if (r < 0)
			log_warning_errno(r, "Cannot remove unconfigured map %s: %m", maps[i].name);
		else
			log_volume_event(LOG_INFO, maps[i].name, "removed", NULL,
					 "map removed (no longer configured)");
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
	manager_reload(userdata);
	return 0;
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct manager *m = userdata;

	sd_notify(false, "STOPPING=1\nSTATUS=Stopping; maps stay in place");
	log_info("stopping on %s; maps stay in place", strsignal(si->ssi_signo));
	return sd_event_exit(m->event, 0);
}

int manager_new(const char *config_path, const char *dropin_dir, struct manager **ret)
{
	struct manager *m;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->config_path = strdup(config_path);
	m->dropin_dir = dropin_dir ? strdup(dropin_dir) : NULL;
	if (!m->config_path || (dropin_dir && !m->dropin_dir)) {
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
	for (size_t i = 0; i < m->n_volumes; i++)
		volume_free(m->volumes[i]);
	free(m->volumes);
	config_free(m->config);
	sd_event_source_disable_unref(m->ready_timer);
	udev_watch_free(m->udev);
	sd_event_unref(m->event);
	free(m->config_path);
	free(m->dropin_dir);
	free(m);
	return NULL;
}

int manager_start(struct manager *m)
{
	int r;

	r = load_config(m, &m->config);
	if (r < 0)
		return log_error_errno(r, "Refusing to start with a broken configuration %s",
				       m->config_path);

	dm_setup();
	/* monitor first, enumeration second: nothing falls between them */
	r = udev_watch_new(m->event, on_block_device, m, &m->udev);
	if (r < 0)
		return log_error_errno(r, "Cannot watch udev block events: %m");

	remove_unconfigured_maps(m);
	for (size_t i = 0; i < m->config->n_volumes; i++) {
		r = add_volume(m, &m->config->volumes[i]);
		if (r < 0)
			return log_error_errno(r, "Out of memory");
	}
	r = udev_watch_coldplug(m->udev);
	if (r < 0)
		return log_error_errno(r, "Cannot enumerate block devices: %m");

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
	struct udev *udev = udev_watch_udev(m->udev);
	struct volume *v = manager_find_volume(m, (p->new ? p->new : p->old)->name);

	switch (p->action) {
	case PLAN_KEEP:
		v->cfg = p->new;
		break;
	case PLAN_ADD:
		add_volume(m, p->new);
		break;
	case PLAN_REMOVE:
		volume_detach(v, "removed from the configuration");
		drop_volume(m, v);
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

int manager_reload(struct manager *m)
{
	size_t counts[PLAN_REPLACE + 1] = {};
	struct config *new = NULL;
	struct plan_entry *plan = NULL;
	size_t n = 0;
	int r;

	sd_notify(false, "RELOADING=1\nSTATUS=Reloading the configuration");
	log_info("reloading %s", m->config_path);
	r = load_config(m, &new);
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
	for (size_t i = 0; i < n; i++) {
		apply_entry(m, &plan[i]);
		counts[plan[i].action]++;
	}
	free(plan);
	config_free(m->config);
	m->config = new;
	/* devices of new device/match volumes may already be there */
	udev_watch_coldplug(m->udev);
	log_reload_result(true, "configuration reloaded: %zu added, %zu removed, %zu reloaded, "
				"%zu replaced, %zu unchanged",
			  counts[PLAN_ADD], counts[PLAN_REMOVE], counts[PLAN_RELOAD],
			  counts[PLAN_REPLACE], counts[PLAN_KEEP]);
done:
	sd_notify(false, "READY=1");
	notify_status(m);
	return r;
}
