// SPDX-License-Identifier: GPL-2.0-only
/* Volume definitions written back as libconfig text: config-write.h. */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config-write.h"

static void write_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	fputc('"', f);
}

#define LETTERS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/* A name libconfig reads as a setting's: [A-Za-z*][-A-Za-z0-9_*]* */
static bool libconfig_name(const char *s)
{
	return s[0] && strchr(LETTERS "*", s[0]) &&
	       strspn(s + 1, LETTERS "*-_0123456789") == strlen(s + 1);
}

static void write_key(FILE *f, const char *key, const char *value)
{
	fprintf(f, "%s = ", key);
	write_string(f, value);
	fputs("; ", f);
}

static void write_backing(FILE *f, const struct volume_config *v)
{
	switch (v->kind) {
	case BACKING_FILE:
		write_key(f, "file", v->file);
		if (v->size_bytes)
			fprintf(f, "size = \"%" PRIu64 "\"; ", v->size_bytes);
		break;
	case BACKING_DEVICE:
		write_key(f, "device", v->device);
		break;
	case BACKING_MATCH:
		fputs("match = { ", f);
		for (size_t i = 0; i < v->n_match; i++)
			write_key(f, v->match[i].key, v->match[i].value);
		fputs("}; ", f);
		break;
	}
}

static void write_volume(FILE *f, const struct volume_config *v)
{
	fputs("{ ", f);
	write_key(f, "name", v->name);
	write_backing(f, v);
	fprintf(f, "offset = %" PRIu64 "; ", v->offset);
	if (v->sectors)
		fprintf(f, "sectors = %" PRIu64 "; ", v->sectors);
	fprintf(f, "read_only = %s; trace = %s; latency_histogram = \"off\"; }",
		v->read_only ? "true" : "false", v->trace ? "true" : "false");
}

int config_volume_line(const struct volume_config *v, char **ret)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	for (size_t i = 0; v->kind == BACKING_MATCH && i < v->n_match; i++)
		if (!libconfig_name(v->match[i].key))
			return -EINVAL;
	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	write_volume(f, v);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}
