// SPDX-License-Identifier: GPL-2.0-only
/*
 * What each basicdmctl request does, and who may send it: the handlers run
 * on a manager made by hand, with every call that would change something
 * (manager_activate, _deactivate, _reload, volume_message) and the kernel's
 * view (map_get_info, map_counters, map_stats_sample) replaced by
 * --wrap and counted.
 */
// wrap: manager_activate manager_deactivate manager_reload volume_message map_get_info map_counters map_stats_sample
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <math.h>
#include <sys/sysmacros.h>

#include "control-handlers.h"
#include "manager.h"
#include "map-stats.h"
#include "map.h"
#include "stats-json.h"
#include "util.h"

/* ---- the calls that change something, counted --------------------------- */

static int changes;		/* calls of any of them */
static char last_change[96];
static int reload_r;		/* what manager_reload() returns */
static struct reload_result reload_res;

static void changed(const char *what, const char *name)
{
	changes++;
	snprintf(last_change, sizeof(last_change), "%s %s", what, name);
}

int __wrap_manager_activate(struct manager *m, const char *name)
{
	changed("activate", name);
	return 0;
}

int __wrap_manager_deactivate(struct manager *m, const char *name)
{
	changed("deactivate", name);
	return 0;
}

int __wrap_manager_reload(struct manager *m, struct reload_result *result)
{
	changed("reload", "");
	*result = reload_res;
	if (reload_r < 0) {
		result->errors.messages = calloc(1, sizeof(char *));
		assert_non_null(result->errors.messages);
		result->errors.messages[0] = strdup("/etc/basicdm.conf:3: broken");
		result->errors.n = 1;
	}
	return reload_r;
}

int __wrap_volume_message(struct volume *v, const char *message)
{
	changed(message, v->cfg->name);
	return 0;
}

/* The one map that exists, open and its removal deferred; NULL: none. */
static const char *open_map;

/* No other map exists: status shows the daemon's view alone. */
int __wrap_map_get_info(const char *name, struct map_info *ret)
{
	if (!open_map || strcmp(name, open_map) != 0)
		return -ENODEV;
	*ret = (struct map_info){ .name = strdup(name), .open_count = 1,
				     .deferred_remove = true };
	assert_int_not_equal(asprintf(&ret->uuid, "BASICDM-%s", name), -1);
	return 0;
}

int __wrap_map_counters(const char *name, struct basic_target_counters *ret)
{
	return -ENODEV;
}

/* Volume "a"'s region: 10 reads of 2 ms and 10 writes of 20 ms, over 10 s. */
int __wrap_map_stats_sample(const char *name, struct map_stats_sample *ret)
{
	assert_string_equal(name, "a");
	*ret = (struct map_stats_sample){
		.created_usec = 1700000000000000, .now_usec = 1700000010000000,
		.reads = 10, .writes = 10, .read_sectors = 80, .write_sectors = 160,
		.read_nsecs = 10 * 2000000, .write_nsecs = 10 * 20000000,
		.bounds = { 3, { 1000000, 5000000, 25000000 } },
		.bins = { 0, 10, 10, 0 },
	};
	return 0;
}

/* ---- a manager with two volumes ----------------------------------------- */

static struct volume_config cfgs[] = {
	{ .name = "a", .kind = BACKING_FILE, .file = "/srv/a.img",
	  .latency_histogram = { 3, { 1000000, 5000000, 25000000 } } },
	{ .name = "b", .kind = BACKING_DEVICE, .device = "/dev/vdb" },
};
static struct volume *volumes[2];
static struct manager manager = {
	.config_path = "/etc/basicdm.conf", .volumes = volumes, .n_volumes = 2,
};

static const struct ucred root = { .pid = 1234, .uid = 0, .gid = 0 };
static const struct ucred user = { .pid = 1235, .uid = 1000, .gid = 1000 };

static int setup(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(volumes); i++) {
		volumes[i] = volume_new(&cfgs[i]);
		if (!volumes[i])
			return -1;
		volumes[i]->state = VOLUME_ACTIVE;
	}
	changes = 0;
	last_change[0] = '\0';
	reload_r = 0;
	reload_res = (struct reload_result){};
	open_map = NULL;
	return 0;
}

static int teardown(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(volumes); i++)
		volume_free(volumes[i]);
	return 0;
}

/* The reply to LINE from PEER; the caller puts it. */
static struct json_object *ask(const char *line, const struct ucred *peer)
{
	struct control_request req;
	struct json_object *reply;
	const char *why;

	assert_int_equal(control_request_parse(line, strlen(line), &req, &why), 0);
	reply = control_handle_request(&req, peer, &manager);
	assert_non_null(reply);
	return reply;
}

static void assert_refused(struct json_object *reply, const char *error)
{
	assert_false(json_member_bool(reply, "ok"));
	assert_string_equal(json_member_string(reply, "error"), error);
	json_object_put(reply);
}

/* ---- tests -------------------------------------------------------------- */

/* Every command but status and stats changes something. */
static void test_which_commands_change_state(void **state)
{
	for (int c = 0; c < _CONTROL_COMMAND_MAX; c++)
		assert_int_equal(control_command_changes_state(c),
				 c != CONTROL_STATUS && c != CONTROL_STATS);
}

static double number(struct json_object *o, const char *key)
{
	assert_non_null(json_member(o, key));
	return json_member_double(o, key);
}

/* stats: any user; a volume with a map and a region, one without a map, one switched off. */
static void test_stats(void **state)
{
	struct json_object *reply, *list, *a, *b, *hist;

	volumes[0]->map = makedev(253, 0);
	volumes[1]->state = VOLUME_WAITING;
	reply = ask("stats", &user);
	assert_true(json_member_bool(reply, "ok"));
	list = json_member(reply, "volumes");
	assert_int_equal(json_object_array_length(list), 2);

	a = json_member(json_object_array_get_idx(list, 0), "stats");
	assert_non_null(a);
	assert_null(json_member(json_object_array_get_idx(list, 0), "stats_missing"));
	assert_string_equal(json_member_string(a, "created"), "2023-11-14T22:13:20Z");
	assert_float_equal(number(a, "interval_seconds"), 10.0, 1e-9);
	assert_int_equal(json_member_u64(a, "read_ios"), 10);
	assert_int_equal(json_member_u64(a, "write_bytes"), 160 * 512);
	assert_float_equal(number(a, "read_ios_per_second"), 1.0, 1e-9);
	assert_float_equal(number(a, "write_bytes_per_second"), 8192.0, 1e-9);
	assert_float_equal(number(a, "read_latency_mean_ms"), 2.0, 1e-9);
	assert_float_equal(number(a, "write_latency_mean_ms"), 20.0, 1e-9);
	assert_int_equal(json_member_u64(a, "write_latency_sum_ns"), 200000000);
	/* 20 I/Os: 10 in (1 ms, 5 ms], 10 in (5 ms, 25 ms] */
	assert_float_equal(number(a, "latency_p50_ms"), 5.0, 1e-9);
	assert_float_equal(number(a, "latency_p90_ms"), 21.0, 1e-9);
	assert_float_equal(number(a, "latency_p99_ms"), 24.6, 1e-9);
	assert_string_equal(json_member_string(a, "latency_bounds"), "1ms,5ms,25ms");
	hist = json_member(a, "histogram");
	assert_int_equal(json_object_array_length(hist), 4);
	assert_float_equal(number(json_object_array_get_idx(hist, 2), "le_ms"), 25.0, 1e-9);
	assert_int_equal(json_member_u64(json_object_array_get_idx(hist, 2), "ios"), 10);
	assert_null(json_object_get(json_member(json_object_array_get_idx(hist, 3), "le_ms")));

	b = json_object_array_get_idx(list, 1);
	assert_null(json_member(b, "stats"));
	assert_string_equal(json_member_string(b, "stats_missing"), "no map: the volume is waiting");
	json_object_put(reply);

	/* one volume, and its histogram switched off */
	cfgs[0].latency_histogram.n = 0;
	reply = ask("stats a", &user);
	list = json_member(reply, "volumes");
	assert_int_equal(json_object_array_length(list), 1);
	assert_string_equal(json_member_string(json_object_array_get_idx(list, 0), "stats_missing"),
			    "latency_histogram is off");
	json_object_put(reply);
	cfgs[0].latency_histogram.n = 3;

	reply = ask("stats nosuch", &user);
	assert_refused(reply, "no-such-volume");
	assert_int_equal(changes, 0);
}

/* The percentiles' arithmetic, at the edges. */
static void test_percentiles(void **state)
{
	const struct latency_bounds b = { 2, { 1000, 3000 } };
	const uint64_t none[3] = { 0, 0, 0 }, open[3] = { 0, 0, 4 }, first[3] = { 4, 0, 0 };

	assert_true(isnan(latency_percentile_ns(&b, none, 0.5)));
	/* all slower than the last bound: said as the last bound */
	assert_float_equal(latency_percentile_ns(&b, open, 0.5), 3000, 1e-9);
	/* linear from 0 in the first bin */
	assert_float_equal(latency_percentile_ns(&b, first, 0.5), 500, 1e-9);
	assert_float_equal(latency_percentile_ns(&b, first, 1.0), 1000, 1e-9);
}

static void test_changes_need_root(void **state)
{
	static const char *const lines[] = {
		"reload", "activate a", "deactivate a", "trace a on", "trace b off",
		"stats-reset a",
		"activate nosuch",	/* refused before the name is looked at */
	};

	for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
		struct json_object *reply = ask(lines[i], &user);

		assert_non_null(strstr(json_member_string(reply, "message"), "needs root"));
		assert_refused(reply, "permission-denied");
	}
	/* and every state-changing command there is, whatever its arguments */
	for (int c = 0; c < _CONTROL_COMMAND_MAX; c++) {
		struct control_request req = { .command = c, .name = "a", .on = true };

		if (!control_command_changes_state(c))
			continue;
		assert_refused(control_handle_request(&req, &user, &manager), "permission-denied");
	}
	assert_int_equal(changes, 0);
	for (size_t i = 0; i < ELEMENTSOF(volumes); i++)
		assert_int_equal(volumes[i]->state, VOLUME_ACTIVE);
}

static void test_status_is_for_anyone(void **state)
{
	struct json_object *reply = ask("status", &user);
	struct json_object *list = json_member(reply, "volumes");

	assert_true(json_member_bool(reply, "ok"));
	assert_non_null(list);
	assert_int_equal(json_object_array_length(list), 2);
	json_object_put(reply);

	reply = ask("status b", &user);
	list = json_member(reply, "volumes");
	assert_int_equal(json_object_array_length(list), 1);
	assert_string_equal(json_member_string(json_object_array_get_idx(list, 0), "name"), "b");
	json_object_put(reply);
	assert_int_equal(changes, 0);
}

static void test_unknown_volume(void **state)
{
	static const char *const lines[] = {
		"status nosuch", "activate nosuch", "deactivate nosuch", "trace nosuch on",
		"stats-reset nosuch",
	};

	for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
		struct json_object *reply = ask(lines[i], &root);

		assert_non_null(strstr(json_member_string(reply, "message"), "nosuch"));
		assert_refused(reply, "no-such-volume");
	}
	assert_int_equal(changes, 0);
}

static void test_root_changes(void **state)
{
	static const struct {
		const char *line, *change;
	} cases[] = {
		{ "activate a", "activate a" },
		{ "deactivate b", "deactivate b" },
		{ "trace a on", "trace on a" },
		{ "trace b off", "trace off b" },
		{ "stats-reset a", "stats reset a" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct json_object *reply = ask(cases[i].line, &root);

		assert_true(json_member_bool(reply, "ok"));
		assert_int_equal(changes, (int)i + 1);
		assert_string_equal(last_change, cases[i].change);
		json_object_put(reply);
	}
}

/* The reload's reply: the summary, with what went wrong; or every error of a refused file. */
static void test_reload_reply(void **state)
{
	struct json_object *reply, *details;

	reload_res = (struct reload_result){ .added = 1, .removed = 2, .reloaded = 3,
					     .replaced = 4, .unchanged = 5 };
	reply = ask("reload", &root);
	assert_true(json_member_bool(reply, "ok"));
	assert_string_equal(json_member_string(reply, "message"),
			    "configuration reloaded: 1 added, 2 removed, 3 reloaded, 4 replaced, "
			    "5 unchanged");
	json_object_put(reply);

	reload_res.not_set_up = 1;
	reload_res.rescan_error = -EIO;
	reply = ask("reload", &root);
	assert_true(json_member_bool(reply, "ok"));
	assert_string_equal(json_member_string(reply, "message"),
			    "configuration reloaded: 1 added, 2 removed, 3 reloaded, 4 replaced, "
			    "5 unchanged; 1 not set up (out of memory); "
			    "block devices not rescanned (Input/output error)");
	json_object_put(reply);

	reload_r = -EINVAL;
	reload_res = (struct reload_result){};
	reply = ask("reload", &root);
	details = json_member(reply, "details");
	assert_non_null(details);
	assert_int_equal(json_object_array_length(details), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(details, 0)),
			    "/etc/basicdm.conf:3: broken");
	assert_string_equal(json_member_string(reply, "message"),
			    "configuration /etc/basicdm.conf refused, nothing changed");
	assert_refused(reply, "failed");
	assert_int_equal(changes, 3);
}

/* The reload's reply names each change, and the removals still open: basicdmctl waits for them. */
static void test_reload_names_the_changes(void **state)
{
	static struct volume_config old[] = {
		{ .name = "gone" }, { .name = "busy" }, { .name = "moved" }, { .name = "table" },
		{ .name = "same" },
	};
	static struct volume_config new[] = {
		{ .name = "moved" }, { .name = "table" }, { .name = "same" }, { .name = "fresh" },
	};
	const struct plan_entry plan[] = {
		{ PLAN_REMOVE, &old[0], NULL }, { PLAN_REMOVE, &old[1], NULL },
		{ PLAN_REPLACE, &old[2], &new[0] }, { PLAN_RELOAD, &old[3], &new[1] },
		{ PLAN_KEEP, &old[4], &new[2] }, { PLAN_ADD, NULL, &new[3] },
	};
	struct json_object *reply;

	reload_res = (struct reload_result){ .added = 1, .removed = 2, .reloaded = 1,
					     .replaced = 1, .unchanged = 1,
					     .plan = malloc(sizeof(plan)), .n_plan = ELEMENTSOF(plan) };
	assert_non_null(reload_res.plan);
	memcpy(reload_res.plan, plan, sizeof(plan));
	open_map = "busy";
	reply = ask("reload", &root);
	assert_true(json_member_bool(reply, "ok"));
	assert_string_equal(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN),
			    "{\"ok\":true,\"message\":\"configuration reloaded: 1 added, 2 removed, "
			    "1 reloaded, 1 replaced, 1 unchanged\",\"added\":[\"fresh\"],"
			    "\"removed\":[\"gone\",\"busy\"],\"reloaded\":[\"table\"],"
			    "\"replaced\":[\"moved\"],\"deferred\":[\"busy\"]}");
	json_object_put(reply);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_which_commands_change_state),
		T(test_changes_need_root),
		T(test_status_is_for_anyone),
		T(test_stats),
		T(test_percentiles),
		T(test_unknown_volume),
		T(test_root_changes),
		T(test_reload_reply),
		T(test_reload_names_the_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
