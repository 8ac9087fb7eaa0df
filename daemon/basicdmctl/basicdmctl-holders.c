// SPDX-License-Identifier: GPL-2.0-only
#include "basicdmctl-holders.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "util.h"

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* Appends S (taken, NULL: out of memory) to *V; 0 or -ENOMEM. */
static int strv_push(char ***v, size_t *n, char *s)
{
	char **p;

	if (!s)
		return -ENOMEM;
	p = realloc(*v, (*n + 1) * sizeof(**v));
	if (!p) {
		free(s);
		return -ENOMEM;
	}
	p[(*n)++] = s;
	*v = p;
	return 0;
}

/* The first LEN bytes of FIELD with mountinfo's \NNN escapes decoded, malloc'ed. */
static char *unescape(const char *field, size_t len)
{
	char *out = malloc(len + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (field[i] == '\\' && i + 3 < len && field[i + 1] >= '0' &&
		    field[i + 1] <= '3' && field[i + 2] >= '0' && field[i + 2] <= '7' &&
		    field[i + 3] >= '0' && field[i + 3] <= '7') {
			*o++ = (char)((field[i + 1] - '0') << 6 | (field[i + 2] - '0') << 3 |
				      (field[i + 3] - '0'));
			i += 3;
		} else {
			*o++ = field[i];
		}
	}
	*o = '\0';
	return out;
}

int mountinfo_mount_points(const char *text, dev_t dev, char ***ret, size_t *n)
{
	char **v = NULL, devnum[24];
	size_t count = 0, devnum_len;

	/* the device field as the kernel prints DEV, byte for byte */
	devnum_len = (size_t)snprintf(devnum, sizeof(devnum), "%u:%u", major(dev), minor(dev));
	for (const char *line = text; line && *line;) {
		const char *end = strchrnul(line, '\n'), *field[5], *p = line;
		size_t k;
		int r;

		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...": fields are separated by one space */
		for (k = 0; k < ELEMENTSOF(field) && p < end; k++) {
			field[k] = p;
			p = memchr(p, ' ', (size_t)(end - p));
			if (!p)
				p = end;
			else if (k + 1 < ELEMENTSOF(field))
				p++;
		}
		/*
		 * DEV's line: its device field is DEV's, not merely a number
		 * that reads as it ("+8:0", "8:0x", one that wraps past 32
		 * bits), and it has a mount point (the kernel never prints an
		 * empty field)
		 */
		if (k == ELEMENTSOF(field) && (size_t)(field[3] - field[2]) == devnum_len + 1 &&
		    memcmp(field[2], devnum, devnum_len) == 0 && p > field[4]) {
			r = strv_push(&v, &count, unescape(field[4], (size_t)(p - field[4])));
			if (r < 0) {
				strv_free(v, count);
				return r;
			}
		}
		line = *end ? end + 1 : end;
	}
	*ret = v;
	*n = count;
	return 0;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "/dev/mapper/NAME" when KERNEL_NAME is a DM device (SYSFS/block/X/dm/name), else "/dev/X". */
static char *holder_node(const char *sysfs, const char *kernel_name)
{
	_cleanup_(freep) char *path = NULL;
	char name[256] = "", *node;
	FILE *f;
	int r;

	if (asprintf(&path, "%s/block/%s/dm/name", sysfs, kernel_name) < 0)
		return NULL;
	f = fopen(path, "re");
	if (f) {
		if (!fgets(name, sizeof(name), f))
			name[0] = '\0';
		fclose(f);
	}
	name[strcspn(name, "\n")] = '\0';
	if (*name)
		r = asprintf(&node, "/dev/mapper/%s", name);
	else
		r = asprintf(&node, "/dev/%s", kernel_name);
	return r < 0 ? NULL : node;
}

int sysfs_holders(const char *sysfs, dev_t dev, char ***ret, size_t *n)
{
	_cleanup_(freep) char *path = NULL;
	char **v = NULL;
	size_t count = 0;
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (asprintf(&path, "%s/dev/block/%u:%u/holders", sysfs, major(dev), minor(dev)) < 0)
		return -ENOMEM;
	d = opendir(path);
	while (d && r >= 0 && (de = readdir(d)))
		if (de->d_name[0] != '.')
			r = strv_push(&v, &count, holder_node(sysfs, de->d_name));
	if (d)
		closedir(d);
	if (r < 0) {
		strv_free(v, count);
		return r;
	}
	if (count)
		qsort(v, count, sizeof(*v), compare_strings);
	*ret = v;
	*n = count;
	return 0;
}

int map_holders_get(dev_t dev, int open_count, struct map_holders *ret)
{
	struct map_holders h = { .open_count = open_count };
	_cleanup_(freep) char *text = NULL;
	size_t size = 0;
	FILE *f;
	int r;

	/* what cannot be read names no mount point: the open count still speaks */
	f = fopen("/proc/self/mountinfo", "re");
	if (f) {
		if (getdelim(&text, &size, '\0', f) < 0) {
			free(text);
			text = NULL;
		}
		fclose(f);
	}
	r = mountinfo_mount_points(text, dev, &h.mounts, &h.n_mounts);
	if (r >= 0)
		r = sysfs_holders("/sys", dev, &h.devices, &h.n_devices);
	if (r < 0) {
		map_holders_clear(&h);
		return r;
	}
	*ret = h;
	return 0;
}

static void print_list(FILE *f, const char *what, char **v, size_t n)
{
	fputs(what, f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : " ", v[i]);
}

char *map_holders_describe(const struct map_holders *h, const char *node)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (h->n_mounts)
		print_list(f, "mounted on", h->mounts, h->n_mounts);
	if (h->n_mounts && h->n_devices)
		fputs(" and ", f);
	if (h->n_devices)
		print_list(f, "held by", h->devices, h->n_devices);
	if (!h->n_mounts && !h->n_devices) {
		if (h->open_count > 0)
			fprintf(f, "open %d time%s", h->open_count, h->open_count == 1 ? "" : "s");
		else
			fputs("open", f);
		fprintf(f, ": fuser -v %s names the process", node);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

void map_holders_clear(struct map_holders *h)
{
	strv_free(h->mounts, h->n_mounts);
	strv_free(h->devices, h->n_devices);
	*h = (struct map_holders){ .open_count = -1 };
}
