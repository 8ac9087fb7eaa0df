// SPDX-License-Identifier: GPL-2.0-only
/* The main file through libconfig into the raw tree: config-libconfig.h. */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdio.h>

#include "config-libconfig.h"
#include "config-trust.h"
#include "util.h"

/*
 * libconfig names an included file as written in @include, relative to the
 * include directory, which is the main file's directory.
 */
static char *source_path(const char *main_path, const char *file)
{
	const char *slash = strrchr(main_path, '/');
	char *path;

	if (!file || streq(file, main_path))
		return strdup(main_path);
	if (file[0] == '/' || !slash)
		return strdup(file);
	if (asprintf(&path, "%.*s/%s", (int)(slash - main_path), main_path, file) < 0)
		return NULL;
	return path;
}

#if LIBCONFIG_VER_MAJOR == 1 && LIBCONFIG_VER_MINOR < 7
/*
 * libconfig before 1.7 silently cuts an integer written without an 'L'
 * suffix to 32 bits: "offset = 5000000000;" reads as 705032704, a map
 * over someone else's data.  The literal is still in the source line.
 */

enum literal_reading {
	LITERAL_OTHER,		/* not a number, or another one */
	LITERAL_EXACT,		/* reads as the value */
	LITERAL_CUT,		/* its low 32 bits read as the value */
};

static enum literal_reading read_literal(const char *literal, long long value)
{
	bool hex = literal[0] == '0' && (literal[1] == 'x' || literal[1] == 'X');
	long long n;
	char *end;

	errno = 0;
	n = hex ? (long long)strtoull(literal, &end, 16) : strtoll(literal, &end, 10);
	if (end == literal || *end != '\0')
		return LITERAL_OTHER;
	if (n == value && errno == 0)
		return LITERAL_EXACT;
	/* Past 64 bits strtoll() and libconfig both saturate, and still agree here. */
	if ((int32_t)n == value)
		return LITERAL_CUT;
	return LITERAL_OTHER;
}

/* The number in "KEY = NUMBER" when KEY starts at AT, "" when none. */
static char *literal_after_key(const char *line, const char *at, const char *key)
{
	const char *p = at + strlen(key);
	size_t len;

	if (at > line && (isalnum((unsigned char)at[-1]) || strchr("_-*", at[-1])))
		return strdup("");
	p += strspn(p, " \t");
	if (*p != '=' && *p != ':')
		return strdup("");
	p++;
	p += strspn(p, " \t");

	len = strspn(p, "+-");
	len += strspn(p + len, "0123456789abcdefABCDEFxX");
	return strndup(p, len);
}

static int source_line(const char *file, int line_number, char **ret)
{
	_cleanup_(freep) char *line = NULL;
	size_t size = 0;
	FILE *f;
	int n = 0, r = 0;

	f = fopen(file, "re");
	if (!f)
		return negative_errno();
	while (n < line_number && getline(&line, &size, f) >= 0)
		n++;
	if (ferror(f))
		r = negative_errno();
	fclose(f);
	if (r < 0)
		return r;
	if (n < line_number)
		return -EIO;	/* shorter than when libconfig read it */

	*ret = TAKE_PTR(line);
	return 0;
}

/* *RET: the literal libconfig cut to VALUE, or NULL when it read the line right. */
static int truncated_literal(const char *file, int line_number, const char *key,
			     long long value, char **ret)
{
	_cleanup_(freep) char *line = NULL;
	_cleanup_(freep) char *cut = NULL;
	int r;

	r = source_line(file, line_number, &line);
	if (r < 0)
		return r;

	/* Several volumes may share a line: any exact reading clears VALUE. */
	for (const char *at = strstr(line, key); at; at = strstr(at + 1, key)) {
		_cleanup_(freep) char *literal = literal_after_key(line, at, key);

		if (!literal)
			return -ENOMEM;
		switch (read_literal(literal, value)) {
		case LITERAL_EXACT:
			return 0;
		case LITERAL_CUT:
			if (!cut)
				cut = TAKE_PTR(literal);
			break;
		case LITERAL_OTHER:
			break;
		}
	}
	*ret = TAKE_PTR(cut);
	return 0;
}
#else
static int truncated_literal(const char *file, int line_number, const char *key,
			     long long value, char **ret)
{
	return 0;
}
#endif

/* The main file being converted, and where its problems go. */
struct main_file {
	const char *path;
	struct config_errors *errors;
};

static int convert_setting(const struct main_file *m, const config_setting_t *cs,
			   struct raw_setting *parent);

static int convert_members(const struct main_file *m, const config_setting_t *cs,
			   struct raw_setting *group)
{
	for (int i = 0; i < config_setting_length(cs); i++) {
		int r = convert_setting(m, config_setting_get_elem(cs, i), group);

		if (r < 0)
			return r;
	}
	return 0;
}

static enum raw_kind raw_kind_of(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return RAW_GROUP;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return RAW_INTEGER;
	case CONFIG_TYPE_FLOAT:
		return RAW_FLOAT;
	case CONFIG_TYPE_STRING:
		return RAW_STRING;
	case CONFIG_TYPE_BOOL:
		return RAW_BOOLEAN;
	default:
		return RAW_LIST;
	}
}

static int convert_integer(const struct main_file *m, const config_setting_t *cs,
			   struct raw_setting *s)
{
	int r;

	s->integer = config_setting_get_int64(cs);
	if (config_setting_type(cs) != CONFIG_TYPE_INT || !s->key)
		return 0;

	r = truncated_literal(s->where.file, s->where.line, s->key, s->integer, &s->text);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return config_error_cannot_read(m->errors, s->where.file, CONFIG_READ_AGAIN, r);
	if (s->text)
		s->kind = RAW_TRUNCATED;
	return 0;
}

static int convert_setting(const struct main_file *m, const config_setting_t *cs,
			   struct raw_setting *parent)
{
	_cleanup_(freep) char *file = source_path(m->path, config_setting_source_file(cs));
	struct raw_setting *s;

	if (!file)
		return -ENOMEM;
	s = raw_setting_append(parent, config_setting_name(cs),
			       raw_kind_of(config_setting_type(cs)), file,
			       config_setting_source_line(cs));
	if (!s)
		return -ENOMEM;

	switch (s->kind) {
	case RAW_GROUP:
		return convert_members(m, cs, s);
	case RAW_STRING:
		s->text = strdup(config_setting_get_string(cs));
		return s->text ? 0 : -ENOMEM;
	case RAW_BOOLEAN:
		s->boolean = config_setting_get_bool(cs);
		return 0;
	case RAW_INTEGER:
		return convert_integer(m, cs, s);
	default:
		return 0;
	}
}

static int convert_volumes(const struct main_file *m, const config_setting_t *volumes,
			   struct raw_setting *root)
{
	_cleanup_(freep) char *file = source_path(m->path, config_setting_source_file(volumes));
	int r;

	if (!file)
		return -ENOMEM;
	if (!config_setting_is_list(volumes))
		return config_error_add(m->errors, file, config_setting_source_line(volumes),
					"'volumes' must be a list: volumes = ( { ... }, { ... } );");

	for (int i = 0; i < config_setting_length(volumes); i++) {
		const config_setting_t *v = config_setting_get_elem(volumes, i);

		if (config_setting_is_group(v))
			r = convert_setting(m, v, root);
		else
			r = config_error_add(m->errors, file, config_setting_source_line(v),
					     "each entry of 'volumes' must be a group { ... }");
		if (r < 0)
			return r;
	}
	return 0;
}

static int convert_root(const struct main_file *m, const config_t *cfg, struct raw_setting *root)
{
	const config_setting_t *top = config_root_setting(cfg);

	for (int i = 0; i < config_setting_length(top); i++) {
		const config_setting_t *s = config_setting_get_elem(top, i);
		_cleanup_(freep) char *file = NULL;
		int r;

		if (streq(config_setting_name(s), "volumes")) {
			r = convert_volumes(m, s, root);
		} else {
			file = source_path(m->path, config_setting_source_file(s));
			if (!file)
				return -ENOMEM;
			r = config_error_add(m->errors, file, config_setting_source_line(s),
					     "unknown setting '%s', expected 'volumes'",
					     config_setting_name(s));
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int report_read_error(const char *path, const config_t *cfg, struct config_errors *errors)
{
	_cleanup_(freep) char *file = NULL;

	file = source_path(path, config_error_file(cfg));
	if (!file)
		return -ENOMEM;
	return config_error_add(errors, file, config_error_line(cfg), "%s", config_error_text(cfg));
}

int config_libconfig_load(const char *path, uid_t owner, struct raw_setting *root,
			  struct config_errors *errors)
{
	const struct main_file m = { .path = path, .errors = errors };
	_cleanup_(freep) char *dir = NULL;
	const char *slash = strrchr(path, '/');
	config_t cfg;
	FILE *f;
	int r;

	r = config_open_trusted(AT_FDCWD, path, path, owner, errors, &f);
	if (r < 0)
		return r;
	if (!f)
		return config_error_cannot_read(errors, path, CONFIG_READ_FILE, -EISDIR);

	/* @include "x" is relative to the main file, not to our working directory. */
	dir = slash ? strndup(path, slash == path ? 1 : slash - path) : strdup(".");
	if (!dir) {
		fclose(f);
		return -ENOMEM;
	}

	config_init(&cfg);
	config_set_include_dir(&cfg, dir);
	if (config_read(&cfg, f)) {
		r = convert_root(&m, &cfg, root);
		if (r >= 0)
			r = config_check_included(path, root, owner, errors);
	} else if (ferror(f)) {
		r = config_error_cannot_read(errors, path, CONFIG_READ_FILE, -EIO);
	} else {
		r = report_read_error(path, &cfg, errors);
	}
	config_destroy(&cfg);
	fclose(f);
	return r;
}
