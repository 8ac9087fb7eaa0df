// SPDX-License-Identifier: GPL-2.0-only
/* Components, the claims file basicdmd writes for udev's helper: component-claims.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic-file.h"
#include "component-claims.h"
#include "util.h"

static void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static void config_freep(struct config **c)
{
	config_free(*c);
}

static bool needs_escape(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || c == '\\';
}

static void put_escaped(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (needs_escape(*p))
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
}

static void put_field(FILE *f, const char *s)
{
	fputc(' ', f);
	put_escaped(f, s);
}

static void put_volume(FILE *f, const struct volume_config *v)
{
	static const char *const kinds[] = {
		[BACKING_FILE] = "file", [BACKING_DEVICE] = "device", [BACKING_MATCH] = "match",
	};

	fputs(kinds[v->kind], f);
	put_field(f, v->name);
	if (v->kind == BACKING_FILE)
		put_field(f, v->file);
	else if (v->kind == BACKING_DEVICE)
		put_field(f, v->device);
	for (size_t i = 0; v->kind == BACKING_MATCH && i < v->n_match; i++) {
		put_field(f, v->match[i].key);
		fputc('=', f);
		put_escaped(f, v->match[i].value);
	}
	fputc('\n', f);
}

struct claims_content {
	const struct volume_config *const *volumes;
	size_t n;
};

static int put_claims(FILE *f, void *userdata)
{
	const struct claims_content *c = userdata;

	fputs("# basicdmd: the volumes it maps or waits for, read by basicdm-udev-backing\n", f);
	for (size_t i = 0; i < c->n; i++)
		put_volume(f, c->volumes[i]);
	return 0;
}

int component_claims_write(const char *path, const struct volume_config *const *volumes, size_t n)
{
	struct claims_content c = { volumes, n };

	return atomic_file_write(path, 0644, false, put_claims, &c);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The next field of *P, unescaped, in a new string; NULL at the end of the line. */
static int take_field(char **p, char **ret)
{
	char *s = *p, *out, *o;
	size_t len;

	if (*s != ' ') {
		*ret = NULL;
		return *s ? -EINVAL : 0;
	}
	s++;
	len = strcspn(s, " ");
	out = o = malloc(len + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] != '\\') {
			*o++ = s[i];
			continue;
		}
		if (i + 3 >= len || s[i + 1] != 'x' || (hi = hex_digit(s[i + 2])) < 0 ||
		    (lo = hex_digit(s[i + 3])) < 0 || (hi == 0 && lo == 0)) {
			free(out);
			return -EINVAL;
		}
		*o++ = (char)(hi << 4 | lo);
		i += 3;
	}
	*o = '\0';
	*p = s + len;
	*ret = out;
	return 0;
}

static int parse_match(struct volume_config *v, char **p)
{
	for (;;) {
		struct match_property *m;
		char *pair, *eq;
		int r;

		r = take_field(p, &pair);
		if (r < 0)
			return r;
		if (!pair)
			return v->n_match > 0 ? 0 : -EINVAL;
		eq = strchr(pair, '=');
		if (!eq || eq == pair) {
			free(pair);
			return -EINVAL;
		}
		m = reallocarray(v->match, v->n_match + 1, sizeof(*m));
		if (!m) {
			free(pair);
			return -ENOMEM;
		}
		v->match = m;
		*eq = '\0';
		m[v->n_match].key = pair;
		m[v->n_match].value = strdup(eq + 1);
		v->n_match++;
		if (!m[v->n_match - 1].value)
			return -ENOMEM;
	}
}

static int parse_line(char *line, struct volume_config *v)
{
	size_t kind_len = strcspn(line, " ");
	char *p = line + kind_len, *path = NULL, *rest = NULL;
	int r;

	if (kind_len == 4 && strncmp(line, "file", 4) == 0)
		v->kind = BACKING_FILE;
	else if (kind_len == 6 && strncmp(line, "device", 6) == 0)
		v->kind = BACKING_DEVICE;
	else if (kind_len == 5 && strncmp(line, "match", 5) == 0)
		v->kind = BACKING_MATCH;
	else
		return -EINVAL;
	r = take_field(&p, &v->name);
	if (r < 0)
		return r;
	if (!volume_name_valid(v->name))
		return -EINVAL;
	if (v->kind == BACKING_MATCH)
		return parse_match(v, &p);
	r = take_field(&p, &path);
	if (r < 0)
		return r;
	r = path ? take_field(&p, &rest) : 0;
	if (!path || path[0] != '/' || r != 0 || rest) {
		free(path);
		free(rest);
		return r < 0 ? r : -EINVAL;
	}
	if (v->kind == BACKING_FILE)
		v->file = path;
	else
		v->device = path;
	return 0;
}

int component_claims_load(const char *path, struct config **ret)
{
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_(freep) char *line = NULL;
	size_t size = 0;
	ssize_t len;

	f = fopen(path, "re");
	if (!f)
		return negative_errno();
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	while ((len = getline(&line, &size, f)) >= 0) {
		struct volume_config *a;
		int r;

		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		/* the writer escapes every byte but printable ASCII: a NUL is not ours */
		if (memchr(line, '\0', (size_t)len))
			return -EINVAL;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		a = reallocarray(c->volumes, c->n_volumes + 1, sizeof(*a));
		if (!a)
			return -ENOMEM;
		c->volumes = a;
		c->volumes[c->n_volumes] = (struct volume_config){};
		/* counted first: config_free() frees what a half-read line holds */
		r = parse_line(line, &c->volumes[c->n_volumes++]);
		if (r < 0)
			return r;
	}
	if (ferror(f))
		return -EIO;
	*ret = TAKE_PTR(c);
	return 0;
}
