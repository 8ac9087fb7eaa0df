// SPDX-License-Identifier: GPL-2.0-only
/*
 * A volume's map, the device-mapper side through libdevmapper: map.h.
 *
 * Udev: sync is off and every task carries DM_UDEV_DISABLE_LIBRARY_FALLBACK,
 * so libdevmapper neither waits on a cookie semaphore nor makes /dev nodes
 * itself; udev's rules make them from the uevent, whose DM_COOKIE carries
 * the flags (with a zero semaphore part).
 *
 * Addressing: a map is looked up by name only to see what holds that name
 * (map_get_info, map_list_ours).  Everything that changes or reads a map of
 * ours addresses it by its UUID, so a foreign map that happens to have a
 * volume's name is never reloaded, removed or messaged: it reads as absent.
 *
 * Errors: libdevmapper answers 1 or 0; the ioctl's errno, when there was one,
 * becomes the negative errno returned here.  The kernel answers ENXIO for a
 * map that does not exist; that is returned as -ENODEV everywhere.
 */
#include "map.h"

#include <errno.h>
#include <inttypes.h>
#include <libdevmapper.h>
#include <limits.h>
#include <linux/dm-ioctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "log.h"
#include "parse-util.h"
#include "util.h"

/*
 * A subsystem udev flag is the owner's to define for its maps: this one
 * tells 60-basicdm.rules that the map's backing device is gone.
 */
#define MAP_UDEV_FLAG_BACKING_GONE DM_SUBSYSTEM_UDEV_FLAG0

/* EBUSY on remove: udev and blkid open a new or changed device briefly. */
#define REMOVE_TRIES 5
#define REMOVE_RETRY_NSEC (50 * 1000 * 1000L)

/* "<maj>:<min> <offset> 1 trace": two 20-digit numbers and change. */
#define PARAMS_MAX 96

/* Kernel dev_t limits (MINORBITS 20): what the kernel prints as "maj:min". */
#define KERNEL_MAJOR_MAX 0xfffu
#define KERNEL_MINOR_MAX 0xfffffu

/* At most this many feature words after <#features> (basic_target.rst). */
#define FEATURES_MAX 8

/* Number of status fields a basic_target of version 1.0 prints. */
#define COUNTER_FIELDS 10

/* libdevmapper's private log levels (lib/log/log.h), low bits of LEVEL. */
#define LIBDM_LOG_LEVEL_MASK 0x7
#define LIBDM_LOG_ERR 3
#define LIBDM_LOG_WARN 4
#define LIBDM_LOG_DEBUG 7

static bool map_setup_done;
/* Set while a failure is expected and handled here: its errors are debug. */
static bool libdm_log_quiet;

static inline void task_destroyp(struct dm_task **t)
{
	if (*t)
		dm_task_destroy(*t);
}

/* ---- pure helpers: formatting and parsing ------------------------------ */

/*
 * The parsers below read what the kernel prints: any number parse_uint64()
 * refuses, overflow included, makes the whole line not a valid table or
 * status line (-EINVAL).
 */

/* "maj:min" as the kernel prints a device in a table. */
static int parse_devnum(const char *s, dev_t *ret)
{
	char buf[2 * 20 + 2];
	uint64_t maj, min;
	char *colon;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (parse_uint64(buf, &maj) < 0 || parse_uint64(colon + 1, &min) < 0)
		return -EINVAL;
	if (maj > KERNEL_MAJOR_MAX || min > KERNEL_MINOR_MAX)
		return -EINVAL;
	*ret = makedev((unsigned)maj, (unsigned)min);
	return 0;
}

/* The target's length and range must make sense to the kernel. */
static int check_spec(const struct basic_target_table *t)
{
	if (t->sectors == 0 || t->offset > UINT64_MAX - t->sectors)
		return -EINVAL;
	if (major(t->backing) > KERNEL_MAJOR_MAX || minor(t->backing) > KERNEL_MINOR_MAX)
		return -EINVAL;
	return 0;
}

int basic_target_format_table(const struct basic_target_table *t, char *buf, size_t size)
{
	int n, r;

	r = check_spec(t);
	if (r < 0)
		return r;
	n = snprintf(buf, size, "%u:%u %" PRIu64 "%s", major(t->backing), minor(t->backing),
		     t->offset, t->trace ? " 1 trace" : "");
	if (n < 0 || (size_t)n >= size)
		return -ENOBUFS;
	return 0;
}

static int parse_features(char **words, size_t n, bool *trace)
{
	uint64_t count;

	*trace = false;
	if (n == 0)
		return 0;
	if (parse_uint64(words[0], &count) < 0 || count > FEATURES_MAX || count != n - 1)
		return -EINVAL;
	for (size_t i = 1; i < n; i++) {
		/* the kernel takes feature words in any case, like messages */
		if (strcasecmp(words[i], "trace") != 0 || *trace)
			return -EINVAL;
		*trace = true;
	}
	return 0;
}

int basic_target_parse_table(const char *params, uint64_t sectors, struct basic_target_table *t)
{
	/* device, offset, #features, up to FEATURES_MAX features */
	char *words[3 + FEATURES_MAX];
	_cleanup_(freep) char *copy = NULL;
	struct basic_target_table spec = { .sectors = sectors };
	size_t n;
	int r;

	copy = strdup(params);
	if (!copy)
		return -ENOMEM;
	r = split_words(copy, words, ELEMENTSOF(words), &n);
	if (r < 0 || n < 2)
		return -EINVAL;
	if (parse_devnum(words[0], &spec.backing) < 0 || parse_uint64(words[1], &spec.offset) < 0)
		return -EINVAL;
	r = parse_features(words + 2, n - 2, &spec.trace);
	if (r < 0)
		return r;
	r = check_spec(&spec);
	if (r < 0)
		return r;
	*t = spec;
	return 0;
}

/*
 * Ten counters and trace|notrace.  basic_target.rst promises that new
 * fields only ever come at the end, so words after these are ignored: a
 * newer module must not make this daemon's status fail.
 */
int basic_target_parse_status(const char *status, struct basic_target_counters *c)
{
	_cleanup_(freep) char *copy = NULL;
	struct basic_target_counters out = {};
	uint64_t *fields[COUNTER_FIELDS] = {
		&out.reads,	     &out.read_sectors,	    &out.writes,
		&out.write_sectors,  &out.flushes,	    &out.discards,
		&out.discard_sectors, &out.write_zeroes, &out.write_zeroes_sectors,
		&out.secure_erases,
	};
	char *save = NULL, *w;
	size_t i;

	copy = strdup(status);
	if (!copy)
		return -ENOMEM;
	w = strtok_r(copy, " \t\n", &save);
	for (i = 0; i < COUNTER_FIELDS; i++) {
		if (!w || parse_uint64(w, fields[i]) < 0)
			return -EINVAL;
		w = strtok_r(NULL, " \t\n", &save);
	}
	if (!w)
		return -EINVAL;
	if (streq(w, "trace"))
		out.trace = true;
	else if (!streq(w, "notrace"))
		return -EINVAL;
	*c = out;
	return 0;
}

/* ---- libdevmapper plumbing --------------------------------------------- */

/* Routed through our log; libdevmapper's own would go to stderr. */
__attribute__((format(printf, 5, 6)))
static void libdm_log(int level, const char *file, int line, int dm_errno_or_class,
		      const char *fmt, ...)
{
	char msg[LINE_MAX];
	va_list ap;
	int prio;

	/* debug lines trace every ioctl: noise even in our debug output */
	level &= LIBDM_LOG_LEVEL_MASK;
	if (level >= LIBDM_LOG_DEBUG)
		return;
	if (level <= LIBDM_LOG_ERR && !libdm_log_quiet)
		prio = LOG_ERR;
	else if (level == LIBDM_LOG_WARN && !libdm_log_quiet)
		prio = LOG_WARNING;
	else
		prio = LOG_DEBUG;
	if (prio > log_get_max_level())
		return;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_full(prio, 0, "libdevmapper: %s", msg);
}

void map_setup(void)
{
	/*
	 * Never wait on a udev cookie: the semaphore wait has no timeout and
	 * would stall the event loop.  The DM device's own uevent tells the
	 * caller that udev is done.
	 */
	dm_udev_set_sync_support(0);
	dm_log_with_errno_init(libdm_log);
	map_setup_done = true;
}

static int task_errno(struct dm_task *t)
{
	int e = dm_task_get_errno(t);

	if (e == ENXIO)
		return -ENODEV;
	return e > 0 ? -e : -EIO;
}

/* libdevmapper would silently keep only what follows a '/'. */
static bool name_ok(const char *name)
{
	return name && *name && strlen(name) < DM_NAME_LEN && !strchr(name, '/');
}

/* The UUID of volume NAME's map. */
static int map_uuid(const char *name, char *buf, size_t size)
{
	int n;

	if (!name_ok(name))
		return -EINVAL;
	n = snprintf(buf, size, MAP_UUID_PREFIX "%s", name);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * A task, with the udev flags every task carries but the create: with sync
 * off, dm_task_set_cookie() only records the flags and leaves the cookie 0,
 * so no semaphore exists and nothing is ever waited on or released.
 */
static int task_new_flags(int type, bool udev_flags, uint16_t extra_flags, struct dm_task **ret)
{
	_cleanup_(task_destroyp) struct dm_task *t = NULL;
	uint32_t cookie = 0;

	/* a task made before map_setup() would take a real cookie */
	if (!map_setup_done)
		map_setup();
	/*
	 * NULL: out of memory, or no device-mapper in the kernel (the check
	 * of its version is made here); libdevmapper has logged which.
	 */
	errno = 0;
	t = dm_task_create(type);
	if (!t)
		return errno == ENOMEM ? -ENOMEM : -EOPNOTSUPP;
	if (udev_flags &&
	    !dm_task_set_cookie(t, &cookie, DM_UDEV_DISABLE_LIBRARY_FALLBACK | extra_flags))
		return -ENOMEM;
	*ret = TAKE_PTR(t);
	return 0;
}

static int task_new(int type, struct dm_task **ret)
{
	return task_new_flags(type, true, 0, ret);
}

/* A task on volume NAME's map, found by its UUID; EXTRA_FLAGS go to udev. */
static int task_new_ours_flags(int type, const char *name, uint16_t extra_flags,
			       struct dm_task **ret)
{
	_cleanup_(task_destroyp) struct dm_task *t = NULL;
	char uuid[DM_UUID_LEN];
	int r;

	r = map_uuid(name, uuid, sizeof(uuid));
	if (r < 0)
		return r;
	r = task_new_flags(type, true, extra_flags, &t);
	if (r < 0)
		return r;
	if (!dm_task_set_uuid(t, uuid))
		return -ENOMEM;
	*ret = TAKE_PTR(t);
	return 0;
}

static int task_new_ours(int type, const char *name, struct dm_task **ret)
{
	return task_new_ours_flags(type, name, 0, ret);
}

static int task_run(struct dm_task *t)
{
	int r = dm_task_run(t) ? 0 : task_errno(t);

	/*
	 * Node operations stacked by the run are all "leave it to udev" and
	 * only skipped; drop them now so the list cannot grow for the
	 * daemon's lifetime (dm_udev_wait() would do the same, but there is
	 * no cookie to name).
	 */
	dm_task_update_nodes();
	return r;
}

/* SUSPEND, RESUME, CLEAR, REMOVE, all alike. */
static int simple_task(int type, const char *name, bool deferred)
{
	_cleanup_(task_destroyp) struct dm_task *t = NULL;
	int r;

	r = task_new_ours(type, name, &t);
	if (r < 0)
		return r;
	if (!dm_task_no_open_count(t))
		return -ENOMEM;
	if (deferred && !dm_task_deferred_remove(t))
		return -ENOMEM;
	return task_run(t);
}

/* Loads T into the inactive slot of volume NAME's map. */
static int load_table(const char *name, const struct basic_target_table *t)
{
	_cleanup_(task_destroyp) struct dm_task *task = NULL;
	char params[PARAMS_MAX];
	int r;

	r = basic_target_format_table(t, params, sizeof(params));
	if (r < 0)
		return r;
	r = task_new_ours(DM_DEVICE_RELOAD, name, &task);
	if (r < 0)
		return r;
	/* the table's mode decides how the backing device is opened */
	if (t->read_only && !dm_task_set_ro(task))
		return -ENOMEM;
	if (!dm_task_no_open_count(task) ||
	    !dm_task_add_target(task, 0, t->sectors, BASIC_TARGET_NAME, params))
		return -ENOMEM;
	return task_run(task);
}

/* ---- maps -------------------------------------------------------------- */

int map_remove(const char *name, bool deferred)
{
	struct timespec pause = { .tv_nsec = REMOVE_RETRY_NSEC };
	int r;

	if (deferred)
		return simple_task(DM_DEVICE_REMOVE, name, true);

	for (int i = 1;; i++) {
		/* an EBUSY that will be retried is not worth an error line */
		libdm_log_quiet = i < REMOVE_TRIES;
		r = simple_task(DM_DEVICE_REMOVE, name, false);
		libdm_log_quiet = false;
		if (r != -EBUSY || i == REMOVE_TRIES)
			return r;
		log_debug("Map %s is busy, retrying removal", name);
		nanosleep(&pause, NULL);
	}
}

/*
 * libdevmapper's DM_DEVICE_CREATE with a table does the same three steps,
 * but loses the load's errno and tries the revert only once; done here the
 * caller learns why the table was refused and the revert rides out EBUSY.
 */
int map_create(const char *name, const struct basic_target_table *t)
{
	_cleanup_(task_destroyp) struct dm_task *task = NULL;
	char uuid[DM_UUID_LEN], params[PARAMS_MAX];
	int r, k;

	/* refuse a bad spec before anything exists */
	r = basic_target_format_table(t, params, sizeof(params));
	if (r < 0)
		return r;
	r = map_uuid(name, uuid, sizeof(uuid));
	if (r < 0)
		return r;

	/*
	 * The map's "add" uevent, before it has a table, carries no cookie:
	 * any cookie makes 55-dm.rules and 95-dm-notify.rules run dmsetup
	 * twice (udevflags, udevcomplete), and a new map is then still only
	 * "no live table yet", as it is for an event without a cookie.  The
	 * udev work per map is most of what bringing volumes up costs
	 * (tests/bench).  The node is udev's job, made at the resume.
	 */
	r = task_new_flags(DM_DEVICE_CREATE, false, 0, &task);
	if (r < 0)
		return r;
	if (!dm_task_set_name(task, name) || !dm_task_set_uuid(task, uuid) ||
	    !dm_task_set_add_node(task, DM_ADD_NODE_ON_RESUME))
		return -ENOMEM;
	r = task_run(task);
	if (r < 0)
		return r;	/* -EBUSY: the name or the UUID is taken */

	r = load_table(name, t);
	if (r >= 0)
		r = simple_task(DM_DEVICE_RESUME, name, false);
	if (r >= 0)
		return 0;

	/* a map without a live table is of no use to anyone: take it away */
	k = map_remove(name, false);
	if (k < 0)
		log_warning("Cannot remove the half-created map %s: %s", name, strerror(-k));
	return r;
}

/*
 * After a failed resume: never leave I/O queued on a suspended map.  The
 * kernel drops a table it failed to swap in, so a plain resume brings the
 * map back with its old one.
 */
static void resume_again(const char *name)
{
	int k = simple_task(DM_DEVICE_RESUME, name, false);

	if (k < 0)
		log_warning("Map %s stays suspended, resume failed twice: %s", name, strerror(-k));
}

/*
 * The suspend is its own step: a resume with an inactive table suspends by
 * itself, but kernels without a 2024 fix ignore a failed suspend there and
 * then fail the swap with a bare EINVAL.  While the map is suspended udev may
 * process one of its events (the last resume's, still queued, or a watch
 * or trigger event); 60-basicdm.rules keeps the map's links and readiness
 * through it, so nothing here waits on udev.
 */
int map_reload(const char *name, const struct basic_target_table *t)
{
	int r, k;

	/* a refused table leaves the live one untouched */
	r = load_table(name, t);
	if (r < 0)
		return r;

	r = simple_task(DM_DEVICE_SUSPEND, name, false);
	if (r < 0) {
		/* do not leave the new table for some later resume to swap in */
		k = simple_task(DM_DEVICE_CLEAR, name, false);
		if (k < 0)
			log_debug("Cannot clear the inactive table of %s: %s", name,
				  strerror(-k));
		return r;
	}

	r = simple_task(DM_DEVICE_RESUME, name, false);
	if (r < 0)
		resume_again(name);
	return r;
}

/*
 * Only a resume of a suspended map sends a uevent: suspend first, without
 * freezing the file system on it or flushing (the backing is gone, its I/O
 * fails at once), then resume with the flag that 60-basicdm.rules reads.
 * Both tasks exist before the suspend runs, so nothing but the kernel can
 * leave the map suspended.
 */
int map_mark_backing_gone(const char *name)
{
	_cleanup_(task_destroyp) struct dm_task *suspend = NULL, *resume = NULL;
	int r;

	r = task_new_ours(DM_DEVICE_SUSPEND, name, &suspend);
	if (r < 0)
		return r;
	if (!dm_task_no_open_count(suspend) || !dm_task_skip_lockfs(suspend) ||
	    !dm_task_no_flush(suspend))
		return -ENOMEM;
	r = task_new_ours_flags(DM_DEVICE_RESUME, name, MAP_UDEV_FLAG_BACKING_GONE, &resume);
	if (r < 0)
		return r;
	if (!dm_task_no_open_count(resume))
		return -ENOMEM;
	r = task_run(suspend);
	if (r < 0)
		return r;
	r = task_run(resume);
	if (r < 0)
		resume_again(name);	/* unflagged */
	return r;
}

/* Reads the single basic_target line of a TABLE task into I's table. */
static void read_table(struct dm_task *t, struct map_info *i)
{
	uint64_t start, length;
	char *type, *params;
	void *next;

	next = dm_get_next_target(t, NULL, &start, &length, &type, &params);
	if (next || !type || !params || start != 0 || !streq(type, BASIC_TARGET_NAME))
		return;
	if (basic_target_parse_table(params, length, &i->table) < 0)
		return;
	i->table.read_only = i->read_only;
	i->table_is_ours = true;
}

/* The live table, looked up by device number: the map the info was about. */
static int map_info_table(struct map_info *i)
{
	_cleanup_(task_destroyp) struct dm_task *t = NULL;
	int r;

	r = task_new(DM_DEVICE_TABLE, &t);
	if (r < 0)
		return r;
	if (!dm_task_set_major(t, (int)major(i->devnum)) ||
	    !dm_task_set_minor(t, (int)minor(i->devnum)) || !dm_task_no_open_count(t))
		return -ENOMEM;
	r = task_run(t);
	if (r < 0)
		return r;
	read_table(t, i);
	return 0;
}

/* INFO by name: whether the map exists, its numbers and UUID. */
static int map_info_basic(const char *name, struct map_info *ret, bool *live)
{
	_cleanup_(task_destroyp) struct dm_task *t = NULL;
	struct map_info i = {};
	struct dm_info info;
	const char *uuid;
	int r;

	if (!name_ok(name))
		return -EINVAL;
	r = task_new(DM_DEVICE_INFO, &t);
	if (r < 0)
		return r;
	if (!dm_task_set_name(t, name))
		return -ENOMEM;
	r = task_run(t);
	if (r < 0)
		return r;
	if (!dm_task_get_info(t, &info))
		return -EIO;
	if (!info.exists)
		return -ENODEV;

	uuid = dm_task_get_uuid(t);
	i.name = strdup(name);
	i.uuid = strdup(uuid ?: "");
	if (!i.name || !i.uuid) {
		map_info_clear(&i);
		return -ENOMEM;
	}
	i.devnum = makedev(info.major, info.minor);
	i.suspended = info.suspended;
	i.open_count = info.open_count;
	i.read_only = info.read_only;
	i.deferred_remove = info.deferred_remove;
	*live = info.live_table;
	*ret = i;
	return 0;
}

int map_get_info(const char *name, struct map_info *ret)
{
	struct map_info i;
	bool live;
	int r;

	r = map_info_basic(name, &i, &live);
	if (r < 0)
		return r;
	if (live) {
		r = map_info_table(&i);
		if (r < 0) {
			map_info_clear(&i);
			return r;
		}
	}
	*ret = i;
	return 0;
}

int map_counters(const char *name, struct basic_target_counters *ret)
{
	_cleanup_(task_destroyp) struct dm_task *t = NULL;
	uint64_t start, length;
	char *type, *params;
	struct dm_info info;
	void *next;
	int r;

	r = task_new_ours(DM_DEVICE_STATUS, name, &t);
	if (r < 0)
		return r;
	if (!dm_task_no_open_count(t))
		return -ENOMEM;
	r = task_run(t);
	if (r < 0)
		return r;
	/* STATUS on a missing map succeeds with "exists" unset */
	if (!dm_task_get_info(t, &info))
		return -EIO;
	if (!info.exists)
		return -ENODEV;
	if (!info.live_table)
		return -ENODATA;

	next = dm_get_next_target(t, NULL, &start, &length, &type, &params);
	if (next || !type || !params || !streq(type, BASIC_TARGET_NAME))
		return -EMEDIUMTYPE;
	return basic_target_parse_status(params, ret);
}

int map_message(const char *name, const char *message)
{
	_cleanup_(task_destroyp) struct dm_task *t = NULL;
	int r;

	r = task_new_ours(DM_DEVICE_TARGET_MSG, name, &t);
	if (r < 0)
		return r;
	if (!dm_task_set_sector(t, 0) || !dm_task_set_message(t, message))
		return -ENOMEM;
	return task_run(t);
}

int map_cancel_deferred_remove(const char *name)
{
	/* device-mapper's own message, understood by every target */
	return map_message(name, "@cancel_deferred_remove");
}

/* ---- listing ----------------------------------------------------------- */

void map_info_clear(struct map_info *i)
{
	if (!i)
		return;
	free(i->name);
	free(i->uuid);
	*i = (struct map_info){};
}

void map_info_free_array(struct map_info *a, size_t n)
{
	for (size_t k = 0; k < n; k++)
		map_info_clear(&a[k]);
	free(a);
}

struct info_array {
	struct map_info *a;
	size_t n, allocated;
};

static int info_array_push(struct info_array *arr, struct map_info *i)
{
	if (arr->n == arr->allocated) {
		size_t want = arr->allocated ? arr->allocated * 2 : 8;
		struct map_info *p = reallocarray(arr->a, want, sizeof(*p));

		if (!p)
			return -ENOMEM;
		arr->a = p;
		arr->allocated = want;
	}
	arr->a[arr->n++] = *i;
	*i = (struct map_info){};
	return 0;
}

/* Appends NAME's info when its UUID is ours; a map gone meanwhile is skipped. */
static int collect_if_ours(const char *name, struct info_array *arr)
{
	struct map_info i;
	bool live;
	int r;

	r = map_info_basic(name, &i, &live);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	if (!map_uuid_is_ours(i.uuid)) {
		map_info_clear(&i);
		return 0;
	}
	if (live) {
		r = map_info_table(&i);
		if (r < 0) {
			map_info_clear(&i);
			return r == -ENODEV ? 0 : r;
		}
	}
	r = info_array_push(arr, &i);
	map_info_clear(&i);
	return r;
}

int map_list_ours(struct map_info **ret, size_t *n)
{
	_cleanup_(task_destroyp) struct dm_task *t = NULL;
	struct info_array arr = {};
	struct dm_names *names;
	int r;

	r = task_new(DM_DEVICE_LIST, &t);
	if (r < 0)
		return r;
	r = task_run(t);
	if (r < 0)
		return r;
	names = dm_task_get_names(t);
	if (!names)
		return -EIO;

	/* an empty list is one entry with dev 0 */
	if (names->dev) {
		for (;;) {
			r = collect_if_ours(names->name, &arr);
			if (r < 0) {
				map_info_free_array(arr.a, arr.n);
				return r;
			}
			if (!names->next)
				break;
			names = (struct dm_names *)((char *)names + names->next);
		}
	}
	*ret = arr.a;
	*n = arr.n;
	return 0;
}

/*
 * Whether the kernel has the basic_target target type: a table load says
 * only EINVAL when the module is missing, which tells the user nothing.
 * When the kernel cannot be asked, the answer is yes (nothing to add).
 */
bool basic_target_present(void)
{
	_cleanup_(task_destroyp) struct dm_task *t = NULL;
	struct dm_versions *v, *last;

	if (task_new(DM_DEVICE_LIST_VERSIONS, &t) < 0 || task_run(t) < 0)
		return true;
	v = dm_task_get_versions(t);
	if (!v)
		return true;
	do {
		if (streq(v->name, BASIC_TARGET_NAME))
			return true;
		last = v;
		v = (struct dm_versions *)((char *)v + v->next);
	} while (last != v);
	return false;
}
