// SPDX-License-Identifier: GPL-2.0-only
/*
 * The initramfs's copy of the root volumes (initramfs-copy.h, config-write.h):
 * every kind of definition read back by config_load() as the same volume;
 * the copy found in the uncompressed cpio archives at the start of an
 * image, as initramfs-tools lays them out (early archives, NUL padding,
 * then the compressed one), and not found elsewhere; and the warnings of
 * a copy that no longer says what the configuration says.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "basicdm-config.h"
#include "config-compare.h"
#include "config-write.h"
#include "initramfs-copy.h"
#include "scratch-dir.h"
#include "test-files.h"
#include "util.h"

struct scratch {
	char dir[64];
};

static int setup(void **state)
{
	struct scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	strcpy(s->dir, "/tmp/test-initramfs-copy.XXXXXX");
	if (!mkdtemp(s->dir)) {
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct scratch *s = *state;

	remove_tree(s->dir);
	free(s);
	return 0;
}

static char *path_in(const struct scratch *s, const char *name)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/%s", s->dir, name) > 0);
	return p;
}

/* The configuration TEXT, written as DIR/NAME and loaded; fails the test when it does not load. */
static struct config *load_text(const struct scratch *s, const char *name, const char *text)
{
	struct config_errors errors = {};
	struct config *c = NULL;
	char *path = path_in(s, name);
	int r;

	assert_int_equal(write_text(path, text, 0644), 0);
	r = config_load_owned_by(path, NULL, getuid(), &c, &errors);
	for (size_t i = 0; i < errors.n; i++)
		fprintf(stderr, "%s\n", errors.messages[i]);
	assert_int_equal(r, 0);
	config_errors_clear(&errors);
	free(path);
	return c;
}

/* C's volumes as the copy basicdmd --initramfs-config writes. */
static char *copy_of(const struct config *c)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	fprintf(f, "%svolumes = (\n", INITRAMFS_COPY_HEADER);
	for (size_t i = 0; i < c->n_volumes; i++) {
		char *line = NULL;

		assert_int_equal(config_volume_line(&c->volumes[i], &line), 0);
		fprintf(f, "  %s%s\n", line, i + 1 == c->n_volumes ? "" : ",");
		free(line);
	}
	fprintf(f, ");\n");
	assert_int_equal(fclose(f), 0);
	return buf;
}

static const char original[] =
	"volumes = (\n"
	"  { name = \"sysroot\"; match = { ID_SERIAL = \"ROOT \\\"01\\\" \\\\ \\x01 \\xc3\\xa9\";"
	" ID_PART_ENTRY_NAME = \"root\"; }; offset = 2048; latency_histogram = \"1ms,5ms\"; },\n"
	"  { name = \"usr\"; device = \"/dev/disk/by-id/virtio-USR\\t01\"; sectors = 4096;"
	" read_only = true; trace = true; },\n"
	"  { name = \"img\"; file = \"/srv/a \\\"b\\\".img\"; size = \"64M\"; offset = 8; }\n"
	");\n";

static void test_round_trip(void **state)
{
	struct scratch *s = *state;
	struct config *c = load_text(s, "original.conf", original);
	char *copy = copy_of(c);
	struct config *back = load_text(s, "copy.conf", copy);

	assert_int_equal(back->n_volumes, c->n_volumes);
	for (size_t i = 0; i < c->n_volumes; i++) {
		struct volume_config want = c->volumes[i];

		/* the copy keeps no statistics: the daemon sets them up when it adopts the map */
		assert_int_equal(back->volumes[i].latency_histogram.n, 0);
		want.latency_histogram = back->volumes[i].latency_histogram;
		assert_true(volume_config_equal(&back->volumes[i], &want));
	}
	/* written again, the copy is the same text: equal definitions, equal lines */
	char *again = copy_of(back);
	assert_string_equal(again, copy);
	free(again);
	free(copy);
	config_free(back);
	config_free(c);
}

static void test_unwritable_property_name(void **state)
{
	struct match_property m = { .key = "ID.SERIAL", .value = "X" };
	struct volume_config v = { .name = "root", .kind = BACKING_MATCH, .match = &m, .n_match = 1 };
	char *line = NULL;

	/* an INI drop-in may name it; libconfig cannot */
	assert_int_equal(config_volume_line(&v, &line), -EINVAL);
	assert_null(line);
}

/* ---- images ---------------------------------------------------------------- */

struct image {
	char *data;
	size_t size;
	FILE *f;
};

static void image_open(struct image *im)
{
	im->data = NULL;
	im->size = 0;
	im->f = open_memstream(&im->data, &im->size);
	assert_non_null(im->f);
}

static void pad4(struct image *im)
{
	while (ftell(im->f) % 4)
		fputc(0, im->f);
}

/* One member of a cpio "new ASCII" archive, as cpio -o -H newc writes it. */
static void member(struct image *im, const char *name, unsigned mode, const char *data,
		   size_t size)
{
	fprintf(im->f, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", 1u, mode,
		0u, 0u, 1u, 0u, size, 0u, 0u, 0u, 0u, strlen(name) + 1, 0u);
	fwrite(name, 1, strlen(name) + 1, im->f);
	pad4(im);
	fwrite(data, 1, size, im->f);
	pad4(im);
}

/* The end of one archive, padded to 512 bytes as cpio does. */
static void trailer(struct image *im)
{
	member(im, "TRAILER!!!", 0, "", 0);
	while (ftell(im->f) % 512)
		fputc(0, im->f);
}

static void compressed_part(struct image *im, const char *hidden)
{
	/* zstd's magic, then bytes a reader of uncompressed archives must not parse */
	fwrite("\x28\xb5\x2f\xfd", 1, 4, im->f);
	fprintf(im->f, "070701%s", hidden);
}

static char *image_write(const struct scratch *s, const char *name, struct image *im)
{
	char *path = path_in(s, name);

	assert_int_equal(fclose(im->f), 0);
	assert_int_equal(write_file(path, im->data, im->size, 0644), 0);
	free(im->data);
	return path;
}

static const char copy_text[] = INITRAMFS_COPY_HEADER
	"volumes = (\n  { name = \"sysroot\"; device = \"/dev/vdb\"; offset = 0; read_only = false; "
	"trace = false; latency_histogram = \"off\"; }\n);\n";

/* An image as mkinitramfs makes it: microcode, then basicdm's archive, then the rest compressed. */
static char *typical_image(const struct scratch *s, const char *name, const char *copy)
{
	struct image im;

	image_open(&im);
	member(&im, "kernel", 040755, "", 0);
	member(&im, "kernel/x86/microcode/AuthenticAMD.bin", 0100644, "\x01\x02\x03", 3);
	trailer(&im);
	member(&im, "etc", 040755, "", 0);
	member(&im, "etc/basicdm", 040755, "", 0);
	if (copy)
		member(&im, INITRAMFS_COPY_PATH, 0100644, copy, strlen(copy));
	trailer(&im);
	compressed_part(&im, "etc/basicdm/initramfs.conf");
	return image_write(s, name, &im);
}

static void test_read_copy(void **state)
{
	struct scratch *s = *state;
	char *path = typical_image(s, "initrd.img-1", copy_text), *text = NULL;

	assert_int_equal(initramfs_copy_read(path, &text), 0);
	assert_string_equal(text, copy_text);
	free(text);
	free(path);
}

static void test_read_later_replaces_earlier(void **state)
{
	struct scratch *s = *state;
	struct image im;
	char *path, *text = NULL;

	/* "./" as find(1) names members when run in the directory; the kernel keeps the last */
	image_open(&im);
	member(&im, "./" INITRAMFS_COPY_PATH, 0100644, "old\n", 4);
	trailer(&im);
	member(&im, INITRAMFS_COPY_PATH, 0100644, "new\n", 4);
	trailer(&im);
	path = image_write(s, "initrd.img-2", &im);
	assert_int_equal(initramfs_copy_read(path, &text), 0);
	assert_string_equal(text, "new\n");
	free(text);
	free(path);
}

static void test_read_none(void **state)
{
	struct scratch *s = *state;
	char *without = typical_image(s, "initrd.img-3", NULL), *text = NULL;
	struct image im;
	char *compressed_only;

	assert_int_equal(initramfs_copy_read(without, &text), -ENOENT);
	/* only in the compressed part: not this reader's to find */
	image_open(&im);
	compressed_part(&im, INITRAMFS_COPY_PATH);
	compressed_only = image_write(s, "initrd.img-4", &im);
	assert_int_equal(initramfs_copy_read(compressed_only, &text), -ENOENT);
	assert_null(text);
	free(compressed_only);
	free(without);
}

static void test_read_broken(void **state)
{
	struct scratch *s = *state;
	struct image im;
	char *path, *text = NULL;

	/* a member whose data ends early */
	image_open(&im);
	fprintf(im.f, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08zX%08X", 1u, 0100644u,
		0u, 0u, 1u, 0u, 100u, 0u, 0u, 0u, 0u, sizeof(INITRAMFS_COPY_PATH), 0u);
	fwrite(INITRAMFS_COPY_PATH, 1, sizeof(INITRAMFS_COPY_PATH), im.f);
	pad4(&im);
	fputs("short", im.f);
	path = image_write(s, "initrd.img-5", &im);
	assert_int_equal(initramfs_copy_read(path, &text), -EINVAL);
	free(path);

	/* a header whose file size is not hex */
	image_open(&im);
	member(&im, INITRAMFS_COPY_PATH, 0100644, "x\n", 2);
	trailer(&im);
	assert_int_equal(fflush(im.f), 0);
	memcpy(im.data + 6 + 8 * 6, "zzzzzzzz", 8);
	path = image_write(s, "initrd.img-6", &im);
	assert_int_equal(initramfs_copy_read(path, &text), -EINVAL);
	free(path);

	path = path_in(s, "no-such-image");
	assert_int_equal(initramfs_copy_read(path, &text), -ENOENT);
	assert_null(text);
	free(path);
}

/* ---- comparing -------------------------------------------------------------- */

static void test_compare(void **state)
{
	struct scratch *s = *state;
	struct config *c = load_text(s, "now.conf", original);
	char *copy = copy_of(c), *stale_copy, *p;
	struct config_errors w = {};
	struct config *stale;

	assert_int_equal(initramfs_copy_compare("/boot/initrd.img-X", copy, c, &w), 0);
	assert_int_equal(w.n, 0);

	/* the root's disk matched by another serial since the image was built */
	stale = load_text(s, "then.conf",
			  "volumes = ( { name = \"sysroot\"; match = { ID_SERIAL = \"OLD\"; }; },"
			  " { name = \"gone\"; device = \"/dev/vdc\"; } );\n");
	stale_copy = copy_of(stale);
	assert_int_equal(initramfs_copy_compare("/boot/initrd.img-X", stale_copy, c, &w), 0);
	assert_int_equal(w.n, 2);
	p = w.messages[0];
	assert_non_null(strstr(p, "/boot/initrd.img-X: "));
	assert_non_null(strstr(p, "volume 'sysroot'"));
	assert_non_null(strstr(p, "ID_SERIAL = \"OLD\""));
	assert_non_null(strstr(p, "update-initramfs -u"));
	assert_non_null(strstr(w.messages[1], "volume 'gone'"));
	assert_non_null(strstr(w.messages[1], "no longer defines"));
	config_errors_clear(&w);
	free(stale_copy);
	config_free(stale);
	free(copy);
	config_free(c);
}

static void test_check_images(void **state)
{
	struct scratch *s = *state;
	struct config *c = load_text(s, "now.conf", original);
	char *copy = copy_of(c), *pattern = path_in(s, "initrd.img-*");
	char *current = typical_image(s, "initrd.img-6.1", copy);
	char *stale = typical_image(s, "initrd.img-6.12", copy_text);
	char *plain = typical_image(s, "initrd.img-5.10", NULL);
	struct config_errors w = {};

	assert_int_equal(initramfs_check(pattern, c, &w), 0);
	/* only the image whose copy is stale; the one without a copy activates nothing */
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.messages[0], stale));
	assert_non_null(strstr(w.messages[0], "volume 'sysroot'"));
	config_errors_clear(&w);
	free(plain);
	free(stale);
	free(current);
	free(pattern);
	free(copy);
	config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test(test_unwritable_property_name),
		cmocka_unit_test_setup_teardown(test_read_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_later_replaces_earlier, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_broken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compare, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_images, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
