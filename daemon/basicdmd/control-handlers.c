// SPDX-License-Identifier: GPL-2.0-only
#include "control-handlers.h"

#include <errno.h>
#include <libudev.h>
#include <stdio.h>
#include <string.h>

#include "map-stats.h"
#include "map.h"
#include "stats-json.h"
#include "volume-json.h"
#include "log.h"
#include "manager.h"
#include "util.h"

static struct json_object *no_such_volume(const char *name)
{
	return control_reply_new_error(CONTROL_ERROR_NO_SUCH_VOLUME,
				       "no volume named %s is configured", name);
}

/* The node of block device DEVNUM ("/dev/vdb"), malloc'ed; NULL if unknown. */
static char *device_node(struct manager *m, dev_t devnum)
{
	struct udev_device *d;
	const char *node;
	char *ret = NULL;

	if (!m->block_watch || !devnum)
		return NULL;
	d = udev_device_new_from_devnum(block_watch_udev(m->block_watch), 'b', devnum);
	if (!d)
		return NULL;
	node = udev_device_get_devnode(d);
	if (node)
		ret = strdup(node);
	udev_device_unref(d);
	return ret;
}

/* The map of volume NAME, if there is one: a foreign map of that name is not it. */
static bool find_map(const char *name, struct map_info *ret)
{
	if (map_get_info(name, ret) < 0)
		return false;
	if (!map_uuid_is_volume(ret->uuid, name)) {
		map_info_clear(ret);
		return false;
	}
	return true;
}

static struct json_object *volume_to_json(struct manager *m, struct volume *v)
{
	_cleanup_(freep) char *node = device_node(m, v->backing);
	struct volume_status s = {
		.cfg = v->cfg,
		.state = volume_state_to_string(v->state),
		.since_usec = v->since_usec,
		.reason = v->reason,
		.backing = v->backing,
		.backing_node = node,
	};
	struct map_info info = {};
	struct basic_target_counters counters;
	struct json_object *o;

	/* the kernel's view, not the daemon's memory of it */
	if (find_map(v->cfg->name, &info)) {
		s.map = &info;
		if (map_counters(v->cfg->name, &counters) >= 0)
			s.counters = &counters;
	}
	o = volume_status_to_json(&s);
	map_info_clear(&info);
	return o;
}

/*
 * The reply of status and stats: {"volumes": [ONE(m, v), ...]} for every
 * volume, or for NAME alone when it is not empty.
 */
static struct json_object *volumes_reply(struct manager *m, const char *name,
					 struct json_object *(*one)(struct manager *, struct volume *))
{
	_cleanup_(json_object_putp) struct json_object *reply = control_reply_new();
	struct json_object *list = json_object_new_array();

	if (json_add(reply, "volumes", list) < 0)
		return NULL;
	if (*name && !manager_find_volume(m, name))
		return no_such_volume(name);
	for (size_t i = 0; i < m->n_volumes; i++) {
		struct volume *v = m->volumes[i];
		struct json_object *o;

		if (*name && !streq(v->cfg->name, name))
			continue;
		o = one(m, v);
		if (!o || json_object_array_add(list, o) < 0) {
			json_object_put(o);
			return NULL;
		}
	}
	return TAKE_PTR(reply);
}

/*
 * One volume in a stats reply: {"name", "stats": {...} or null, "stats_missing":
 * why there is none, or null}.
 */
static struct json_object *volume_stats_to_json(struct manager *m, struct volume *v)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	struct map_stats_sample sample;
	char why[128] = "";
	int r;

	(void)m;	/* volumes_reply's shape, shared with volume_to_json */

	if (!v->map)
		snprintf(why, sizeof(why), "no map: the volume is %s", volume_state_to_string(v->state));
	else if (v->cfg->latency_histogram.n == 0)
		snprintf(why, sizeof(why), "latency_histogram is off");
	else {
		r = map_stats_sample(v->cfg->name, &sample);
		if (r == -ENOENT)
			snprintf(why, sizeof(why), "the map has no dm-stats region of basicdm");
		else if (r < 0)
			snprintf(why, sizeof(why), "cannot read its dm-stats region: %s", strerror(-r));
	}
	r = json_add_string(o, "name", v->cfg->name);
	if (r >= 0)
		r = *why ? json_add_null(o, "stats")
			 : json_add(o, "stats", map_stats_sample_to_json(&sample));
	if (r >= 0)
		r = json_add_string(o, "stats_missing", *why ? why : NULL);
	return r < 0 ? NULL : TAKE_PTR(o);
}

/* Appends S to array A: 0, or -ENOMEM. */
static int array_add_string(struct json_object *a, const char *s)
{
	struct json_object *o = json_object_new_string(s);

	if (!o || json_object_array_add(a, o) < 0) {
		json_object_put(o);
		return -ENOMEM;
	}
	return 0;
}

/*
 * What the plan did, by name: "added", "removed", "reloaded", "replaced",
 * and "deferred" for the removed volumes whose map is open and goes at its
 * last close.  basicdmctl waits for each.
 */
static int add_plan(struct json_object *reply, const struct reload_result *res)
{
	static const char *const keys[] = {
		[PLAN_ADD] = "added",
		[PLAN_REMOVE] = "removed",
		[PLAN_RELOAD] = "reloaded",
		[PLAN_REPLACE] = "replaced",
	};
	struct json_object *lists[ELEMENTSOF(keys)] = {}, *deferred = NULL;
	int r = 0;

	for (size_t a = 0; r >= 0 && a < ELEMENTSOF(keys); a++)
		if (keys[a]) {
			lists[a] = json_object_new_array();
			r = json_add(reply, keys[a], lists[a]);
		}
	if (r >= 0) {
		deferred = json_object_new_array();
		r = json_add(reply, "deferred", deferred);
	}
	for (size_t i = 0; r >= 0 && i < res->n_plan; i++) {
		const struct plan_entry *p = &res->plan[i];
		const char *name = (p->new ? p->new : p->old)->name;
		struct map_info info = {};

		if (p->action == PLAN_KEEP)
			continue;
		r = array_add_string(lists[p->action], name);
		if (r >= 0 && p->action == PLAN_REMOVE && find_map(name, &info)) {
			if (info.deferred_remove)
				r = array_add_string(deferred, name);
			map_info_clear(&info);
		}
	}
	return r;
}

static struct json_object *do_reload(struct manager *m)
{
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	struct reload_result res = {};
	struct json_object *details;
	int r;

	r = manager_reload(m, &res);
	if (r < 0) {
		reply = control_reply_new_error(CONTROL_ERROR_FAILED,
						"configuration %s refused, nothing changed",
						m->config_path);
		details = json_object_new_array();
		r = json_add(reply, "details", details);
		for (size_t i = 0; r >= 0 && i < res.errors.n; i++) {
			struct json_object *e = json_object_new_string(res.errors.messages[i]);

			if (!e || json_object_array_add(details, e) < 0) {
				json_object_put(e);
				r = -ENOMEM;
			}
		}
	} else {
		char message[256];

		reload_result_format(&res, message, sizeof(message));
		reply = control_reply_new();
		r = json_add(reply, "message", json_object_new_string(message));
		if (r >= 0)
			r = add_plan(reply, &res);
	}
	reload_result_clear(&res);
	return r < 0 ? NULL : TAKE_PTR(reply);
}

/* {"ok":true,"volume":NAME,"state":STATE}, the reply of a volume's change. */
static struct json_object *volume_reply(struct volume *v)
{
	_cleanup_(json_object_putp) struct json_object *reply = control_reply_new();

	if (json_add(reply, "volume", json_object_new_string(v->cfg->name)) < 0 ||
	    json_add(reply, "state",
			     json_object_new_string(volume_state_to_string(v->state))) < 0)
		return NULL;
	return TAKE_PTR(reply);
}

static struct json_object *do_activate(struct manager *m, struct volume *v)
{
	int r;

	r = manager_activate(m, v->cfg->name);
	if (r < 0)
		return control_reply_new_error(CONTROL_ERROR_FAILED, "cannot activate %s: %s",
					       v->cfg->name, v->reason ?: strerror(-r));
	return volume_reply(v);
}

static struct json_object *do_deactivate(struct manager *m, struct volume *v)
{
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	struct map_info info = {};
	bool deferred = false;
	int r;

	r = manager_deactivate(m, v->cfg->name);
	if (r < 0)
		return control_reply_new_error(CONTROL_ERROR_FAILED,
					       "cannot remove the map of %s: %s", v->cfg->name,
					       strerror(-r));
	/* still there: open, so the kernel removes it at the last close */
	if (find_map(v->cfg->name, &info)) {
		deferred = info.deferred_remove;
		map_info_clear(&info);
	}
	reply = volume_reply(v);
	if (json_add(reply, "deferred", json_object_new_boolean(deferred)) < 0)
		return NULL;
	return TAKE_PTR(reply);
}

static struct json_object *do_message(struct volume *v, const struct control_request *req)
{
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	const char *message;
	int r;

	if (req->command == CONTROL_TRACE)
		message = req->on ? "trace on" : "trace off";
	else
		message = "stats reset";
	r = volume_message(v, message);
	if (r == -ENODEV)
		return control_reply_new_error(CONTROL_ERROR_FAILED, "%s has no map (it is %s)",
					       v->cfg->name, volume_state_to_string(v->state));
	if (r < 0)
		return control_reply_new_error(CONTROL_ERROR_FAILED, "cannot send \"%s\" to %s: %s",
					       message, v->cfg->name, strerror(-r));
	reply = volume_reply(v);
	if (req->command == CONTROL_TRACE &&
	    json_add(reply, "trace", json_object_new_boolean(req->on)) < 0)
		return NULL;
	return TAKE_PTR(reply);
}

struct json_object *control_handle_request(const struct control_request *req,
					   const struct ucred *peer, void *userdata)
{
	struct manager *m = userdata;
	const char *command = control_command_to_string(req->command);
	char line[CONTROL_REQUEST_MAX];
	struct volume *v = NULL;

	if (control_command_changes_state(req->command)) {
		/* SO_PEERCRED: the kernel's word, taken when the client connected */
		if (peer->uid != 0)
			return control_reply_new_error(CONTROL_ERROR_PERMISSION_DENIED,
						       "permission denied: %s needs root", command);
		if (control_request_format(req, line, sizeof(line)) >= 0) {
			line[strcspn(line, "\n")] = '\0';
			log_info("basicdmctl %s, requested by pid %d", line, (int)peer->pid);
		}
	}
	if (req->command == CONTROL_STATUS)
		return volumes_reply(m, req->name, volume_to_json);
	if (req->command == CONTROL_STATS)
		return volumes_reply(m, req->name, volume_stats_to_json);
	if (req->command == CONTROL_RELOAD)
		return do_reload(m);

	v = manager_find_volume(m, req->name);
	if (!v)
		return no_such_volume(req->name);
	switch (req->command) {
	case CONTROL_ACTIVATE:
		return do_activate(m, v);
	case CONTROL_DEACTIVATE:
		return do_deactivate(m, v);
	case CONTROL_TRACE:
	case CONTROL_STATS_RESET:
		return do_message(v, req);
	default:
		return control_reply_new_error(CONTROL_ERROR_UNKNOWN_COMMAND, "unknown command");
	}
}
