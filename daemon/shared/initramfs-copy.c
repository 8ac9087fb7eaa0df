// SPDX-License-Identifier: GPL-2.0-only
/* The initramfs's copy of the root volumes' definitions: initramfs-copy.h. */

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-write.h"
#include "initramfs-copy.h"
#include "util.h"

#define COPY_MAX (1 << 20)

/* cpio's "new ASCII" format: a magic and 13 fields of 8 hex digits, 4-byte aligned. */
#define NEWC_HEADER_SIZE 110
#define NEWC_FILESIZE 6	/* the fields this reads, counted from 0 after the magic */
#define NEWC_NAMESIZE 11
#define NEWC_TRAILER "TRAILER!!!"

static int newc_field(const char *header, int index, uint32_t *ret)
{
	const char *s = header + 6 + 8 * index;
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		int c = s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -EINVAL;
		v = v << 4 | (uint32_t)d;
	}
	*ret = v;
	return 0;
}

static uint32_t pad4(uint64_t n)
{
	return (uint32_t)((4 - n % 4) % 4);
}

static void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

/* Skips the NULs between archives; false at the end of the file. */
static bool skip_nuls(FILE *f)
{
	int c;

	while ((c = getc(f)) == 0)
		;
	if (c == EOF)
		return false;
	ungetc(c, f);
	return true;
}

/* The name of a member: "etc/x", "./etc/x" and "/etc/x" are one file once unpacked. */
static const char *member_path(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	return name;
}

int initramfs_copy_read(const char *image, char **ret)
{
	_cleanup_(fclosep) FILE *f = fopen(image, "re");
	_cleanup_(freep) char *found = NULL;
	char header[NEWC_HEADER_SIZE], name[PATH_MAX];

	if (!f)
		return negative_errno();
	/* archive after archive, as long as they are uncompressed; a later file replaces an earlier one */
	while (skip_nuls(f)) {
		uint32_t filesize, namesize;

		if (fread(header, 1, sizeof(header), f) != sizeof(header) ||
		    memcmp(header, "07070", 5) != 0 || (header[5] != '1' && header[5] != '2'))
			break;	/* the compressed part, or no initramfs at all */
		if (newc_field(header, NEWC_FILESIZE, &filesize) < 0 ||
		    newc_field(header, NEWC_NAMESIZE, &namesize) < 0 || namesize == 0 ||
		    namesize > sizeof(name))
			return -EINVAL;
		if (fread(name, 1, namesize, f) != namesize || name[namesize - 1] != '\0')
			return -EINVAL;
		if (fseek(f, pad4(NEWC_HEADER_SIZE + (uint64_t)namesize), SEEK_CUR) < 0)
			return negative_errno();
		if (streq(name, NEWC_TRAILER))
			continue;
		if (streq(member_path(name), INITRAMFS_COPY_PATH)) {
			char *text;

			if (filesize > COPY_MAX)
				return -EFBIG;
			text = malloc(filesize + 1);
			if (!text)
				return -ENOMEM;
			if (fread(text, 1, filesize, f) != filesize) {
				free(text);
				return -EINVAL;
			}
			text[filesize] = '\0';
			free(found);
			found = text;
			if (fseek(f, pad4(filesize), SEEK_CUR) < 0)
				return negative_errno();
		} else if (fseek(f, (long)filesize + pad4(filesize), SEEK_CUR) < 0) {
			return negative_errno();
		}
	}
	if (ferror(f))
		return -EIO;
	if (!found)
		return -ENOENT;
	*ret = found;
	found = NULL;
	return 0;
}

/*
 * The volume line LINE of a copy ("  { name = \"NAME\"; ... },"): its
 * name into NAME and the definition, without the indent and the comma,
 * into *DEF and *DEF_LEN.  False for the copy's other lines.
 */
static bool copy_volume(const char *line, size_t len, char name[static VOLUME_NAME_MAX + 1],
			const char **def, size_t *def_len)
{
	static const char start[] = "{ name = \"";
	const char *n, *end;

	while (len && *line == ' ') {
		line++;
		len--;
	}
	if (len && line[len - 1] == ',')
		len--;
	if (len < sizeof(start) - 1 || memcmp(line, start, sizeof(start) - 1) != 0)
		return false;
	n = line + sizeof(start) - 1;
	end = memchr(n, '"', len - (sizeof(start) - 1));
	if (!end || end == n || (size_t)(end - n) > VOLUME_NAME_MAX)
		return false;
	memcpy(name, n, end - n);
	name[end - n] = '\0';
	*def = line;
	*def_len = len;
	return true;
}

int initramfs_copy_compare(const char *image, const char *text, const struct config *c,
			   struct config_errors *warnings)
{
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		char name[VOLUME_NAME_MAX + 1];
		const struct volume_config *v;
		const char *def;
		size_t def_len;
		int r = 0;

		if (copy_volume(line, len, name, &def, &def_len)) {
			_cleanup_(freep) char *now = NULL;

			v = config_find(c, name);
			if (!v)
				r = config_error_add(warnings, image, 0,
						     "activates volume '%s' at boot, which the configuration "
						     "no longer defines: run update-initramfs -u -k all", name);
			else if (config_volume_line(v, &now) == -ENOMEM)
				return -ENOMEM;
			else if (!now || strlen(now) != def_len || memcmp(now, def, def_len) != 0)
				r = config_error_add(warnings, image, 0,
						     "activates volume '%s' at boot as it was defined when "
						     "the image was built, %.*s, not as the configuration "
						     "defines it now: run update-initramfs -u -k all",
						     name, (int)def_len, def);
		}
		if (r < 0)
			return r;
		line += len;
		if (*line)
			line++;
	}
	return 0;
}

int initramfs_check(const char *pattern, const struct config *c, struct config_errors *warnings)
{
	glob_t g = {};
	int r = 0;

	if (glob(pattern, 0, NULL, &g) != 0) {
		globfree(&g);
		return 0;	/* no image, or none readable: nothing to compare */
	}
	for (size_t i = 0; r >= 0 && i < g.gl_pathc; i++) {
		_cleanup_(freep) char *text = NULL;

		/* an image without a copy does not activate volumes: nothing to say */
		if (initramfs_copy_read(g.gl_pathv[i], &text) < 0)
			continue;
		r = initramfs_copy_compare(g.gl_pathv[i], text, c, warnings);
	}
	globfree(&g);
	return r;
}
