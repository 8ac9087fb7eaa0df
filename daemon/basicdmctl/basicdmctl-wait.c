// SPDX-License-Identifier: GPL-2.0-only
#include "basicdmctl-wait.h"

#include <errno.h>
#include <libudev.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "basicdmctl-holders.h"
#include "basicdmctl.h"
#include "json-util.h"
#include "util.h"

/* Often enough that a script does not notice the lag, rarely enough to cost the daemon nothing. */
#define LOOK_INTERVAL_USEC (100 * 1000)

/*
 * systemd's default for a device to show up (DefaultTimeoutStartSec=, the
 * x-systemd.device-timeout= of an fstab line): a map that is not there
 * by then is not coming without help.
 */
double arg_timeout = 90;

/* ---- the verdict: one look, no I/O ------------------------------------- */

/* "253:0" of a status reply; 0 when absent or malformed. */
static dev_t parse_devnum(const char *s)
{
	unsigned maj, min;
	char extra;

	if (!s || sscanf(s, "%u:%u%c", &maj, &min, &extra) != 2)
		return 0;
	return makedev(maj, min);
}

/* The volume's map as the kernel showed it, 0 when there is none. */
static dev_t map_devnum(const struct volume_view *v)
{
	return parse_devnum(json_member_string(json_member(v->status, "dm"), "devnum"));
}

/*
 * Once the volume's map is gone, a node of its name that leads to a block
 * device leads to another one (a map of that name basicdm did not make);
 * a dangling link is udev's to remove yet.
 */
static bool node_gone(const struct node_view *n)
{
	return !n->present || n->rdev;
}

static bool nodes_gone(const struct volume_view *v)
{
	return node_gone(&v->mapper) && node_gone(&v->link);
}

static enum wait_verdict verdict_gone(const struct volume_view *v)
{
	struct json_object *dm = json_member(v->status, "dm");

	if (!v->status) {
		/* removed from the configuration: the reload said whether its map stayed, open */
		if (v->removal_deferred && v->mapper.rdev)
			return WAIT_DEFERRED;
		return nodes_gone(v) ? WAIT_DONE : WAIT_PENDING;
	}
	if (!streq_ptr(json_member_string(v->status, "state"), "inactive"))
		return WAIT_FAILED; /* activated again meanwhile */
	if (dm)
		return json_member_bool(dm, "deferred_remove") ? WAIT_DEFERRED : WAIT_PENDING;
	return nodes_gone(v) ? WAIT_DONE : WAIT_PENDING;
}

enum wait_verdict wait_verdict(enum wait_goal goal, const struct volume_view *v)
{
	const char *state = json_member_string(v->status, "state");
	dev_t map = map_devnum(v);

	if (goal == WAIT_GONE)
		return verdict_gone(v);
	if (!v->status || streq_ptr(state, "failed"))
		return WAIT_FAILED;
	/* what a reload leaves so is settled; activate waits for the disk */
	if (streq_ptr(state, "waiting"))
		return goal == WAIT_SETTLED ? WAIT_DONE : WAIT_PENDING;
	/* taken down by another request meanwhile */
	if (streq_ptr(state, "inactive"))
		return goal == WAIT_SETTLED ? WAIT_DONE : WAIT_FAILED;
	/* udev has processed the map (the daemon's "active"), and its links are there */
	if (streq_ptr(state, "active") && map && v->mapper.rdev == map && v->link.rdev == map)
		return WAIT_DONE;
	return WAIT_PENDING;
}

static void explain_gone(const struct volume_view *v, char *buf, size_t size)
{
	const char *state = json_member_string(v->status, "state");

	if (v->status && !streq_ptr(state, "inactive"))
		snprintf(buf, size, "it was activated again meanwhile (it is %s)", state ?: "?");
	else if (json_member(v->status, "dm"))
		snprintf(buf, size, "its map is still there (dmsetup info %s shows it; the daemon's "
				    "journal says why it was not removed)", v->name);
	else
		snprintf(buf, size, "%s/%s is still there: udev has not processed the removal of the "
				    "map (is systemd-udevd running?)",
			 node_gone(&v->mapper) ? "/dev/basicdm" : "/dev/mapper", v->name);
}

void wait_explain(enum wait_goal goal, const struct volume_view *v, char *buf, size_t size)
{
	const char *state = json_member_string(v->status, "state");
	const char *reason = json_member_string(v->status, "reason");
	dev_t map = map_devnum(v);
	char backing[4096];

	if (goal == WAIT_GONE) {
		explain_gone(v, buf, size);
	} else if (!v->status) {
		snprintf(buf, size, "no volume named %s is configured any more", v->name);
	} else if (streq_ptr(state, "failed")) {
		snprintf(buf, size, "%s", reason ?: "it failed (journalctl -u basicdm says why)");
	} else if (streq_ptr(state, "inactive")) {
		snprintf(buf, size, "it was deactivated meanwhile (basicdmctl activate %s brings it "
				    "up)", v->name);
	} else if (streq_ptr(state, "waiting")) {
		status_format_configured(json_member(v->status, "backing"), backing, sizeof(backing));
		snprintf(buf, size, "still waiting for its backing device (%s); it stays activated "
				    "and comes up when the device is plugged in (a longer --timeout "
				    "waits for that)", backing);
	} else if (!streq_ptr(state, "active") || !map) {
		snprintf(buf, size, "still %s: udev has not announced /dev/mapper/%s yet (is "
				    "systemd-udevd running?)", state ?: "?", v->name);
	} else if (v->mapper.rdev != map) {
		snprintf(buf, size, "/dev/mapper/%s does not lead to its map %u:%u (is "
				    "systemd-udevd running?)", v->name, major(map), minor(map));
	} else {
		snprintf(buf, size, "/dev/basicdm/%s does not lead to its map %u:%u (is basicdm's "
				    "udev rule 60-basicdm.rules installed?)", v->name, major(map),
			 minor(map));
	}
}

/* ---- looking ------------------------------------------------------------ */

struct item {
	const char *name;
	enum wait_goal goal;
	bool removal_deferred;
	bool unchanged;		/* not in the reload's plan: its failure is no failure of the reload */
	enum wait_verdict verdict;
	bool final;
	struct volume_view view; /* the last look; its status lives in the wait's reply */
};

struct wait {
	struct item *items;
	size_t n;
	const char *status_name;	/* "status NAME", or "" for every volume */
	struct json_object *reply;	/* the last status reply */
	struct udev *udev;
	struct udev_queue *queue;	/* NULL: udev's queue unknown, taken as idle */
};

static void wait_init(struct wait *w)
{
	w->udev = udev_new();
	w->queue = w->udev ? udev_queue_new(w->udev) : NULL;
}

static void wait_clear(struct wait *w)
{
	json_object_put(w->reply);
	udev_queue_unref(w->queue);
	udev_unref(w->udev);
}

static void sleep_usec(uint64_t usec)
{
	struct timespec ts = { .tv_sec = (time_t)(usec / 1000000),
			       .tv_nsec = (long)(usec % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static struct node_view look_at(const char *dir, const char *name)
{
	char path[32 + VOLUME_NAME_MAX];
	struct node_view v = {};
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	v.present = lstat(path, &st) == 0;
	if (v.present && stat(path, &st) == 0 && S_ISBLK(st.st_mode))
		v.rdev = st.st_rdev;
	return v;
}

/* Volume NAME's object in status reply REPLY, or NULL. */
static struct json_object *find_volume(struct json_object *reply, const char *name)
{
	struct json_object *volumes = json_member(reply, "volumes");

	for (size_t i = 0; volumes && i < json_object_array_length(volumes); i++) {
		struct json_object *v = json_object_array_get_idx(volumes, i);

		if (streq_ptr(json_member_string(v, "name"), name))
			return v;
	}
	return NULL;
}

static bool udev_idle(const struct wait *w)
{
	return !w->queue || udev_queue_get_queue_is_empty(w->queue);
}

/* The daemon's status into W->reply; an exit code other than EXIT_OK when it cannot tell. */
static int fetch(struct wait *w)
{
	struct control_request req = { .command = CONTROL_STATUS };
	struct json_object *reply = NULL;
	enum control_error e = CONTROL_ERROR_FAILED;
	int r;

	strcpy(req.name, w->status_name);
	r = ctl_call(&req, &reply);
	if (r != EXIT_OK)
		return r;
	/* a volume a reload removed meanwhile is one that is not configured */
	if (!json_member_bool(reply, "ok") &&
	    (control_error_from_string(json_member_string(reply, "error") ?: "", &e) < 0 ||
	     e != CONTROL_ERROR_NO_SUCH_VOLUME)) {
		r = ctl_reply_error(reply);
		json_object_put(reply);
		return r;
	}
	json_object_put(w->reply);
	w->reply = reply;
	return EXIT_OK;
}

/*
 * One look at every item not final yet; LAST: the time is up.  An exit
 * code other than EXIT_OK when the daemon cannot tell.
 */
static int look(struct wait *w, bool last)
{
	bool idle;
	int r;

	/*
	 * An open map is a deferral only once udev is done with it: its
	 * probe after the last write may be what holds it, for a moment.
	 */
	idle = udev_idle(w);
	r = fetch(w);
	if (r != EXIT_OK)
		return r;
	idle = idle && udev_idle(w);

	for (size_t i = 0; i < w->n; i++) {
		struct item *it = &w->items[i];

		if (it->final)
			continue;
		it->view = (struct volume_view){
			.name = it->name,
			.status = find_volume(w->reply, it->name),
			.removal_deferred = it->removal_deferred,
			.mapper = look_at("/dev/mapper", it->name),
			.link = look_at("/dev/basicdm", it->name),
		};
		it->verdict = wait_verdict(it->goal, &it->view);
		it->final = it->verdict == WAIT_DONE || it->verdict == WAIT_FAILED ||
			    (it->verdict == WAIT_DEFERRED && (idle || last));
	}
	return EXIT_OK;
}

/* Looks until every item is final (EXIT_OK) or the time is up (EXIT_TIMEOUT). */
static int run(struct wait *w)
{
	uint64_t deadline = UINT64_MAX;

	if (!isinf(arg_timeout))
		deadline = clock_usec(CLOCK_MONOTONIC) + (uint64_t)(arg_timeout * 1e6);
	for (;;) {
		uint64_t now = clock_usec(CLOCK_MONOTONIC);
		bool last = now >= deadline, all = true;
		int r;

		r = look(w, last);
		if (r != EXIT_OK)
			return r;
		for (size_t i = 0; i < w->n; i++)
			all = all && w->items[i].final;
		if (all)
			return EXIT_OK;
		if (last)
			return EXIT_TIMEOUT;
		now = clock_usec(CLOCK_MONOTONIC);
		if (now < deadline)
			sleep_usec(deadline - now < LOOK_INTERVAL_USEC ? deadline - now
								 : LOOK_INTERVAL_USEC);
	}
}

/* ---- what the user reads ------------------------------------------------ */

static int out_of_memory(void)
{
	fputs("basicdmctl: out of memory\n", stderr);
	return EXIT_FAILED;
}

/*
 * A wait that did not end well: the message and DETAILS (an array of
 * strings, taken; may be NULL) on stderr, or as a JSON error whose code
 * is "wait-timeout" for EXIT_TIMEOUT, "failed" otherwise.  EXIT_CODE.
 */
static int report(int exit_code, struct json_object *details, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int report(int exit_code, struct json_object *details, const char *fmt, ...)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	_cleanup_(freep) char *message = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (r < 0) {
		json_object_put(details);
		return out_of_memory();
	}
	if (!arg_json) {
		fprintf(stderr, "basicdmctl: %s\n", message);
		for (size_t i = 0; details && i < json_object_array_length(details); i++)
			fprintf(stderr, "%s\n",
				json_object_get_string(json_object_array_get_idx(details, i)));
		json_object_put(details);
		return exit_code;
	}
	r = json_add_bool(o, "ok", false);
	if (r >= 0)
		r = json_add_string(o, "error",
				    exit_code == EXIT_TIMEOUT ? "wait-timeout"
							      : control_error_to_string(CONTROL_ERROR_FAILED));
	if (r >= 0)
		r = json_add_string(o, "message", message);
	if (r >= 0 && details)
		r = json_add(o, "details", details);
	else
		json_object_put(details);
	if (r < 0)
		return out_of_memory();
	ctl_print_json(o);
	return exit_code;
}

/* What holds the map the item's last look found open, malloc'ed; NULL: out of memory. */
static char *describe_holders(const struct item *it)
{
	struct json_object *dm = json_member(it->view.status, "dm");
	struct map_holders h;
	char node[32 + VOLUME_NAME_MAX];
	dev_t map = map_devnum(&it->view) ?: it->view.mapper.rdev;
	char *s;

	if (map_holders_get(map, dm ? (int)json_member_u64(dm, "open_count") : -1, &h) < 0)
		return NULL;
	snprintf(node, sizeof(node), "/dev/mapper/%s", it->name);
	s = map_holders_describe(&h, node);
	map_holders_clear(&h);
	return s;
}

int wait_activate(const char *name, struct json_object *reply)
{
	struct item it = { .name = name, .goal = WAIT_ACTIVE };
	struct wait w = { .items = &it, .n = 1, .status_name = name };
	char why[4400];
	int r;

	wait_init(&w);
	r = run(&w);
	if (r == EXIT_OK && it.verdict == WAIT_DONE) {
		if (!arg_json)
			printf("%s: active\n", name);
		else if (json_add_string(reply, "state", "active") >= 0)
			ctl_print_json(reply);
		else
			r = out_of_memory();
	} else if (r == EXIT_OK || r == EXIT_TIMEOUT) {
		wait_explain(it.goal, &it.view, why, sizeof(why));
		if (r == EXIT_TIMEOUT)
			r = report(r, NULL, "%s: not active within %g s: %s", name, arg_timeout, why);
		else
			r = report(EXIT_FAILED, NULL, "cannot activate %s: %s", name, why);
	}
	wait_clear(&w);
	return r;
}

int wait_deactivate(const char *name, struct json_object *reply)
{
	struct item it = { .name = name, .goal = WAIT_GONE };
	struct wait w = { .items = &it, .n = 1, .status_name = name };
	_cleanup_(freep) char *held = NULL;
	char why[4400];
	int r;

	wait_init(&w);
	r = run(&w);
	if (r == EXIT_OK && it.verdict == WAIT_DEFERRED) {
		held = describe_holders(&it);
		if (!held)
			r = out_of_memory();
	}
	if (r == EXIT_OK && it.verdict != WAIT_FAILED) {
		if (!arg_json && held)
			printf("%s: inactive (the map goes away when it is closed; it is %s)\n", name,
			       held);
		else if (!arg_json)
			printf("%s: inactive\n", name);
		else if (json_add_bool(reply, "deferred", held != NULL) >= 0 &&
			 json_add_string(reply, "held_by", held) >= 0)
			ctl_print_json(reply);
		else
			r = out_of_memory();
	} else if (r == EXIT_OK || r == EXIT_TIMEOUT) {
		wait_explain(it.goal, &it.view, why, sizeof(why));
		if (r == EXIT_TIMEOUT)
			r = report(r, NULL, "%s: the map is not gone within %g s: %s", name,
				   arg_timeout, why);
		else
			r = report(EXIT_FAILED, NULL, "cannot deactivate %s: %s", name, why);
	}
	wait_clear(&w);
	return r;
}

static bool array_has(struct json_object *a, const char *s)
{
	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		if (streq_ptr(json_object_get_string(json_object_array_get_idx(a, i)), s))
			return true;
	return false;
}

/*
 * Every change the reload reply names, as items, and the volumes of the
 * status reply STATUS it set going without a change of their own: a
 * reload tries a failed volume again, and finds the disks of new device
 * volumes.  Their count, or -ENOMEM.
 */
static ssize_t reload_items(struct json_object *reply, struct json_object *status,
			    struct item **ret)
{
	static const struct {
		const char *key;
		enum wait_goal goal;
	} lists[] = {
		{ "removed", WAIT_GONE },
		{ "replaced", WAIT_SETTLED },
		{ "added", WAIT_SETTLED },
		{ "reloaded", WAIT_SETTLED },
	};
	struct json_object *deferred = json_member(reply, "deferred");
	struct json_object *volumes = json_member(status, "volumes");
	struct item *items;
	size_t n = json_object_array_length(volumes), k = 0;

	for (size_t l = 0; l < ELEMENTSOF(lists); l++)
		n += json_object_array_length(json_member(reply, lists[l].key));
	items = calloc(n ?: 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
		struct json_object *a = json_member(reply, lists[l].key);

		for (size_t i = 0; a && i < json_object_array_length(a); i++) {
			const char *name = json_object_get_string(json_object_array_get_idx(a, i));

			if (!name || !volume_name_valid(name))
				continue;
			items[k++] = (struct item){
				.name = name,
				.goal = lists[l].goal,
				.removal_deferred = lists[l].goal == WAIT_GONE && array_has(deferred, name),
			};
		}
	}
	for (size_t i = 0; volumes && i < json_object_array_length(volumes); i++) {
		struct json_object *v = json_object_array_get_idx(volumes, i);
		const char *name = json_member_string(v, "name");
		const char *state = json_member_string(v, "state");
		bool listed = false;

		for (size_t j = 0; j < k && !listed; j++)
			listed = streq_ptr(items[j].name, name);
		if (name && !listed && (streq_ptr(state, "activating") || streq_ptr(state, "failed")))
			items[k++] = (struct item){ .name = name, .goal = WAIT_SETTLED, .unchanged = true };
	}
	*ret = items;
	return (ssize_t)k;
}

/*
 * What a settled volume leaves to say: a removal deferred, a volume
 * waiting for its disk, an unchanged volume that failed.
 */
static int print_note(const struct item *it)
{
	const char *state = json_member_string(it->view.status, "state");
	_cleanup_(freep) char *held = NULL;
	char text[4400];

	if (it->verdict == WAIT_DEFERRED) {
		held = describe_holders(it);
		if (!held)
			return out_of_memory();
		printf("%s: removed (the map goes away when it is closed; it is %s)\n", it->name,
		       held);
	} else if (it->goal == WAIT_SETTLED && streq_ptr(state, "waiting")) {
		status_format_configured(json_member(it->view.status, "backing"), text,
					 sizeof(text));
		printf("%s: waiting for its backing device (%s)\n", it->name, text);
	} else if (it->verdict == WAIT_FAILED) {
		wait_explain(it->goal, &it->view, text, sizeof(text));
		printf("%s: failed: %s\n", it->name, text);
	}
	return EXIT_OK;
}

/* Appends "NAME: why" of IT, which did not end well, to DETAILS; 0 or -ENOMEM. */
static int add_detail(struct json_object *details, const struct item *it)
{
	_cleanup_(freep) char *line = NULL;
	struct json_object *o;
	char why[4400];

	wait_explain(it->goal, &it->view, why, sizeof(why));
	if (asprintf(&line, "%s: %s", it->name, why) < 0)
		return -ENOMEM;
	o = json_object_new_string(line);
	if (!o || json_object_array_add(details, o) < 0) {
		json_object_put(o);
		return -ENOMEM;
	}
	return 0;
}

int wait_reload(struct json_object *reply)
{
	_cleanup_(freep) struct item *items = NULL;
	_cleanup_(json_object_putp) struct json_object *details = NULL, *first = NULL;
	struct wait w = { .status_name = "" };
	size_t failed = 0, pending = 0;
	ssize_t n;
	int r;

	if (!arg_json)
		puts(json_member_string(reply, "message") ?: "configuration reloaded");
	wait_init(&w);
	r = fetch(&w);
	if (r != EXIT_OK) {
		wait_clear(&w);
		return r;
	}
	/* the unchanged volumes' names live in it */
	first = json_object_get(w.reply);
	n = reload_items(reply, first, &items);
	if (n < 0) {
		wait_clear(&w);
		return out_of_memory();
	}
	w.items = items;
	w.n = (size_t)n;
	r = run(&w);
	details = json_object_new_array();
	for (size_t i = 0; (r == EXIT_OK || r == EXIT_TIMEOUT) && i < w.n; i++) {
		const struct item *it = &items[i];

		if (it->final && (it->verdict != WAIT_FAILED || it->unchanged)) {
			if (!arg_json)
				r = print_note(it) == EXIT_OK ? r : EXIT_FAILED;
			continue;
		}
		if (it->verdict == WAIT_FAILED)
			failed++;
		else
			pending++;
		if (!details || add_detail(details, it) < 0)
			r = out_of_memory();
	}
	/* the views point into the last status reply: done with them */
	wait_clear(&w);
	if (r != EXIT_OK && r != EXIT_TIMEOUT)
		return r;
	if (failed)
		return report(EXIT_FAILED, TAKE_PTR(details),
			      "the configuration is applied, but %zu volume%s failed:", failed,
			      failed == 1 ? "" : "s");
	if (pending)
		return report(EXIT_TIMEOUT, TAKE_PTR(details),
			      "not every change is visible within %g s:", arg_timeout);
	if (arg_json)
		ctl_print_json(reply);
	return EXIT_OK;
}
