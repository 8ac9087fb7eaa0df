// SPDX-License-Identifier: GPL-2.0-only
/* Components, the marks: one marker per device basicdmd maps (component-mark.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "atomic-file.h"
#include "component-mark.h"
#include "config-model.h"
#include "map-uuid.h"
#include "parse-util.h"
#include "util.h"

#define SYSFS_DEV_BLOCK "/sys/dev/block"
/* BASICDM_VOLUME=<64 characters>\nDISKSEQ=<20 digits>\n */
#define MARK_MAX 128

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static int mark_path(const char *runtime_dir, dev_t dev, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/" COMPONENT_MARK_DIR "/%u:%u", runtime_dir, major(dev),
			 minor(dev));

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int format_mark(const char *volume, uint64_t diskseq, char *buf, size_t size)
{
	int n;

	/* the name becomes part of a udev property: never a newline in it */
	if (!volume_name_valid(volume))
		return -EINVAL;
	if (diskseq)
		n = snprintf(buf, size, "BASICDM_VOLUME=%s\nDISKSEQ=%" PRIu64 "\n", volume, diskseq);
	else
		n = snprintf(buf, size, "BASICDM_VOLUME=%s\n", volume);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}

/* The whole of a small file, NUL-terminated; -EFBIG past SIZE - 1 bytes. */
static int read_small(const char *path, char *buf, size_t size)
{
	_cleanup_(closep) int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t len = 0;

	if (fd < 0)
		return negative_errno();
	for (;;) {
		ssize_t k = read(fd, buf + len, size - 1 - len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return negative_errno();
		if (k == 0)
			break;
		len += (size_t)k;
		if (len == size - 1)
			return -EFBIG;
	}
	buf[len] = '\0';
	return (int)len;
}

static int put_text(FILE *f, void *userdata)
{
	fputs(userdata, f);
	return 0;
}

int component_mark_write(const char *runtime_dir, dev_t dev, const char *volume,
			 uint64_t diskseq)
{
	char path[PATH_MAX], dir[PATH_MAX], text[MARK_MAX], old[MARK_MAX];
	int n, r, had;

	n = format_mark(volume, diskseq, text, sizeof(text));
	if (n < 0)
		return n;
	r = mark_path(runtime_dir, dev, path, sizeof(path));
	if (r < 0)
		return r;

	r = read_small(path, old, sizeof(old));
	if (r >= 0 && streq(old, text))
		return 0;
	had = r >= 0 || r == -EFBIG;
	if (r < 0 && r != -ENOENT && r != -EFBIG)
		return r;

	snprintf(dir, sizeof(dir), "%s/" COMPONENT_MARK_DIR, runtime_dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return negative_errno();
	r = atomic_file_write(path, 0644, false, put_text, text);
	if (r < 0)
		return r;
	return !had;
}

int component_mark_read(const char *runtime_dir, dev_t dev, char **volume, uint64_t *diskseq)
{
	char path[PATH_MAX], text[MARK_MAX], *line, *save = NULL;
	_cleanup_(freep) char *name = NULL;
	bool have_seq = false;
	uint64_t seq = 0;
	int r;

	r = mark_path(runtime_dir, dev, path, sizeof(path));
	if (r < 0)
		return r;
	r = read_small(path, text, sizeof(text));
	if (r == -EFBIG)
		return -EINVAL;
	if (r < 0)
		return r;
	/* a NUL would hide what follows it */
	if (strlen(text) != (size_t)r)
		return -EINVAL;
	/* each key once, in any order; empty lines are skipped */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (startswith(line, "BASICDM_VOLUME=") && !name) {
			name = strdup(line + strlen("BASICDM_VOLUME="));
			if (!name)
				return -ENOMEM;
		} else if (startswith(line, "DISKSEQ=") && !have_seq) {
			if (parse_uint64(line + strlen("DISKSEQ="), &seq) < 0)
				return -EINVAL;
			have_seq = true;
		} else {
			return -EINVAL;
		}
	}
	if (!volume_name_valid(name))
		return -EINVAL;
	*volume = TAKE_PTR(name);
	*diskseq = seq;
	return 0;
}

int component_mark_remove(const char *runtime_dir, dev_t dev)
{
	char path[PATH_MAX];
	int r;

	r = mark_path(runtime_dir, dev, path, sizeof(path));
	if (r < 0)
		return r;
	if (unlink(path) == 0)
		return 1;
	return errno == ENOENT ? 0 : negative_errno();
}

/* "MAJ:MIN" exactly, as the markers are named. */
static bool parse_devnum_name(const char *s, dev_t *ret)
{
	char buf[48], *colon;
	uint64_t maj, min;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (!colon)
		return false;
	*colon = '\0';
	if (parse_uint64(buf, &maj) < 0 || parse_uint64(colon + 1, &min) < 0 || maj > UINT32_MAX ||
	    min > UINT32_MAX)
		return false;
	*ret = makedev((unsigned)maj, (unsigned)min);
	return true;
}

int component_mark_list(const char *runtime_dir, dev_t **ret, size_t *n)
{
	char dir[PATH_MAX];
	_cleanup_(closedirp) DIR *d = NULL;
	_cleanup_(freep) dev_t *list = NULL;
	size_t count = 0, allocated = 0;
	struct dirent *de;

	*ret = NULL;
	*n = 0;
	snprintf(dir, sizeof(dir), "%s/" COMPONENT_MARK_DIR, runtime_dir);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : negative_errno();
	while ((de = readdir(d))) {
		dev_t dev;

		if (!parse_devnum_name(de->d_name, &dev))
			continue;	/* ".", "..", a "MAJ:MIN.XXXXXX" left by a crash */
		if (count == allocated) {
			size_t a = allocated ? 2 * allocated : 16;
			dev_t *l = reallocarray(list, a, sizeof(*l));

			if (!l)
				return -ENOMEM;
			list = l;
			allocated = a;
		}
		list[count++] = dev;
	}
	*ret = TAKE_PTR(list);
	*n = count;
	return 0;
}

int component_held_by_map(dev_t dev, char **volume)
{
	char path[PATH_MAX];
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	snprintf(path, sizeof(path), SYSFS_DEV_BLOCK "/%u:%u/holders", major(dev), minor(dev));
	d = opendir(path);
	if (!d)
		return negative_errno();
	while ((de = readdir(d))) {
		char uuid_path[PATH_MAX + NAME_MAX + 16], uuid[256];
		int n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(uuid_path, sizeof(uuid_path), "%s/%s/dm/uuid", path, de->d_name);
		n = read_small(uuid_path, uuid, sizeof(uuid));
		if (n <= 0)
			continue;	/* not a device-mapper holder (md, bcache), or gone */
		uuid[strcspn(uuid, "\n")] = '\0';
		if (!map_uuid_is_ours(uuid))
			continue;
		if (volume) {
			*volume = strdup(uuid + strlen(MAP_UUID_PREFIX));
			if (!*volume)
				return -ENOMEM;
		}
		return 1;
	}
	return 0;
}

int component_device_diskseq(dev_t dev, uint64_t *ret)
{
	char path[PATH_MAX], text[32];
	int r;

	snprintf(path, sizeof(path), SYSFS_DEV_BLOCK "/%u:%u/diskseq", major(dev), minor(dev));
	r = read_small(path, text, sizeof(text));
	if (r == -ENOENT) {
		/* a partition: its disk's directory is the one above */
		snprintf(path, sizeof(path), SYSFS_DEV_BLOCK "/%u:%u/../diskseq", major(dev),
			 minor(dev));
		r = read_small(path, text, sizeof(text));
	}
	if (r < 0)
		return r;
	text[strcspn(text, "\n")] = '\0';
	return parse_uint64(text, ret) < 0 ? -EINVAL : 0;
}
