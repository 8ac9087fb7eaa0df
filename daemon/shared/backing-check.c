// SPDX-License-Identifier: GPL-2.0-only
#include "backing-check.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "backing-trust.h"
#include "util.h"

static int set_reason(char **reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_reason(char **reason, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(reason, fmt, ap);
	va_end(ap);
	if (r < 0) {
		*reason = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * Whether the generated drop-in DROPIN lists DIR.  A system without it
 * (the generator not installed, or never run) says nothing either way: true.
 */
static bool generator_lists(const char *dropin, const char *dir)
{
	_cleanup_(freep) char *line = NULL, *want = NULL;
	size_t size = 0;
	bool found = false;
	FILE *f;

	f = dropin ? fopen(dropin, "re") : NULL;
	if (!f)
		return true;
	if (asprintf(&want, "ReadWritePaths=\"-%s\"\n", dir) < 0) {
		fclose(f);
		return true;
	}
	while (!found && getline(&line, &size, f) >= 0)
		found = streq(line, want);
	fclose(f);
	/* a directory with a '%' is written as "%%": not worth decoding here */
	return found || strchr(dir, '%');
}

/* The file system under PATH is mounted read-only (as this process sees it). */
static bool read_only_fs(const char *path)
{
	struct statvfs sv;

	return statvfs(path, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

static int check_writable(const struct volume_config *v, const char *dir, bool exists,
			  const struct backing_view *view, char **reason)
{
	const char *target = exists ? v->file : dir;

	if (!view->in_service) {
		if (read_only_fs(target))
			return set_reason(reason, "%s is on a file system mounted read-only; set "
					  "'read_only = true', or mount it read-write", target);
		if (!sandbox_dir_always_writable(dir) && !generator_lists(view->generated_dropin, dir))
			return set_reason(reason, "basicdm.service may not write in %s yet; run "
					  "'systemctl daemon-reload' (and 'systemctl restart basicdm' "
					  "if it runs: the maps stay up)", dir);
		return 0;
	}
	/* inside the sandbox a read-only bind looks like a read-only file system */
	if (faccessat(AT_FDCWD, target, W_OK, AT_EACCESS) < 0 && errno == EROFS)
		return set_reason(reason, "basicdm.service may not write in %s: if that file "
				  "system is mounted read-write, the service was started before "
				  "the directory was configured, run 'systemctl daemon-reload && "
				  "systemctl restart basicdm' (the maps stay up); otherwise set "
				  "'read_only = true'", dir);
	return 0;
}

/* A size as the configuration may write it: "64M" when it is whole MiB, else bytes. */
static void config_size_text(uint64_t bytes, char *buf, size_t size)
{
	if (bytes && bytes % (1024 * 1024) == 0)
		snprintf(buf, size, "\"%" PRIu64 "M\"", bytes / (1024 * 1024));
	else
		snprintf(buf, size, "%" PRIu64, bytes);
}

/*
 * 'size' against the file system the file is created or grown on, ON (the
 * file, or its directory when the file is still to be created): no freeing
 * of space makes room for more than the whole file system holds.  A file
 * system that does not say (statvfs() fails, or 0 blocks) passes.
 */
static int check_capacity(const struct volume_config *v, const char *on, char **reason)
{
	struct statvfs sv;
	uint64_t total;

	if (statvfs(on, &sv) < 0 ||
	    __builtin_mul_overflow((uint64_t)sv.f_blocks, (uint64_t)sv.f_frsize, &total) ||
	    total == 0 || v->size_bytes <= total)
		return 0;
	return set_reason(reason, "size is %" PRIu64 " bytes, but the whole file system of %s "
			  "holds %" PRIu64 " bytes; set a smaller size, or put the file on a "
			  "larger file system", v->size_bytes, on, total);
}

/*
 * 'size' against the file that exists: never smaller (basicdm grows a
 * file, it never truncates one: that would cut the volume's data), and
 * room on its file system for what a larger one adds.
 */
static int check_size(const struct volume_config *v, const struct stat *st, char **reason)
{
	uint64_t have = (uint64_t)st->st_size;
	struct statvfs sv;
	char text[32];

	if (!v->size_bytes || v->size_bytes == have || !S_ISREG(st->st_mode))
		return 0;
	if (v->size_bytes < have) {
		config_size_text(have, text, sizeof(text));
		return set_reason(reason, "size is smaller than %s, which holds %" PRIu64 " bytes; "
				  "basicdm never truncates a backing file: set size = %s or more, "
				  "or remove it", v->file, have, text);
	}
	if (!v->read_only && statvfs(v->file, &sv) == 0 &&
	    (uint64_t)sv.f_bfree * sv.f_frsize < v->size_bytes - have)
		return set_reason(reason, "no room to grow %s from %" PRIu64 " to %" PRIu64
				  " bytes: its file system has %" PRIu64 " bytes free; free some "
				  "space, or keep the size", v->file, have, v->size_bytes,
				  (uint64_t)sv.f_bfree * sv.f_frsize);
	/* room enough to grow a sparse file, and still more than the file system */
	if (!v->read_only)
		return check_capacity(v, v->file, reason);
	return 0;
}

/* What backing_trust_open() found at a file volume's path. */
enum found {
	FOUND_FILE,	/* *ST is the file, trusted */
	FOUND_NOTHING,	/* no file there (yet) */
	FOUND_UNKNOWN,	/* EACCES, a directory and the like: the attach says it, with the errno */
};

/*
 * V's file and the directories above it, judged by backing-trust.h's rules
 * on what was opened (O_PATH: nothing is opened for real or created here).
 * 0 with *FOUND, or with *REASON; -ENOMEM.
 */
static int check_trust(const struct volume_config *v, const struct backing_view *view,
		       struct stat *st, enum found *found, char **reason)
{
	_cleanup_(freep) char *name = NULL;
	_cleanup_(closep) int dir_fd = -1, fd = -1;
	int r;

	*found = FOUND_UNKNOWN;
	r = backing_trust_open_dir(v->file, view->owner, &dir_fd, &name, reason);
	if (r == -ENOENT)
		*found = FOUND_NOTHING;	/* its directory does not exist: said below */
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	fd = backing_trust_open_file(dir_fd, name, v->file, O_PATH, view->owner, st, reason);
	if (fd >= 0)
		*found = FOUND_FILE;
	else if (fd == -ENOENT)
		*found = FOUND_NOTHING;
	return fd == -ENOMEM ? fd : 0;
}

/* backing_check_volume(), and in *ST the file when *EXISTS. */
static int check_volume(const struct volume_config *v, const struct backing_view *view,
			struct stat *st, bool *exists, char **reason)
{
	_cleanup_(freep) char *dir = NULL;
	const char *hidden, *closed;
	enum found found;
	bool shared;
	int r;

	*reason = NULL;
	*exists = false;
	if (v->kind != BACKING_FILE)
		return 0;
	hidden = sandbox_hidden_root(v->file);
	if (hidden)
		return set_reason(reason, "%s is under %s, which basicdm.service cannot reach "
				  "(ProtectHome=yes); move the file elsewhere, e.g. under /srv",
				  v->file, hidden);

	r = sandbox_write_dir(v, &dir);
	if (r < 0)
		return r;
	/* the generator does not open these: say so before anything else */
	closed = dir ? sandbox_closed_dir(dir, &shared) : NULL;
	if (closed && shared)
		return set_reason(reason, "%s is directly in %s, which basicdm.service must never "
				  "write in as a whole (ProtectSystem=strict); move the file into a "
				  "directory of its own, e.g. under /srv, or set 'read_only = true'",
				  v->file, closed);
	if (closed)
		return set_reason(reason, "%s is under %s, where basicdm.service must never write "
				  "(ProtectSystem=strict); move the file elsewhere, e.g. under /srv, "
				  "or set 'read_only = true'", v->file, closed);
	if (dir) {
		_cleanup_(freep) char *target = sandbox_closed_target(dir);

		if (target)
			return set_reason(reason, "the directory of %s, %s, leads to %s through a "
					  "symbolic link, and basicdm.service must never write there "
					  "(ProtectSystem=strict); make %s a directory of its own, or set "
					  "'read_only = true'", v->file, dir, target, dir);
	}

	r = check_trust(v, view, st, &found, reason);
	if (r < 0 || *reason || found == FOUND_UNKNOWN)
		return r;
	*exists = found == FOUND_FILE;
	if (!*exists && !v->size_bytes)
		return set_reason(reason, "%s does not exist and 'size' is not set; create the "
				  "file, or set 'size' to have it created", v->file);
	if (!*exists) {
		/* created even for a read_only volume; a missing directory is said below */
		_cleanup_(freep) char *parent = NULL;
		const char *slash = strrchr(v->file, '/');

		parent = slash == v->file ? strdup("/") : strndup(v->file, slash - v->file);
		if (!parent)
			return -ENOMEM;
		r = check_capacity(v, parent, reason);
		if (r < 0 || *reason)
			return r;
	}
	if (*exists) {
		r = check_size(v, st, reason);
		if (r < 0 || *reason)
			return r;
	}

	if (!dir)
		return 0;	/* read_only: opened for reading only */
	if (!*exists && !streq(dir, SANDBOX_STATE_DIR) && access(dir, F_OK) < 0 && errno == ENOENT)
		return set_reason(reason, "the directory %s does not exist, so %s cannot be "
				  "created; create it: mkdir -p %s", dir, v->file, dir);
	return check_writable(v, dir, *exists, view, reason);
}

int backing_check_volume(const struct volume_config *v, const struct backing_view *view,
			 char **reason)
{
	struct stat st;
	bool exists;

	return check_volume(v, view, &st, &exists, reason);
}

/* A file that backs a volume, as opened: two paths to it are one file. */
struct file_id {
	dev_t dev;
	ino_t ino;
	bool known;
};

/*
 * Volume V's file is one an earlier volume names under another path: its
 * overlap with that volume would go unseen (the validator compares the
 * paths), and the one loop device of the file would be mapped twice.
 */
static int check_same_file(const struct config *c, const struct file_id *ids, size_t index,
			   struct config_errors *errors)
{
	const struct volume_config *v = &c->volumes[index];

	for (size_t i = 0; i < index; i++) {
		const struct volume_config *earlier = &c->volumes[i];

		if (!ids[i].known || ids[i].dev != ids[index].dev || ids[i].ino != ids[index].ino ||
		    streq(earlier->file, v->file))
			continue;
		if (config_error_add(errors, v->where.file, v->where.line,
				     "volume '%s': %s is the same file as %s of volume '%s' "
				     "(%s:%d); refusing it: one file backs volumes under one path, "
				     "name it %s in both, or give '%s' a file of its own",
				     v->name, v->file, earlier->file, earlier->name,
				     earlier->where.file, earlier->where.line, earlier->file,
				     v->name) < 0)
			return -ENOMEM;
		return -EINVAL;
	}
	return 0;
}

int backing_check_config(const struct config *c, const struct backing_view *view,
			 struct config_errors *errors)
{
	_cleanup_(freep) struct file_id *ids = NULL;
	int found = 0, r;

	ids = calloc(c->n_volumes ? c->n_volumes : 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_volumes; i++) {
		const struct volume_config *v = &c->volumes[i];
		_cleanup_(freep) char *reason = NULL;
		struct stat st;
		bool exists;

		if (check_volume(v, view, &st, &exists, &reason) < 0)
			return -ENOMEM;
		if (reason) {
			if (config_error_add(errors, v->where.file, v->where.line,
					     "volume '%s': %s", v->name, reason) < 0)
				return -ENOMEM;
			found = -EINVAL;
			continue;
		}
		if (!exists)
			continue;
		ids[i] = (struct file_id){ .dev = st.st_dev, .ino = st.st_ino, .known = true };
		r = check_same_file(c, ids, i, errors);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			ids[i].known = false;	/* said once, of the second */
			found = r;
		}
	}
	return found;
}

int backing_check_load(const char *path, struct config **ret, struct config_errors *errors)
{
	static const struct backing_view admin = { .generated_dropin = BACKING_GENERATED_DROPIN };
	int r;

	*ret = NULL;
	r = config_load(path, NULL, ret, errors);
	if (r < 0)
		return r;
	return backing_check_config(*ret, &admin, errors);
}
