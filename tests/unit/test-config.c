// SPDX-License-Identifier: GPL-2.0-only
/*
 * config_load() against the corpus in data/config, copied into a fresh
 * directory with the modes StrictModes wants (files 0644, directories
 * 0755) whatever umask the checkout was made under.  The copy is the
 * working directory of these tests, so that every path in a message is
 * relative to it:
 *   good/NAME.conf (+ good/NAME.conf.d/) loads to the model written out in
 *   good/NAME.expected, one field a line;
 *   bad/NAME.conf (+ bad/NAME.conf.d/) fails with exactly the lines of
 *   bad/NAME.expected.
 * good/example.conf and its drop-in are links to conf/, the documented
 * examples we install.  Then parse_size() and volume_name_valid() directly.
 */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "basicdm-config.h"
#include "config-compare.h"
#include "parse-util.h"
#include "scratch-dir.h"
#include "test-files.h"
#include "util.h"

/* Line by line, so that a failure shows the first line that differs. */
static void assert_lines_equal(const char *actual, const char *expected)
{
	while (*actual && *expected) {
		size_t a = strcspn(actual, "\n"), e = strcspn(expected, "\n");
		_cleanup_(freep) char *actual_line = strndup(actual, a);
		_cleanup_(freep) char *expected_line = strndup(expected, e);

		assert_string_equal(actual_line, expected_line);
		actual += a + (actual[a] == '\n');
		expected += e + (expected[e] == '\n');
	}
	assert_string_equal(actual, expected);
}

static const char *kind_name(enum backing_kind kind)
{
	switch (kind) {
	case BACKING_FILE:
		return "file";
	case BACKING_DEVICE:
		return "device";
	case BACKING_MATCH:
		return "match";
	}
	return "?";
}

static void dump_volume(FILE *f, const struct volume_config *v)
{
	char bounds[1024];

	fprintf(f, "volume %s\n", v->name);
	fprintf(f, "  where %s:%d\n", v->where.file, v->where.line);
	fprintf(f, "  kind %s\n", kind_name(v->kind));
	fprintf(f, "  file %s\n", v->file ? v->file : "(null)");
	fprintf(f, "  size_bytes %" PRIu64 "\n", v->size_bytes);
	fprintf(f, "  device %s\n", v->device ? v->device : "(null)");
	for (size_t i = 0; i < v->n_match; i++)
		fprintf(f, "  match %s=%s\n", v->match[i].key, v->match[i].value);
	fprintf(f, "  offset %" PRIu64 "\n", v->offset);
	fprintf(f, "  sectors %" PRIu64 "\n", v->sectors);
	fprintf(f, "  read_only %s\n", v->read_only ? "true" : "false");
	fprintf(f, "  trace %s\n", v->trace ? "true" : "false");
	assert_int_equal(latency_bounds_format(&v->latency_histogram, bounds, sizeof(bounds)), 0);
	fprintf(f, "  latency_histogram %s\n", bounds);
}

static char *dump_config(const struct config *c)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_non_null(f);
	for (size_t i = 0; i < c->n_volumes; i++)
		dump_volume(f, &c->volumes[i]);
	fclose(f);
	return text;
}

static char *join_errors(const struct config_errors *e)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_non_null(f);
	for (size_t i = 0; i < e->n; i++)
		fprintf(f, "%s\n", e->messages[i]);
	fclose(f);
	return text;
}

static void config_freep(struct config **c)
{
	config_free(*c);
}

/*
 * The copy of the corpus belongs to whoever runs the tests: trust that
 * user where the daemon trusts root.  test_strict_* below check the rule
 * itself.
 */
static int load(const char *path, const char *dropin_dir, struct config **ret,
		struct config_errors *errors)
{
	return config_load_owned_by(path, dropin_dir, getuid(), ret, errors);
}

static struct config *load_good(const char *path)
{
	struct config_errors errors = {};
	struct config *c = NULL;
	int r;

	r = load(path, NULL, &c, &errors);
	if (errors.n > 0)
		print_error("unexpected: %s\n", errors.messages[0]);
	assert_int_equal(errors.n, 0);
	assert_int_equal(r, 0);
	assert_non_null(c);
	config_errors_clear(&errors);
	return c;
}

static void test_good(void **state)
{
	const char *name = *state;
	_cleanup_(freep) char *conf = NULL, *expected_path = NULL;
	_cleanup_(freep) char *expected = NULL, *actual = NULL;
	_cleanup_(config_freep) struct config *c = NULL;

	assert_true(asprintf(&conf, "good/%s.conf", name) > 0);
	assert_true(asprintf(&expected_path, "good/%s.expected", name) > 0);

	c = load_good(conf);
	actual = dump_config(c);
	expected = read_file(expected_path);
	assert_non_null(expected);
	assert_lines_equal(actual, expected);
}

static void test_bad(void **state)
{
	const char *name = *state;
	_cleanup_(freep) char *conf = NULL, *expected_path = NULL;
	_cleanup_(freep) char *expected = NULL, *actual = NULL;
	struct config_errors errors = {};
	struct config *c = NULL;
	int r;

	assert_true(asprintf(&conf, "bad/%s.conf", name) > 0);
	assert_true(asprintf(&expected_path, "bad/%s.expected", name) > 0);

	r = load(conf, NULL, &c, &errors);
	assert_int_equal(r, -EINVAL);
	assert_null(c);

	actual = join_errors(&errors);
	expected = read_file(expected_path);
	assert_non_null(expected);
	assert_lines_equal(actual, expected);
	config_errors_clear(&errors);
}

/* good/design.conf's three volumes (a file, a match, a device), field by field. */
static void test_design_fields(void **state)
{
	_cleanup_(config_freep) struct config *c = load_good("good/design.conf");
	const struct volume_config *v;

	assert_int_equal(c->n_volumes, 3);

	v = &c->volumes[0];
	assert_string_equal(v->name, "scratch");
	assert_int_equal(v->kind, BACKING_FILE);
	assert_string_equal(v->file, "/var/lib/basicdm/scratch.img");
	assert_int_equal(v->size_bytes, 64 << 20);
	assert_null(v->device);
	assert_int_equal(v->n_match, 0);
	assert_int_equal(v->offset, 0);
	assert_int_equal(v->sectors, 0);
	assert_false(v->read_only);
	assert_false(v->trace);
	assert_string_equal(v->where.file, "good/design.conf");
	assert_int_equal(v->where.line, 2);

	v = &c->volumes[1];
	assert_string_equal(v->name, "archive");
	assert_int_equal(v->kind, BACKING_MATCH);
	assert_null(v->file);
	assert_null(v->device);
	assert_int_equal(v->n_match, 1);
	assert_string_equal(v->match[0].key, "ID_SERIAL");
	assert_string_equal(v->match[0].value, "QEMU_HARDDISK_ARCHIVE01");
	assert_int_equal(v->offset, 2048);
	assert_int_equal(v->sectors, 0);
	assert_int_equal(v->where.line, 5);

	v = &c->volumes[2];
	assert_string_equal(v->name, "raw");
	assert_int_equal(v->kind, BACKING_DEVICE);
	assert_string_equal(v->device, "/dev/disk/by-id/virtio-RAW01");
	assert_int_equal(v->size_bytes, 0);
	assert_true(v->read_only);
	assert_false(v->trace);
	assert_int_equal(v->where.line, 8);
}

/* An INI volume, field by field: sorted properties, INI booleans. */
static void test_dropin_fields(void **state)
{
	_cleanup_(config_freep) struct config *c = load_good("good/dropins.conf");
	const struct volume_config *v = config_find(c, "usb_backup-1");

	assert_non_null(v);
	assert_int_equal(v->kind, BACKING_MATCH);
	assert_int_equal(v->n_match, 3);
	assert_string_equal(v->match[0].key, "DEVTYPE");
	assert_string_equal(v->match[0].value, "disk");
	assert_string_equal(v->match[1].key, "ID_SERIAL");
	assert_string_equal(v->match[1].value, "USB0001");
	assert_string_equal(v->match[2].key, "ID_VENDOR");
	assert_string_equal(v->match[2].value, "Example");
	assert_true(v->read_only);
	assert_false(v->trace);
	assert_string_equal(v->where.file, "good/dropins.conf.d/20-usb.conf");
	assert_int_equal(v->where.line, 1);

	v = config_find(c, "db.wal");
	assert_non_null(v);
	assert_string_equal(v->file, "/srv/db-wal.img");
	assert_int_equal(v->size_bytes, 64 << 20);
	assert_int_equal(v->offset, 8);
	assert_int_equal(v->sectors, 1000);
	assert_true(v->read_only);
	assert_false(v->trace);
	assert_int_equal(v->where.line, 11);
}

static void test_missing_file(void **state)
{
	struct config_errors errors = {};
	struct config *c = NULL;

	assert_int_equal(load("bad/no-such.conf", NULL, &c, &errors), -ENOENT);
	assert_null(c);
	assert_int_equal(errors.n, 1);
	assert_string_equal(errors.messages[0],
			    "bad/no-such.conf: cannot read: No such file or directory");
	config_errors_clear(&errors);
	assert_int_equal(errors.n, 0);
	assert_null(errors.messages);
}

static void test_main_is_directory(void **state)
{
	char dir[] = "/tmp/test-config-XXXXXX";
	struct config_errors errors = {};
	struct config *c = NULL;
	_cleanup_(freep) char *expected = NULL;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(load(dir, NULL, &c, &errors), -EISDIR);
	assert_int_equal(errors.n, 1);
	assert_true(asprintf(&expected, "%s: cannot read: Is a directory", dir) > 0);
	assert_string_equal(errors.messages[0], expected);
	config_errors_clear(&errors);
	assert_int_equal(rmdir(dir), 0);
}

static void test_dropin_dir_not_a_directory(void **state)
{
	struct config_errors errors = {};
	struct config *c = NULL;

	assert_int_equal(load("good/empty.conf", "good/design.conf", &c, &errors), -ENOTDIR);
	assert_null(c);
	assert_int_equal(errors.n, 1);
	assert_string_equal(errors.messages[0],
			    "good/design.conf: cannot read directory: Not a directory");
	config_errors_clear(&errors);
}

static void test_explicit_dropin_dir(void **state)
{
	_cleanup_(config_freep) struct config *c = NULL;
	struct config_errors errors = {};

	assert_int_equal(load("good/design.conf", "good/only-dropins.conf.d", &c, &errors),
			 0);
	assert_int_equal(c->n_volumes, 4);
	assert_string_equal(c->volumes[3].name, "data");
	assert_string_equal(c->volumes[3].where.file, "good/only-dropins.conf.d/data.conf");
	config_free(TAKE_PTR(c));

	/* A missing drop-in directory is no error, and a trailing slash is no harm. */
	assert_int_equal(load("good/design.conf", "good/no-such.d", &c, &errors), 0);
	assert_int_equal(c->n_volumes, 3);
	config_free(TAKE_PTR(c));

	assert_int_equal(load("good/empty.conf", "good/only-dropins.conf.d/", &c, &errors),
			 0);
	assert_string_equal(c->volumes[0].where.file, "good/only-dropins.conf.d/data.conf");
	assert_int_equal(errors.n, 0);
}

/* --check needs no model; errors pile up across loads, each judged by its own. */
static void test_check_only_and_appending(void **state)
{
	struct config_errors errors = {};

	assert_int_equal(load("good/design.conf", NULL, NULL, &errors), 0);
	assert_int_equal(load("bad/lc-syntax.conf", NULL, NULL, &errors), -EINVAL);
	assert_int_equal(errors.n, 1);
	assert_int_equal(load("good/ranges.conf", NULL, NULL, &errors), 0);
	assert_int_equal(load("bad/unknown-key.conf", NULL, NULL, &errors), -EINVAL);
	assert_int_equal(errors.n, 5);
	assert_string_equal(errors.messages[0], "bad/lc-syntax.conf:3: syntax error");
	assert_string_equal(errors.messages[1],
			    "bad/unknown-key.conf:4: volume 'data': unknown key 'sise'");
	config_errors_clear(&errors);
	config_errors_clear(NULL);
}

static void test_find(void **state)
{
	_cleanup_(config_freep) struct config *c = load_good("good/design.conf");

	assert_ptr_equal(config_find(c, "scratch"), &c->volumes[0]);
	assert_ptr_equal(config_find(c, "raw"), &c->volumes[2]);
	assert_null(config_find(c, "Raw"));
	assert_null(config_find(c, ""));
	assert_null(config_find(c, NULL));
	assert_null(config_find(NULL, "raw"));
	config_free(NULL);
}

static void test_equal(void **state)
{
	_cleanup_(config_freep) struct config *a = load_good("good/ranges.conf");
	_cleanup_(config_freep) struct config *b = load_good("good/ranges.conf");
	struct volume_config *v = &b->volumes[6];	/* m1, matched by udev properties */
	char *saved;

	for (size_t i = 0; i < a->n_volumes; i++) {
		assert_true(volume_config_equal(&a->volumes[i], &b->volumes[i]));
		for (size_t j = 0; j < b->n_volumes; j++)
			if (j != i)
				assert_false(volume_config_equal(&a->volumes[i], &b->volumes[j]));
	}

	/* Where it is written makes no difference. */
	v->where.line++;
	assert_true(volume_config_equal(&a->volumes[6], v));

#define ASSERT_CHANGE_MATTERS(field, value)                                    \
	do {                                                                   \
		__typeof__(v->field) _saved = v->field;                        \
		v->field = (value);                                            \
		assert_false(volume_config_equal(&a->volumes[6], v));          \
		v->field = _saved;                                             \
		assert_true(volume_config_equal(&a->volumes[6], v));           \
	} while (0)

	ASSERT_CHANGE_MATTERS(offset, 1);
	ASSERT_CHANGE_MATTERS(sectors, 2049);
	ASSERT_CHANGE_MATTERS(read_only, true);
	ASSERT_CHANGE_MATTERS(trace, true);
	ASSERT_CHANGE_MATTERS(size_bytes, 512);
	ASSERT_CHANGE_MATTERS(kind, BACKING_DEVICE);
	ASSERT_CHANGE_MATTERS(n_match, 1);

	saved = v->match[1].value;
	v->match[1].value = "W";
	assert_false(volume_config_equal(&a->volumes[6], v));
	v->match[1].value = saved;

	saved = v->name;
	v->name = "m9";
	assert_false(volume_config_equal(&a->volumes[6], v));
	v->name = saved;

	/* Files and devices compare by path. */
	v = &b->volumes[0];
	saved = v->file;
	v->file = "/srv/other.img";
	assert_false(volume_config_equal(&a->volumes[0], v));
	v->file = saved;

	v = &b->volumes[3];
	saved = v->device;
	v->device = "/dev/sdc";
	assert_false(volume_config_equal(&a->volumes[3], v));
	v->device = saved;
	assert_true(volume_config_equal(&a->volumes[3], v));
}

static void test_parse_size(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} good[] = {
		{ "0", 0 },
		{ "4096", 4096 },
		{ "4096B", 4096 },
		{ "512K", 512 << 10 },
		{ "64M", 64 << 20 },
		{ "64MiB", 64 << 20 },
		{ "64MB", 64 << 20 },
		{ "64m", 64 << 20 },
		{ "1G", UINT64_C(1) << 30 },
		{ "1GiB", UINT64_C(1) << 30 },
		{ "2T", UINT64_C(2) << 40 },
		{ "2t", UINT64_C(2) << 40 },
		{ "007K", 7 << 10 },
		{ "18446744073709551615", UINT64_MAX },
		{ "16777215T", UINT64_C(16777215) << 40 },
	};
	static const struct {
		const char *text;
		int error;
	} bad[] = {
		{ "", -EINVAL },     { "M", -EINVAL },      { "-1", -EINVAL },
		{ "-64M", -EINVAL }, { "+64M", -EINVAL },   { " 64M", -EINVAL },
		{ "64M ", -EINVAL }, { "64 M", -EINVAL },   { "1.5G", -EINVAL },
		{ ".5G", -EINVAL },  { "1,5G", -EINVAL },   { "64X", -EINVAL },
		{ "64P", -EINVAL },  { "64E", -EINVAL },    { "64Mi", -EINVAL },
		{ "64MiBs", -EINVAL }, { "64Mb", -EINVAL }, { "2tb", -EINVAL },
		{ "64KK", -EINVAL }, { "0x10", -EINVAL },   { "1e3", -EINVAL },
		{ "64Bi", -EINVAL },
		{ "18446744073709551616", -ERANGE },
		{ "99999999999999999999999", -ERANGE },
		{ "16777216T", -ERANGE },
		{ "18014398509481984K", -ERANGE },
	};
	uint64_t bytes;

	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		bytes = 42;
		if (parse_size(good[i].text, &bytes) != 0)
			fail_msg("parse_size(\"%s\") failed", good[i].text);
		assert_int_equal(bytes, good[i].bytes);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		bytes = 42;
		if (parse_size(bad[i].text, &bytes) != bad[i].error)
			fail_msg("parse_size(\"%s\") did not fail with %d", bad[i].text,
				 bad[i].error);
		assert_int_equal(bytes, 42);
	}
	assert_int_equal(parse_size(NULL, &bytes), -EINVAL);
}

static void test_path_not_normalized(void **state)
{
	static const char *const plain[] = {
		"/", "/srv", "/srv/images/x.img", "/srv/.../x..img", "/srv/.hidden/..x", "/a.", "/..a",
		"/dev/disk/by-path/pci-0000:00:1f.2-ata-1",
	};
	static const struct {
		const char *path, *why;
	} not_plain[] = {
		{ "/srv/../etc", "a '..' component" },
		{ "/..", "a '..' component" },
		{ "/srv/..", "a '..' component" },
		{ "/srv/./x", "a '.' component" },
		{ "/.", "a '.' component" },
		{ "//", "'//'" },
		{ "//srv", "'//'" },
		{ "/srv//x", "'//'" },
		{ "/srv/", "a trailing '/'" },
		{ "/srv/./../x", "a '.' component" },	/* the first one found */
	};

	for (size_t i = 0; i < ELEMENTSOF(plain); i++)
		if (path_not_normalized(plain[i]))
			fail_msg("'%s' should be normalized, not '%s'", plain[i],
				 path_not_normalized(plain[i]));
	for (size_t i = 0; i < ELEMENTSOF(not_plain); i++) {
		const char *why = path_not_normalized(not_plain[i].path);

		if (!why || !streq(why, not_plain[i].why))
			fail_msg("'%s': '%s', not '%s'", not_plain[i].path, why ? why : "(null)",
				 not_plain[i].why);
	}
}

static void test_volume_name_valid(void **state)
{
	static const char *const good[] = {
		"a", "A", "0", "data", "db.wal", "usb_backup-1", "-", "_", "...", ".hidden", "a..b",
		/* none of these can leave /dev/mapper or /dev/basicdm: allowed */
		"-leading-dash", ".leading-dot", "Control", "control.d",
		"a123456789b123456789c123456789d123456789e123456789f123456789g123", /* 64 */
	};
	static const char *const bad[] = {
		"", ".", "..", "control", "a b", "a/b", "/", "../x", "a/..", "a\tb", "a\nb", "a\x01",
		"\x7f", " a", "a ", "-x y", "ünïcode", "a:b", "a*", "a\\b", "$x", "a|b", "a\"",
		"a123456789b123456789c123456789d123456789e123456789f123456789g1234", /* 65 */
	};

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		if (!volume_name_valid(good[i]))
			fail_msg("'%s' should be a valid name", good[i]);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (volume_name_valid(bad[i]))
			fail_msg("'%s' should not be a valid name", bad[i]);
	assert_false(volume_name_valid(NULL));
}

/* ---- StrictModes ------------------------------------------------------ */

struct strict_dir {
	char dir[sizeof("/tmp/test-config-strict-XXXXXX")];
	char *conf, *dropins, *dropin, *inc;
};

/* DIR/basicdm.conf (one volume, one @include), DIR/basicdm.conf.d/10-b.conf. */
static int strict_setup(void **state)
{
	struct strict_dir *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	strcpy(d->dir, "/tmp/test-config-strict-XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	assert_true(asprintf(&d->conf, "%s/basicdm.conf", d->dir) > 0);
	assert_true(asprintf(&d->inc, "%s/more.inc", d->dir) > 0);
	assert_true(asprintf(&d->dropins, "%s/basicdm.conf.d", d->dir) > 0);
	assert_true(asprintf(&d->dropin, "%s/10-b.conf", d->dropins) > 0);
	assert_int_equal(write_text(d->conf,
				    "volumes = (\n"
				    "  { name = \"a\"; device = \"/dev/vda\"; },\n"
				    "  @include \"more.inc\"\n"
				    ");\n", 0644), 0);
	assert_int_equal(write_text(d->inc, "{ name = \"i\"; device = \"/dev/vdi\"; }\n", 0644), 0);
	assert_int_equal(mkdir(d->dropins, 0755), 0);
	assert_int_equal(chmod(d->dropins, 0755), 0);
	assert_int_equal(write_text(d->dropin, "[volume b]\ndevice = /dev/vdb\n", 0644), 0);
	*state = d;
	return 0;
}

static int strict_teardown(void **state)
{
	struct strict_dir *d = *state;

	unlink(d->dropin);
	rmdir(d->dropins);
	unlink(d->inc);
	unlink(d->conf);
	rmdir(d->dir);
	free(d->conf);
	free(d->inc);
	free(d->dropins);
	free(d->dropin);
	free(d);
	return 0;
}

/* Loads D's config trusting OWNER: refused, with "PATH: REASON; refusing it: FIX PATH". */
static void assert_refused(struct strict_dir *d, uid_t owner, const char *path,
			   const char *reason, const char *fix)
{
	_cleanup_(freep) char *expected = NULL;
	struct config_errors errors = {};
	struct config *c = NULL;

	assert_true(asprintf(&expected, "%s: %s; refusing it: %s %s", path, reason, fix, path) > 0);
	assert_int_equal(config_load_owned_by(d->conf, NULL, owner, &c, &errors), -EPERM);
	assert_null(c);
	assert_int_equal(errors.n, 1);
	assert_string_equal(errors.messages[0], expected);
	config_errors_clear(&errors);
}

static void test_strict_good(void **state)
{
	struct strict_dir *d = *state;
	_cleanup_(config_freep) struct config *c = NULL;
	struct config_errors errors = {};

	assert_int_equal(config_load_owned_by(d->conf, NULL, getuid(), &c, &errors), 0);
	assert_int_equal(errors.n, 0);
	assert_int_equal(c->n_volumes, 3);
	assert_string_equal(c->volumes[2].name, "b");
	config_free(TAKE_PTR(c));

	/* Read by anyone is fine; so are the execute bits. */
	assert_int_equal(chmod(d->conf, 0755), 0);
	assert_int_equal(chmod(d->dropin, 0400), 0);
	assert_int_equal(config_load_owned_by(d->conf, NULL, getuid(), &c, &errors), 0);
	assert_int_equal(errors.n, 0);
	config_free(TAKE_PTR(c));

	/* The daemon's own default: root, and only root. */
	if (getuid() == 0) {
		assert_int_equal(config_load(d->conf, NULL, &c, &errors), 0);
		assert_int_equal(errors.n, 0);
	}
}

static void test_strict_group_writable(void **state)
{
	struct strict_dir *d = *state;

	assert_int_equal(chmod(d->conf, 0664), 0);
	assert_refused(d, getuid(), d->conf, "writable by group (mode 0664)",
		       "chmod g-w");
	assert_int_equal(chmod(d->conf, 0620), 0);
	assert_refused(d, getuid(), d->conf, "writable by group (mode 0620)",
		       "chmod g-w");
}

static void test_strict_world_writable(void **state)
{
	struct strict_dir *d = *state;

	assert_int_equal(chmod(d->conf, 0646), 0);
	assert_refused(d, getuid(), d->conf, "writable by others (mode 0646)",
		       "chmod o-w");
	assert_int_equal(chmod(d->conf, 0666), 0);
	assert_refused(d, getuid(), d->conf, "writable by group and others (mode 0666)",
		       "chmod go-w");
}

static void test_strict_wrong_owner(void **state)
{
	struct strict_dir *d = *state;
	_cleanup_(freep) char *format = NULL;
	uid_t other = getuid() == 0 ? 1 : 0;
	struct config_errors errors = {};
	struct config *c = NULL;

	assert_true(asprintf(&format, "owned by uid %u, not by %s", (unsigned)getuid(),
			     other == 0 ? "root" : "uid 1") > 0);
	assert_refused(d, other, d->conf, format, other == 0 ? "chown root" : "chown 1");

	/* Both problems at once: both are told. */
	assert_int_equal(chmod(d->conf, 0666), 0);
	assert_int_equal(config_load_owned_by(d->conf, NULL, other, &c, &errors), -EPERM);
	assert_int_equal(errors.n, 2);
	assert_non_null(strstr(errors.messages[0], "owned by uid"));
	assert_non_null(strstr(errors.messages[1], "writable by group and others (mode 0666)"));
	config_errors_clear(&errors);
	assert_int_equal(chmod(d->conf, 0644), 0);

	/* The daemon's default: a file root does not own is refused. */
	if (getuid() == 0) {
		assert_int_equal(chown(d->conf, 65534, 65534), 0);
		assert_int_equal(config_load(d->conf, NULL, &c, &errors), -EPERM);
		assert_int_equal(errors.n, 1);
		free(format);
		assert_true(asprintf(&format,
				     "%s: owned by uid 65534, not by root; refusing it: chown root %s",
				     d->conf, d->conf) > 0);
		assert_string_equal(errors.messages[0], format);
		config_errors_clear(&errors);
	}
}

static void test_strict_included(void **state)
{
	struct strict_dir *d = *state;

	assert_int_equal(chmod(d->inc, 0664), 0);
	assert_refused(d, getuid(), d->inc, "writable by group (mode 0664)",
		       "chmod g-w");
}

/* An absolute @include is opened as written, on every libconfig release. */
static void test_include_absolute(void **state)
{
	struct strict_dir *d = *state;
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_(freep) char *text = NULL;
	struct config_errors errors = {};

	assert_true(asprintf(&text, "volumes = (\n@include \"%s\"\n);\n", d->inc) > 0);
	assert_int_equal(write_text(d->conf, text, 0644), 0);
	assert_int_equal(config_load_owned_by(d->conf, NULL, getuid(), &c, &errors), 0);
	assert_int_equal(errors.n, 0);
	assert_string_equal(c->volumes[0].name, "i");
	assert_string_equal(c->volumes[0].where.file, d->inc);
	assert_int_equal(c->volumes[0].where.line, 1);
}

/* Files nest 10 deep below the main file, as libconfig has it, and no deeper. */
static void test_include_depth(void **state)
{
	struct strict_dir *d = *state;
	_cleanup_(freep) char *expected = NULL;
	struct config_errors errors = {};
	struct config *c = NULL;
	char name[64], text[128];

	assert_int_equal(write_text(d->conf, "volumes = (\n@include \"deep-1.inc\"\n);\n", 0644), 0);
	for (int i = 1; i <= 10; i++) {
		snprintf(name, sizeof(name), "%s/deep-%d.inc", d->dir, i);
		snprintf(text, sizeof(text), "{ name = \"v%d\"; device = \"/dev/vda\"; sectors = 1; offset = %d; },\n"
			 "@include \"deep-%d.inc\"\n", i, i, i + 1);
		assert_int_equal(write_text(name, text, 0644), 0);
	}
	assert_int_equal(config_load_owned_by(d->conf, NULL, getuid(), &c, &errors), -EINVAL);
	assert_int_equal(errors.n, 1);
	assert_true(asprintf(&expected, "%s/deep-10.inc:2: @include \"deep-11.inc\" nests files more "
			     "than 10 deep: include fewer files in one another", d->dir) > 0);
	assert_string_equal(errors.messages[0], expected);
	config_errors_clear(&errors);

	/* One level less is fine. */
	snprintf(name, sizeof(name), "%s/deep-10.inc", d->dir);
	assert_int_equal(write_text(name, "{ name = \"v10\"; device = \"/dev/vda\"; sectors = 1; "
					  "offset = 10; }\n", 0644), 0);
	assert_int_equal(config_load_owned_by(d->conf, NULL, getuid(), &c, &errors), 0);
	assert_int_equal(c->n_volumes, 11);	/* and the drop-in's */
	assert_string_equal(c->volumes[9].where.file, name);
	config_free(c);
	for (int i = 1; i <= 10; i++) {
		snprintf(name, sizeof(name), "%s/deep-%d.inc", d->dir, i);
		assert_int_equal(unlink(name), 0);
	}
}

static void on_alarm(int sig)
{
}

/*
 * A load that waits on a FIFO must fail, not hang the test: an alarm in
 * 10 s interrupts the open (no SA_RESTART), whatever disposition of
 * SIGALRM the test was started with.  disarm() after the load.
 */
static void arm(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	sigset_t alarm_only;

	assert_int_equal(sigemptyset(&alarm_only), 0);
	assert_int_equal(sigaddset(&alarm_only, SIGALRM), 0);
	assert_int_equal(sigprocmask(SIG_UNBLOCK, &alarm_only, NULL), 0);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	alarm(10);
}

static void disarm(void)
{
	alarm(0);
}

/* An @include of a FIFO is refused at once, not waited on. */
static void test_include_fifo(void **state)
{
	struct strict_dir *d = *state;
	_cleanup_(freep) char *fifo = NULL, *expected = NULL;
	struct config_errors errors = {};
	struct config *c = NULL;

	assert_true(asprintf(&fifo, "%s/fifo.inc", d->dir) > 0);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(write_text(d->conf, "volumes = (\n@include \"fifo.inc\"\n);\n", 0644), 0);
	arm();
	assert_int_equal(config_load_owned_by(d->conf, NULL, getuid(), &c, &errors), -EINVAL);
	disarm();
	assert_null(c);
	assert_int_equal(errors.n, 1);
	assert_true(asprintf(&expected, "%s:2: cannot open include file %s: not a regular file",
			     d->conf, fifo) > 0);
	assert_string_equal(errors.messages[0], expected);
	config_errors_clear(&errors);
	assert_int_equal(unlink(fifo), 0);
}

/*
 * Loads D's config, which must be refused at once (arm() interrupts a
 * load that waits on a FIFO) with exactly "PATH: not a regular file (KIND);
 * refusing it: replace it with a regular file".
 */
static void assert_not_regular(struct strict_dir *d, const char *path, const char *kind)
{
	_cleanup_(freep) char *expected = NULL;
	struct config_errors errors = {};
	struct config *c = NULL;

	assert_true(asprintf(&expected, "%s: not a regular file (%s); refusing it: replace it "
			     "with a regular file", path, kind) > 0);
	arm();
	assert_int_equal(config_load_owned_by(d->conf, NULL, getuid(), &c, &errors), -EINVAL);
	disarm();
	assert_null(c);
	assert_int_equal(errors.n, 1);
	assert_string_equal(errors.messages[0], expected);
	config_errors_clear(&errors);
}

/* A FIFO as the main file: opened without waiting for a writer, and refused. */
static void test_main_fifo(void **state)
{
	struct strict_dir *d = *state;

	assert_int_equal(unlink(d->conf), 0);
	assert_int_equal(mkfifo(d->conf, 0644), 0);
	assert_not_regular(d, d->conf, "a FIFO");
}

/* A device as the main file is refused too, before anything is read from it. */
static void test_main_device(void **state)
{
	struct config_errors errors = {};
	struct config *c = NULL;
	struct stat st;

	assert_int_equal(stat("/dev/null", &st), 0);
	arm();
	assert_int_equal(config_load_owned_by("/dev/null", NULL, st.st_uid, &c, &errors), -EINVAL);
	disarm();
	assert_int_equal(errors.n, 1);
	assert_string_equal(errors.messages[0], "/dev/null: not a regular file (a character "
						"device); refusing it: replace it with a regular file");
	config_errors_clear(&errors);
}

/* A FIFO or a socket among the drop-ins: refused at once, named as what it is. */
static void test_dropin_special_files(void **state)
{
	struct strict_dir *d = *state;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_(freep) char *fifo = NULL, *sock = NULL;
	_cleanup_(closep) int fd = -1;

	assert_true(asprintf(&fifo, "%s/20-fifo.conf", d->dropins) > 0);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_not_regular(d, fifo, "a FIFO");
	assert_int_equal(unlink(fifo), 0);

	assert_true(asprintf(&sock, "%s/20-socket.conf", d->dropins) > 0);
	assert_true(strlen(sock) < sizeof(addr.sun_path));
	strcpy(addr.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_not_regular(d, sock, "a socket");
	assert_int_equal(unlink(sock), 0);
}

static void test_strict_dropin_file(void **state)
{
	struct strict_dir *d = *state;

	assert_int_equal(chmod(d->dropin, 0666), 0);
	assert_refused(d, getuid(), d->dropin, "writable by group and others (mode 0666)",
		       "chmod go-w");
	assert_int_equal(chmod(d->dropin, 0644), 0);

	/* A drop-in someone else owns, next to the main file root owns. */
	if (getuid() == 0) {
		assert_int_equal(chown(d->dropin, 65534, 65534), 0);
		assert_refused(d, 0, d->dropin, "owned by uid 65534, not by root",
		       "chown root");
	}
}

static void test_strict_dropin_dir(void **state)
{
	struct strict_dir *d = *state;

	assert_int_equal(chmod(d->dropins, 0775), 0);
	assert_refused(d, getuid(), d->dropins, "writable by group (mode 0775)",
		       "chmod g-w");
	/* Sticky as /tmp is still anyone's to add a file to. */
	assert_int_equal(chmod(d->dropins, 01777), 0);
	assert_refused(d, getuid(), d->dropins, "writable by group and others (mode 1777)",
		       "chmod go-w");
}

/* ---- The corpus, copied with the modes it needs ------------------------ */

/*
 * A checkout takes its modes from the umask (0664 and 0775 under 002), and
 * the loader refuses what a group may write; so the tests read a copy.
 * Links are followed: good/example.conf is a link to conf/.
 */
static char corpus[] = "/tmp/test-config-corpus-XXXXXX";
static const char corpus_source[] = UNIT_DATA_DIR "/config";

static int copy_file(const char *from, const char *to)
{
	_cleanup_(closep) int in = -1, out = -1;
	char buf[4096];
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			return -1;
	if (n < 0 || fchmod(out, 0644) < 0)
		return -1;
	return 0;
}

static int copy_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	_cleanup_(freep) char *to = NULL;
	int r = -1;

	if (asprintf(&to, "%s%s", corpus, path + strlen(corpus_source)) < 0)
		return -1;
	if (type == FTW_D)
		r = (ftw->level == 0 || mkdir(to, 0755) == 0) ? chmod(to, 0755) : -1;
	else if (type == FTW_F && S_ISREG(st->st_mode))
		r = copy_file(path, to);
	else
		errno = EINVAL;	/* a dangling link, an unreadable directory, a device */
	if (r < 0)
		fprintf(stderr, "cannot copy %s to %s: %m\n", path, to);
	return r;
}

static int corpus_teardown(void **state)
{
	if (chdir("/") < 0 || remove_tree(corpus) < 0) {
		perror(corpus);
		return -1;
	}
	return 0;
}

static int corpus_setup(void **state)
{
	if (!mkdtemp(corpus)) {
		perror("mkdtemp");
		return -1;
	}
	if (nftw(corpus_source, copy_entry, 16, 0) != 0 || chdir(corpus) < 0) {
		perror(corpus);
		corpus_teardown(state);
		return -1;
	}
	return 0;
}

#define GOOD(n) { .name = "good/" n, .test_func = test_good, .initial_state = (void *)n }
#define BAD(n) { .name = "bad/" n, .test_func = test_bad, .initial_state = (void *)n }
#define STRICT(f) cmocka_unit_test_setup_teardown(f, strict_setup, strict_teardown)

int main(void)
{
	static const struct CMUnitTest tests[] = {
		GOOD("design"),
		GOOD("example"),
		GOOD("dropins"),
		GOOD("include"),
		GOOD("include-nested"),
		GOOD("numbers"),
		GOOD("lists"),
		GOOD("strings"),
		GOOD("ranges"),
		GOOD("only-dropins"),
		GOOD("empty"),
		GOOD("histogram"),
		GOOD("histogram-ini"),
		BAD("lc-syntax"),
		BAD("lc-duplicate-setting"),
		BAD("lc-syntax-end"),
		BAD("lc-include-missing"),
		BAD("lc-include-bad"),
		BAD("lc-include-syntax"),
		BAD("lc-numbers"),
		BAD("lc-strings"),
		BAD("lc-nul"),
		BAD("lc-structure"),
		BAD("lc-volumes-not-list"),
		BAD("ini-syntax"),
		BAD("ini-structure"),
		BAD("ini-duplicate-key"),
		BAD("unknown-key"),
		BAD("wrong-type"),
		BAD("names"),
		BAD("duplicate-name"),
		BAD("backing"),
		BAD("size"),
		BAD("size-range"),
		BAD("match"),
		BAD("match-never"),
		BAD("numbers"),
		BAD("paths"),
		BAD("paths-normalized"),
		BAD("overlap-file"),
		BAD("overlap-device"),
		BAD("histogram"),
		cmocka_unit_test(test_design_fields),
		cmocka_unit_test(test_dropin_fields),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_main_is_directory),
		cmocka_unit_test(test_dropin_dir_not_a_directory),
		cmocka_unit_test(test_explicit_dropin_dir),
		cmocka_unit_test(test_check_only_and_appending),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_volume_name_valid),
		cmocka_unit_test(test_path_not_normalized),
		STRICT(test_strict_good),
		STRICT(test_strict_group_writable),
		STRICT(test_strict_world_writable),
		STRICT(test_strict_wrong_owner),
		STRICT(test_strict_included),
		STRICT(test_include_absolute),
		STRICT(test_include_fifo),
		STRICT(test_main_fifo),
		cmocka_unit_test(test_main_device),
		STRICT(test_dropin_special_files),
		STRICT(test_include_depth),
		STRICT(test_strict_dropin_file),
		STRICT(test_strict_dropin_dir),
	};

	return cmocka_run_group_tests(tests, corpus_setup, corpus_teardown);
}
