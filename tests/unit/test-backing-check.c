// SPDX-License-Identifier: GPL-2.0-only
/*
 * Backing files wherever the administrator puts them: the drop-in
 * basicdm-generator writes for basicdm.service (backing-dirs.c), and the
 * checks that name a file the unit cannot use, with its fix
 * (backing-check.c), and who could change a file under its map
 * (backing-trust.c), on real files in a temporary directory.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <cmocka.h>

#include "backing-check.h"
#include "backing-dirs.h"
#include "sandbox.h"
#include "scratch-dir.h"
#include "test-files.h"
#include "util.h"

static char tmp[] = "/tmp/test-backing-XXXXXX";

static struct volume_config file_volume(const char *name, char *path, uint64_t size)
{
	return (struct volume_config){ .name = (char *)name, .kind = BACKING_FILE, .file = path,
				       .size_bytes = size, .where = { (char *)"t.conf", 7 } };
}

/* The generator's drop-in for the volumes V[0..N). */
static char *dropin_for(struct volume_config *v, size_t n, char **log_text)
{
	const struct config c = { .volumes = v, .n_volumes = n };
	char *text = NULL;
	size_t size = 0, log_size = 0;
	FILE *f = open_memstream(&text, &size), *log = open_memstream(log_text, &log_size);

	assert_non_null(f);
	assert_non_null(log);
	assert_true(backing_dirs_write(&c, f, log) >= 0);
	fclose(f);
	fclose(log);
	return text;
}

static void test_hidden_roots(void **state)
{
	assert_string_equal(sandbox_hidden_root("/home/me/x.img"), "/home");
	assert_string_equal(sandbox_hidden_root("/root/x.img"), "/root");
	assert_string_equal(sandbox_hidden_root("/run/user/1000/x.img"), "/run/user");
	assert_null(sandbox_hidden_root("/homes/x.img"));
	assert_null(sandbox_hidden_root("/srv/home/x.img"));
	assert_null(sandbox_hidden_root("/run/users.img"));
}

/* Directories never opened for writing: the system's trees, and /, /var, /var/lib themselves. */
static void test_closed_dirs(void **state)
{
	static const struct {
		const char *dir, *closed;
		bool shared;
	} closed[] = {
		{ "/", "/", true },
		{ "/var", "/var", true },
		{ "/var/lib", "/var/lib", true },
		{ "/etc", "/etc", false },
		{ "/etc/basicdm", "/etc", false },
		{ "/usr", "/usr", false },
		{ "/usr/local/share", "/usr", false },
		{ "/boot", "/boot", false },
		{ "/boot/efi", "/boot", false },
		{ "/efi", "/efi", false },
		{ "/proc/1", "/proc", false },
		{ "/sys/fs/cgroup", "/sys", false },
		{ "/dev", "/dev", false },
		{ "/dev/shm", "/dev", false },
		{ "/run", "/run", false },
		{ "/run/basicdm", "/run", false },
	};
	static const char *const open_dirs[] = {
		"/srv", "/srv/images", "/var/lib/vm", "/var/lib/basicdm", "/var/tmp", "/var/cache/x",
		"/tmp", "/mnt/disk", "/etcetera", "/usrdata", "/runner", "/devices", "/var/library",
	};
	bool shared;

	for (size_t i = 0; i < ELEMENTSOF(closed); i++) {
		const char *why = sandbox_closed_dir(closed[i].dir, &shared);

		if (!why || !streq(why, closed[i].closed) || shared != closed[i].shared)
			fail_msg("%s: closed by '%s' (shared %d), not '%s' (shared %d)",
				 closed[i].dir, why ? why : "(null)", shared, closed[i].closed,
				 closed[i].shared);
	}
	for (size_t i = 0; i < ELEMENTSOF(open_dirs); i++)
		if (sandbox_closed_dir(open_dirs[i], &shared))
			fail_msg("%s should be open to the generator", open_dirs[i]);
}

static void test_write_dir(void **state)
{
	struct volume_config v = file_volume("a", (char *)"/srv/images/a.img", 0);
	_cleanup_(freep) char *dir = NULL, *root = NULL, *none = NULL;

	assert_int_equal(sandbox_write_dir(&v, &dir), 0);
	assert_string_equal(dir, "/srv/images");
	v.file = (char *)"/top.img";
	assert_int_equal(sandbox_write_dir(&v, &root), 0);
	assert_string_equal(root, "/");
	/* read-only: opened for reading, nothing to write */
	v.read_only = true;
	assert_int_equal(sandbox_write_dir(&v, &none), 0);
	assert_null(none);
	assert_true(sandbox_dir_always_writable("/var/lib/basicdm"));
	assert_true(sandbox_dir_always_writable("/var/lib/basicdm/sub"));
	assert_false(sandbox_dir_always_writable("/var/lib/basicdmx"));
}

static void test_generator_lists_each_directory_once(void **state)
{
	struct volume_config v[] = {
		file_volume("a", (char *)"/srv/images/a.img", 1 << 20),
		file_volume("b", (char *)"/srv/images/b.img", 1 << 20),
		file_volume("c", (char *)"/var/lib/basicdm/c.img", 1 << 20),
		file_volume("d", (char *)"/home/me/d.img", 1 << 20),
		file_volume("e", (char *)"/srv/ro/e.img", 0),
		file_volume("f", (char *)"/srv/my 50% dir/f.img", 1 << 20),
		file_volume("g", (char *)"/tmp/disk1", 1 << 20),
		file_volume("h", (char *)"/srv/q\"uote/h.img", 1 << 20),
		{ .name = (char *)"disk", .kind = BACKING_DEVICE, .device = (char *)"/dev/vdb" },
	};
	_cleanup_(freep) char *log = NULL;
	_cleanup_(freep) char *text = NULL;

	v[4].read_only = true;
	text = dropin_for(v, ELEMENTSOF(v), &log);
	assert_string_equal(text,
			    "# Generated by basicdm-generator from the file volumes of basicdm.conf(5):\n"
			    "# the directories their backing files are in, writable for basicdmd.\n"
			    "[Service]\n"
			    "ReadWritePaths=\"-/srv/images\"\n"
			    "ReadWritePaths=\"-/srv/my 50%% dir\"\n"
			    "ReadWritePaths=\"-/tmp\"\n");
	/* the two left out are said, each on its own line */
	assert_non_null(strstr(log, "volume 'd': /home/me/d.img is under /home"));
	assert_non_null(strstr(log, "volume 'h': the directory of /srv/q\"uote/h.img cannot be written"));
	assert_null(strstr(log, "volume 'a'"));
}

/*
 * Given a configuration config_load() would refuse, the generator still
 * never opens / or a system directory, nor the directory of a path that
 * is not normalized: each is left out, and said.
 */
static void test_generator_never_opens_system_dirs(void **state)
{
	struct volume_config v[] = {
		file_volume("root", (char *)"/x.img", 1 << 20),
		file_volume("etc", (char *)"/etc/x.img", 1 << 20),
		file_volume("usr", (char *)"/usr/local/lib/x.img", 1 << 20),
		file_volume("run", (char *)"/run/basicdm/x.img", 1 << 20),
		file_volume("dev", (char *)"/dev/shm/x.img", 1 << 20),
		file_volume("var", (char *)"/var/x.img", 1 << 20),
		file_volume("varlib", (char *)"/var/lib/x.img", 1 << 20),
		file_volume("dotdot", (char *)"/srv/../etc/x.img", 1 << 20),
		file_volume("dot", (char *)"/srv/./x.img", 1 << 20),
		file_volume("slashes", (char *)"//srv/x.img", 1 << 20),
		file_volume("double", (char *)"/srv//x.img", 1 << 20),
		file_volume("ro", (char *)"/usr/share/base.img", 0),
		file_volume("ok", (char *)"/srv/images/ok.img", 1 << 20),
		file_volume("vm", (char *)"/var/lib/vm/vm.img", 1 << 20),
	};
	_cleanup_(freep) char *log = NULL;
	_cleanup_(freep) char *text = NULL;

	v[11].read_only = true;
	text = dropin_for(v, ELEMENTSOF(v), &log);
	assert_string_equal(text,
			    "# Generated by basicdm-generator from the file volumes of basicdm.conf(5):\n"
			    "# the directories their backing files are in, writable for basicdmd.\n"
			    "[Service]\n"
			    "ReadWritePaths=\"-/srv/images\"\n"
			    "ReadWritePaths=\"-/var/lib/vm\"\n");
	assert_string_equal(log,
			    "basicdm-generator: volume 'root': /x.img is directly in /, which "
			    "basicdm.service must never write in as a whole; not opened\n"
			    "basicdm-generator: volume 'etc': /etc/x.img is under /etc, which "
			    "basicdm.service must never write in; not opened\n"
			    "basicdm-generator: volume 'usr': /usr/local/lib/x.img is under /usr, which "
			    "basicdm.service must never write in; not opened\n"
			    "basicdm-generator: volume 'run': /run/basicdm/x.img is under /run, which "
			    "basicdm.service must never write in; not opened\n"
			    "basicdm-generator: volume 'dev': /dev/shm/x.img is under /dev, which "
			    "basicdm.service must never write in; not opened\n"
			    "basicdm-generator: volume 'var': /var/x.img is directly in /var, which "
			    "basicdm.service must never write in as a whole; not opened\n"
			    "basicdm-generator: volume 'varlib': /var/lib/x.img is directly in /var/lib, "
			    "which basicdm.service must never write in as a whole; not opened\n"
			    "basicdm-generator: volume 'dotdot': /srv/../etc/x.img is not a normalized "
			    "path (a '..' component); not opened\n"
			    "basicdm-generator: volume 'dot': /srv/./x.img is not a normalized path "
			    "(a '.' component); not opened\n"
			    "basicdm-generator: volume 'slashes': //srv/x.img is not a normalized path "
			    "('//'); not opened\n"
			    "basicdm-generator: volume 'double': /srv//x.img is not a normalized path "
			    "('//'); not opened\n");
}

static void test_generator_with_nothing_to_open(void **state)
{
	struct volume_config v[] = { file_volume("c", (char *)"/var/lib/basicdm/c.img", 1 << 20) };
	_cleanup_(freep) char *log = NULL;
	_cleanup_(freep) char *text = dropin_for(v, ELEMENTSOF(v), &log);

	assert_null(strstr(text, "ReadWritePaths"));
	assert_string_equal(log, "");
}

/*
 * backing_check_volume() of V in the administrator's view: the reason, or
 * "".  Files of whoever runs the test are trusted as root's are.
 */
static char *admin_reason(const struct volume_config *v, const char *dropin)
{
	const struct backing_view view = { .in_service = false, .generated_dropin = dropin,
					   .owner = geteuid() };
	char *reason = NULL;

	assert_int_equal(backing_check_volume(v, &view, &reason), 0);
	return reason ? reason : strdup("");
}

static void test_check_home_is_never_reached(void **state)
{
	struct volume_config v = file_volume("d", (char *)"/home/me/d.img", 1 << 20);
	_cleanup_(freep) char *reason = admin_reason(&v, NULL);

	assert_string_equal(reason, "/home/me/d.img is under /home, which basicdm.service cannot "
				    "reach (ProtectHome=yes); move the file elsewhere, e.g. under /srv");
}

/*
 * A directory that is a symbolic link to a closed one is closed too: systemd
 * follows the link of a ReadWritePaths= entry.  Not the checks' text alone.
 */
static void test_links_to_closed_dirs(void **state)
{
	_cleanup_(freep) char *etc = NULL, *root = NULL, *srv = NULL, *file = NULL;
	_cleanup_(freep) char *reason = NULL, *expected = NULL, *log = NULL, *text = NULL;
	_cleanup_(freep) char *to_etc = NULL, *to_root = NULL, *to_srv = NULL, *line = NULL;
	struct volume_config v[2];

	assert_true(asprintf(&etc, "%s/etc-link", tmp) > 0);
	assert_true(asprintf(&root, "%s/root-link", tmp) > 0);
	assert_true(asprintf(&srv, "%s/plain-dir", tmp) > 0);
	assert_true(asprintf(&file, "%s/x.img", etc) > 0);
	assert_int_equal(symlink("/etc", etc), 0);
	assert_int_equal(symlink("/", root), 0);
	assert_int_equal(mkdir(srv, 0755), 0);

	to_etc = sandbox_closed_target(etc);
	assert_string_equal(to_etc, "/etc");
	to_root = sandbox_closed_target(root);
	assert_string_equal(to_root, "/");
	to_srv = sandbox_closed_target(srv);
	assert_null(to_srv);
	assert_null(sandbox_closed_target("/no/such/dir"));

	v[0] = file_volume("e", file, 1 << 20);
	reason = admin_reason(&v[0], NULL);
	assert_true(asprintf(&expected, "the directory of %s, %s, leads to /etc through a symbolic "
				      "link, and basicdm.service must never write there "
				      "(ProtectSystem=strict); make %s a directory of its own, or set "
				      "'read_only = true'", file, etc, etc) > 0);
	assert_string_equal(reason, expected);

	/* the generator leaves it out, and says so */
	v[1] = file_volume("ok", (char *)"/srv/images/ok.img", 1 << 20);
	text = dropin_for(v, ELEMENTSOF(v), &log);
	assert_null(strstr(text, etc));
	assert_non_null(strstr(text, "ReadWritePaths=\"-/srv/images\"\n"));
	assert_true(asprintf(&line, "basicdm-generator: volume 'e': the directory of %s leads to "
				    "/etc through a symbolic link, which basicdm.service must never "
				    "write in; not opened\n", file) > 0);
	assert_string_equal(log, line);
	assert_int_equal(unlink(etc), 0);
	assert_int_equal(unlink(root), 0);
}

/* A file whose directory the generator never opens: refused, with where to put it instead. */
static void test_check_system_dirs_refused(void **state)
{
	struct volume_config v = file_volume("e", (char *)"/etc/x.img", 1 << 20);
	_cleanup_(freep) char *etc = NULL, *root = NULL, *var_lib = NULL, *run = NULL;
	_cleanup_(freep) char *read_only = NULL, *in_service = NULL;
	const struct backing_view service = { .in_service = true };

	etc = admin_reason(&v, NULL);
	assert_string_equal(etc, "/etc/x.img is under /etc, where basicdm.service must never "
				 "write (ProtectSystem=strict); move the file elsewhere, e.g. under "
				 "/srv, or set 'read_only = true'");
	v.file = (char *)"/x.img";
	root = admin_reason(&v, NULL);
	assert_string_equal(root, "/x.img is directly in /, which basicdm.service must never "
				  "write in as a whole (ProtectSystem=strict); move the file into a "
				  "directory of its own, e.g. under /srv, or set 'read_only = true'");
	v.file = (char *)"/var/lib/x.img";
	var_lib = admin_reason(&v, NULL);
	assert_true(startswith(var_lib, "/var/lib/x.img is directly in /var/lib, which "));
	/* the daemon says the same at a reload and at an attach */
	v.file = (char *)"/run/basicdm/x.img";
	assert_int_equal(backing_check_volume(&v, &service, &run), 0);
	assert_non_null(run);
	assert_true(startswith(run, "/run/basicdm/x.img is under /run, where basicdm.service "
				    "must never write"));
	/* read-only: nothing is opened for writing, nothing to refuse */
	v = file_volume("ro", (char *)"/etc/passwd", 0);
	v.read_only = true;
	read_only = admin_reason(&v, NULL);
	assert_string_equal(read_only, "");
	/* /var/lib/basicdm is the unit's own, below /var/lib: fine */
	v = file_volume("state", (char *)SANDBOX_STATE_DIR "/x.img", 1 << 20);
	assert_int_equal(backing_check_volume(&v, &service, &in_service), 0);
	assert_null(in_service);
}

static void test_check_missing_file_needs_size(void **state)
{
	_cleanup_(freep) char *path = NULL, *reason = NULL;
	struct volume_config v;

	assert_true(asprintf(&path, "%s/missing.img", tmp) > 0);
	v = file_volume("m", path, 0);
	reason = admin_reason(&v, NULL);
	assert_non_null(strstr(reason, "does not exist and 'size' is not set; create the file, or "
				       "set 'size' to have it created"));
}

static void test_check_missing_directory(void **state)
{
	_cleanup_(freep) char *path = NULL, *reason = NULL, *fix = NULL;
	struct volume_config v;

	assert_true(asprintf(&path, "%s/no/such/dir/x.img", tmp) > 0);
	assert_true(asprintf(&fix, "create it: mkdir -p %s/no/such/dir", tmp) > 0);
	v = file_volume("x", path, 1 << 20);
	reason = admin_reason(&v, NULL);
	assert_non_null(strstr(reason, fix));
	/* the unit's own state directory is made by systemd: never a problem */
	v.file = (char *)SANDBOX_STATE_DIR "/x.img";
	free(reason);
	reason = admin_reason(&v, NULL);
	assert_string_equal(reason, "");
}

static void test_check_usable_file(void **state)
{
	_cleanup_(freep) char *path = NULL, *reason = NULL, *created = NULL;
	struct volume_config v;

	assert_true(asprintf(&path, "%s/ok.img", tmp) > 0);
	assert_int_equal(write_text(path, "", 0644), 0);
	v = file_volume("ok", path, 0);
	reason = admin_reason(&v, NULL);
	assert_string_equal(reason, "");
	/* one still to be created, in a directory that exists */
	free(path);
	assert_true(asprintf(&path, "%s/new.img", tmp) > 0);
	v = file_volume("new", path, 1 << 20);
	created = admin_reason(&v, NULL);
	assert_string_equal(created, "");
	/* not a file volume: nothing to judge */
	v = (struct volume_config){ .name = (char *)"d", .kind = BACKING_MATCH };
	free(reason);
	reason = admin_reason(&v, NULL);
	assert_string_equal(reason, "");
}

/* 'size' against the file there: never smaller, and room for what it adds. */
static void test_check_size_never_cuts_the_file(void **state)
{
	_cleanup_(freep) char *path = NULL, *smaller = NULL, *same = NULL, *larger = NULL;
	_cleanup_(freep) char *huge = NULL, *fix = NULL;
	struct volume_config v;
	struct stat st;

	assert_true(asprintf(&path, "%s/sized.img", tmp) > 0);
	assert_int_equal(write_text(path, "", 0644), 0);
	assert_int_equal(truncate(path, 64 << 20), 0);

	v = file_volume("s", path, 32 << 20);
	smaller = admin_reason(&v, NULL);
	assert_true(asprintf(&fix, "size is smaller than %s, which holds 67108864 bytes; basicdm "
				   "never truncates a backing file: set size = \"64M\" or more, or "
				   "remove it", path) > 0);
	assert_string_equal(smaller, fix);
	/* as large, or larger with room for it: usable */
	v.size_bytes = 64 << 20;
	same = admin_reason(&v, NULL);
	assert_string_equal(same, "");
	v.size_bytes = 128 << 20;
	larger = admin_reason(&v, NULL);
	assert_string_equal(larger, "");
	/* more than any file system here has room for */
	v.size_bytes = (uint64_t)1 << 62;
	huge = admin_reason(&v, NULL);
	assert_non_null(strstr(huge, "no room to grow"));
	assert_non_null(strstr(huge, "free some space, or keep the size"));
	/* the file is as it was */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 64 << 20);
}

/* The bytes the file system under PATH holds in all. */
static uint64_t fs_total(const char *path)
{
	struct statvfs sv;

	assert_int_equal(statvfs(path, &sv), 0);
	return (uint64_t)sv.f_blocks * sv.f_frsize;
}

/* A 'size' more than the whole file system holds: no freeing of space helps. */
static void test_check_size_beyond_the_file_system(void **state)
{
	_cleanup_(freep) char *path = NULL, *missing = NULL, *read_only = NULL, *fits = NULL;
	_cleanup_(freep) char *sparse = NULL, *sparse_path = NULL, *expected = NULL;
	uint64_t total = fs_total(tmp), size = (total / 512 + 1) * 512;
	struct volume_config v;

	/* a file still to be created: judged on its directory's file system */
	assert_true(asprintf(&path, "%s/new-huge.img", tmp) > 0);
	v = file_volume("h", path, size);
	missing = admin_reason(&v, NULL);
	assert_true(asprintf(&expected, "size is %" PRIu64 " bytes, but the whole file system of "
				      "%s holds %" PRIu64 " bytes; set a smaller size, or put the "
				      "file on a larger file system", size, tmp, total) > 0);
	assert_string_equal(missing, expected);
	/* created for a read_only volume too */
	v.read_only = true;
	read_only = admin_reason(&v, NULL);
	assert_string_equal(read_only, expected);
	/* as large as the file system is not refused here (the free room is judged at creation) */
	v = file_volume("h", path, total / 512 * 512);
	fits = admin_reason(&v, NULL);
	assert_string_equal(fits, "");
	assert_int_equal(access(path, F_OK), -1);	/* nothing was created */

	/* a sparse file as large as the file system, given a few sectors more */
	assert_true(asprintf(&sparse_path, "%s/sparse.img", tmp) > 0);
	assert_int_equal(write_text(sparse_path, "", 0644), 0);
	if (truncate(sparse_path, (off_t)(total / 512 * 512)) < 0) {
		assert_int_equal(errno, EFBIG);	/* larger than a file here may be: skip */
		return;
	}
	v = file_volume("s", sparse_path, size);
	sparse = admin_reason(&v, NULL);
	free(expected);
	assert_true(asprintf(&expected, "size is %" PRIu64 " bytes, but the whole file system of "
				      "%s holds %" PRIu64 " bytes", size, sparse_path, total) > 0);
	assert_true(startswith(sparse, expected));
	assert_int_equal(unlink(sparse_path), 0);
}

/* A drop-in that does not list the directory: the generator has not run since. */
static void test_check_generator_not_run_since(void **state)
{
	_cleanup_(freep) char *path = NULL, *dropin = NULL, *listed = NULL, *reason = NULL;
	_cleanup_(freep) char *stale = NULL, *fix = NULL;
	struct volume_config v;
	FILE *f;

	assert_true(asprintf(&path, "%s/images/v.img", tmp) > 0);
	assert_true(asprintf(&listed, "%s/images", tmp) > 0);
	assert_int_equal(mkdir(listed, 0755), 0);
	assert_true(asprintf(&dropin, "%s/dropin.conf", tmp) > 0);
	v = file_volume("v", path, 1 << 20);

	assert_int_equal(write_text(dropin, "[Service]\nReadWritePaths=\"-/srv/other\"\n", 0644), 0);
	stale = admin_reason(&v, dropin);
	assert_true(asprintf(&fix, "basicdm.service may not write in %s yet; run 'systemctl "
				   "daemon-reload'", listed) > 0);
	assert_non_null(strstr(stale, fix));

	f = fopen(dropin, "a");
	assert_non_null(f);
	fprintf(f, "ReadWritePaths=\"-%s\"\n", listed);
	fclose(f);
	reason = admin_reason(&v, dropin);
	assert_string_equal(reason, "");
}

static void test_check_config_names_file_and_line(void **state)
{
	struct volume_config v[] = {
		file_volume("d", (char *)"/home/me/d.img", 1 << 20),
		{ .name = (char *)"disk", .kind = BACKING_DEVICE, .device = (char *)"/dev/vdb" },
	};
	const struct config c = { .volumes = v, .n_volumes = ELEMENTSOF(v) };
	const struct backing_view view = { .in_service = false };
	struct config_errors errors = {};

	assert_int_equal(backing_check_config(&c, &view, &errors), -EINVAL);
	assert_int_equal(errors.n, 1);
	assert_true(startswith(errors.messages[0], "t.conf:7: volume 'd': /home/me/d.img is under /home"));
	config_errors_clear(&errors);

	/* a system directory, the same way */
	v[0] = file_volume("u", (char *)"/usr/x.img", 1 << 20);
	assert_int_equal(backing_check_config(&c, &view, &errors), -EINVAL);
	assert_int_equal(errors.n, 1);
	assert_true(startswith(errors.messages[0], "t.conf:7: volume 'u': /usr/x.img is under /usr, "
						   "where basicdm.service must never write"));
	config_errors_clear(&errors);
}

/* ---- who could change the file: backing-trust.h ------------------------- */

/* The scratch directory as the checks name it: with its symbolic links resolved. */
static char *real_tmp;

/* A fresh directory DIR under the scratch directory with MODE, and its path. */
static char *scratch_dir(const char *dir, mode_t mode)
{
	char *path = NULL;

	assert_true(asprintf(&path, "%s/%s", real_tmp, dir) > 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* "DIR/NAME", malloc'ed. */
static char *path_in(const char *dir, const char *name)
{
	char *path = NULL;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	return path;
}

/* The reason for a file volume on PATH, of SIZE bytes when missing. */
static char *reason_for(char *path, uint64_t size)
{
	struct volume_config v = file_volume("t", path, size);

	return admin_reason(&v, NULL);
}

/* Skips a test that gives files away: only root can. */
static void skip_unless_root(void)
{
	if (geteuid() != 0)
		skip();
}

/* A symbolic link as the file is never followed: its target is named instead. */
static void test_trust_symlink_is_refused(void **state)
{
	_cleanup_(freep) char *dir = scratch_dir("sym", 0755);
	_cleanup_(freep) char *target = path_in(dir, "root-only"), *link = path_in(dir, "vol.img");
	_cleanup_(freep) char *reason = NULL, *want = NULL, *dangling = NULL;
	struct stat st;

	assert_int_equal(write_text(target, "twelve bytes", 0600), 0);
	assert_int_equal(symlink(target, link), 0);
	reason = reason_for(link, 1 << 20);
	assert_true(asprintf(&want, "%s is a symbolic link to %s; refusing it: name the file it "
				    "points to in 'file'", link, target) > 0);
	assert_string_equal(reason, want);
	/* judged only: the file it points to is as it was */
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 12);

	/* a link to nothing is not a missing file to create */
	assert_int_equal(unlink(target), 0);
	dangling = reason_for(link, 1 << 20);
	assert_string_equal(dangling, want);
}

static void test_trust_file_writable_by_others(void **state)
{
	_cleanup_(freep) char *dir = scratch_dir("ww", 0755);
	_cleanup_(freep) char *path = path_in(dir, "vol.img");
	_cleanup_(freep) char *others = NULL, *group = NULL, *want = NULL, *fixed = NULL;

	assert_int_equal(write_text(path, "", 0666), 0);
	others = reason_for(path, 0);
	assert_true(asprintf(&want, "%s is writable by group and others (mode 0666); refusing it: "
				    "chmod go-w %s", path, path) > 0);
	assert_string_equal(others, want);

	assert_int_equal(chmod(path, 0620), 0);
	group = reason_for(path, 0);
	free(want);
	assert_true(asprintf(&want, "%s is writable by group (mode 0620); refusing it: chmod g-w %s",
			     path, path) > 0);
	assert_string_equal(group, want);

	assert_int_equal(chmod(path, 0644), 0);
	fixed = reason_for(path, 0);
	assert_string_equal(fixed, "");
}

static void test_trust_file_of_another_user(void **state)
{
	_cleanup_(freep) char *dir = NULL, *path = NULL, *reason = NULL, *want = NULL;
	_cleanup_(freep) char *both = NULL;

	skip_unless_root();
	dir = scratch_dir("nobody", 0755);
	path = path_in(dir, "vol.img");
	assert_int_equal(write_text(path, "", 0600), 0);
	assert_int_equal(chown(path, 65534, 65534), 0);
	reason = reason_for(path, 0);
	assert_true(asprintf(&want, "%s is owned by uid 65534, not by root; refusing it: "
				    "chown root %s", path, path) > 0);
	assert_string_equal(reason, want);

	/* both at once: one sentence, both fixes */
	assert_int_equal(chmod(path, 0646), 0);
	both = reason_for(path, 0);
	free(want);
	assert_true(asprintf(&want, "%s is owned by uid 65534, not by root, and writable by others "
				    "(mode 0646); refusing it: chown root %s && chmod o-w %s",
			     path, path, path) > 0);
	assert_string_equal(both, want);
}

/* A directory above the file that its group may write: the file could be replaced. */
static void test_trust_group_writable_directory(void **state)
{
	_cleanup_(freep) char *dir = scratch_dir("gw", 0775);
	_cleanup_(freep) char *sub = path_in(dir, "images");
	_cleanup_(freep) char *path = path_in(sub, "vol.img"), *missing = path_in(sub, "new.img");
	_cleanup_(freep) char *reason = NULL, *want = NULL, *created = NULL, *fixed = NULL;

	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(write_text(path, "", 0644), 0);
	reason = reason_for(path, 0);
	assert_true(asprintf(&want, "%s, a directory above %s, is writable by group (mode 0775); "
				    "refusing %s: chmod g-w %s, or make it sticky: chmod +t %s",
			     dir, path, path, dir, dir) > 0);
	assert_string_equal(reason, want);
	/* a file still to be created there alike */
	created = reason_for(missing, 1 << 20);
	assert_non_null(strstr(created, "is writable by group (mode 0775)"));

	assert_int_equal(chmod(dir, 0755), 0);
	fixed = reason_for(path, 0);
	assert_string_equal(fixed, "");
}

/* A directory others may write in is fine when sticky and the file in it is root's. */
static void test_trust_sticky_directory(void **state)
{
	_cleanup_(freep) char *dir = scratch_dir("sticky", 01777);
	_cleanup_(freep) char *path = path_in(dir, "vol.img"), *missing = path_in(dir, "new.img");
	_cleanup_(freep) char *ours = NULL, *created = NULL, *theirs = NULL, *want = NULL;
	_cleanup_(freep) char *plain = NULL;

	assert_int_equal(write_text(path, "", 0600), 0);
	ours = reason_for(path, 0);
	assert_string_equal(ours, "");
	created = reason_for(missing, 1 << 20);
	assert_string_equal(created, "");

	/* not sticky: anyone could replace the file */
	assert_int_equal(chmod(dir, 0777), 0);
	plain = reason_for(path, 0);
	assert_true(asprintf(&want, "%s, a directory above %s, is writable by group and others "
				    "(mode 0777); refusing %s: chmod go-w %s, or make it sticky: "
				    "chmod +t %s", dir, path, path, dir, dir) > 0);
	assert_string_equal(plain, want);
	assert_int_equal(chmod(dir, 01777), 0);

	/* a file of nobody's in it: nobody keeps reading and writing the volume's data */
	if (geteuid() != 0)
		return;
	assert_int_equal(chown(path, 65534, 65534), 0);
	theirs = reason_for(path, 0);
	free(want);
	assert_true(asprintf(&want, "%s is owned by uid 65534, not by root; refusing it: "
				    "chown root %s", path, path) > 0);
	assert_string_equal(theirs, want);
}

/* A symbolic link among the directories is resolved: the directories it leads to are judged. */
static void test_trust_symlinked_directory(void **state)
{
	_cleanup_(freep) char *real = scratch_dir("real", 0755), *link = NULL;
	_cleanup_(freep) char *path = NULL, *ok = NULL, *reason = NULL, *want = NULL, *file = NULL;

	link = path_in(real_tmp, "link");
	assert_int_equal(symlink("real", link), 0);
	file = path_in(real, "vol.img");
	assert_int_equal(write_text(file, "", 0644), 0);
	path = path_in(link, "vol.img");
	ok = reason_for(path, 0);
	assert_string_equal(ok, "");

	assert_int_equal(chmod(real, 0757), 0);
	reason = reason_for(path, 0);
	assert_true(asprintf(&want, "%s, a directory above %s, is writable by others (mode 0757); "
				    "refusing %s: chmod o-w %s, or make it sticky: chmod +t %s",
			     real, path, path, real, real) > 0);
	assert_string_equal(reason, want);
	assert_int_equal(chmod(real, 0755), 0);
}

/*
 * However the directories are spelt: "." and "..", links to links,
 * absolute and relative, each resolved where it is.
 */
static void test_trust_directories_spelt_otherwise(void **state)
{
	_cleanup_(freep) char *real = scratch_dir("spelt", 0755), *file = NULL, *abs_link = NULL;
	_cleanup_(freep) char *chain = NULL, *dots = NULL, *via_abs = NULL, *via_chain = NULL;
	_cleanup_(freep) char *a = NULL, *b = NULL, *c = NULL;

	file = path_in(real, "vol.img");
	assert_int_equal(write_text(file, "", 0644), 0);
	abs_link = path_in(real_tmp, "spelt-abs");
	assert_int_equal(symlink(real, abs_link), 0);
	chain = path_in(real_tmp, "spelt-chain");
	assert_int_equal(symlink("./spelt-abs/../spelt", chain), 0);

	assert_true(asprintf(&dots, "%s/./spelt/../spelt//vol.img", real_tmp) > 0);
	via_abs = path_in(abs_link, "vol.img");
	via_chain = path_in(chain, "vol.img");
	a = reason_for(dots, 0);
	assert_string_equal(a, "");
	b = reason_for(via_abs, 0);
	assert_string_equal(b, "");
	c = reason_for(via_chain, 0);
	assert_string_equal(c, "");
}

/*
 * A symbolic link among the directories that someone else made, in a
 * sticky directory they may write in: they could point it anywhere, at
 * another volume's file say.
 */
static void test_trust_symlinked_directory_of_another_user(void **state)
{
	_cleanup_(freep) char *sticky = NULL, *real = NULL, *file = NULL, *link = NULL;
	_cleanup_(freep) char *path = NULL, *reason = NULL, *want = NULL;

	skip_unless_root();
	sticky = scratch_dir("shared-tmp", 01777);
	real = scratch_dir("linked-images", 0755);
	file = path_in(real, "vol.img");
	assert_int_equal(write_text(file, "", 0600), 0);
	link = path_in(sticky, "d");
	assert_int_equal(symlink(real, link), 0);
	assert_int_equal(lchown(link, 65534, 65534), 0);
	path = path_in(link, "vol.img");
	reason = reason_for(path, 0);
	assert_true(asprintf(&want, "%s, a symbolic link above %s, is owned by uid 65534, not by "
				    "root; refusing %s: chown -h root %s", link, path, path,
			     link) > 0);
	assert_string_equal(reason, want);
}

/* backing_check_config() of the volumes V[0..N), in the administrator's view. */
static int check_config(struct volume_config *v, size_t n, struct config_errors *errors)
{
	const struct config c = { .volumes = v, .n_volumes = n };
	const struct backing_view view = { .in_service = false, .owner = geteuid() };

	return backing_check_config(&c, &view, errors);
}

/* One file under two paths is refused, whichever way the second path reaches it. */
static void test_same_file_under_two_paths(void **state)
{
	_cleanup_(freep) char *dir = scratch_dir("same", 0755), *sub = NULL, *dir_link = NULL;
	_cleanup_(freep) char *a = NULL, *hard = NULL, *c = NULL, *through = NULL, *want = NULL;
	struct config_errors errors = {};
	struct volume_config v[3];

	a = path_in(dir, "a.img");
	hard = path_in(dir, "hard.img");
	assert_int_equal(write_text(a, "", 0644), 0);
	assert_int_equal(link(a, hard), 0);
	v[0] = file_volume("a", a, 0);
	v[1] = file_volume("hard", hard, 0);
	v[1].where.line = 8;
	assert_int_equal(check_config(v, 2, &errors), -EINVAL);
	assert_int_equal(errors.n, 1);
	assert_true(asprintf(&want, "t.conf:8: volume 'hard': %s is the same file as %s of volume "
				    "'a' (t.conf:7); refusing it: one file backs volumes under one "
				    "path, name it %s in both, or give 'hard' a file of its own",
			     hard, a, a) > 0);
	assert_string_equal(errors.messages[0], want);
	config_errors_clear(&errors);

	/* through a symbolic link among the directories */
	sub = path_in(dir, "sub");
	assert_int_equal(mkdir(sub, 0755), 0);
	dir_link = path_in(dir, "link");
	assert_int_equal(symlink("sub", dir_link), 0);
	c = path_in(sub, "c.img");
	through = path_in(dir_link, "c.img");
	assert_int_equal(write_text(c, "", 0644), 0);
	v[0] = file_volume("c", c, 0);
	v[1] = file_volume("through", through, 0);
	v[1].where.line = 9;
	assert_int_equal(check_config(v, 2, &errors), -EINVAL);
	assert_int_equal(errors.n, 1);
	free(want);
	assert_true(asprintf(&want, "t.conf:9: volume 'through': %s is the same file as %s of "
				    "volume 'c' (t.conf:7)", through, c) > 0);
	assert_true(startswith(errors.messages[0], want));
	config_errors_clear(&errors);

	/* one path for both: the validator compares their sectors, nothing to say here */
	v[0] = file_volume("c1", c, 0);
	v[1] = file_volume("c2", c, 0);
	v[2] = file_volume("other", a, 0);
	assert_int_equal(check_config(v, 3, &errors), 0);
	assert_int_equal(errors.n, 0);
}

static int setup(void **state)
{
	if (!mkdtemp(tmp))
		return -1;
	real_tmp = realpath(tmp, NULL);
	return real_tmp ? 0 : -1;
}

static int teardown(void **state)
{
	free(real_tmp);
	return remove_tree(tmp) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hidden_roots),
		cmocka_unit_test(test_closed_dirs),
		cmocka_unit_test(test_write_dir),
		cmocka_unit_test(test_generator_lists_each_directory_once),
		cmocka_unit_test(test_generator_never_opens_system_dirs),
		cmocka_unit_test(test_generator_with_nothing_to_open),
		cmocka_unit_test(test_check_home_is_never_reached),
		cmocka_unit_test(test_check_system_dirs_refused),
		cmocka_unit_test(test_links_to_closed_dirs),
		cmocka_unit_test(test_check_missing_file_needs_size),
		cmocka_unit_test(test_check_missing_directory),
		cmocka_unit_test(test_check_usable_file),
		cmocka_unit_test(test_check_size_never_cuts_the_file),
		cmocka_unit_test(test_check_size_beyond_the_file_system),
		cmocka_unit_test(test_check_generator_not_run_since),
		cmocka_unit_test(test_check_config_names_file_and_line),
		cmocka_unit_test(test_trust_symlink_is_refused),
		cmocka_unit_test(test_trust_file_writable_by_others),
		cmocka_unit_test(test_trust_file_of_another_user),
		cmocka_unit_test(test_trust_group_writable_directory),
		cmocka_unit_test(test_trust_sticky_directory),
		cmocka_unit_test(test_trust_symlinked_directory),
		cmocka_unit_test(test_trust_directories_spelt_otherwise),
		cmocka_unit_test(test_trust_symlinked_directory_of_another_user),
		cmocka_unit_test(test_same_file_under_two_paths),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
