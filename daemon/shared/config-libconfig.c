// SPDX-License-Identifier: GPL-2.0-only
/* The main file through libconfig into the raw tree: config-libconfig.h. */

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdio.h>

#include "config-libconfig.h"
#include "config-source.h"
#include "config-trust.h"
#include "util.h"

/* The text being converted, and where its problems go. */
struct main_file {
	const struct config_source *source;
	struct config_errors *errors;
};

/* Where libconfig's line LINE of the text was written. */
static void where(const struct main_file *m, int line, const char **file, int *file_line)
{
	config_source_where(m->source, line, file, file_line);
}

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
	/*
	 * config_source_read() wrote every integer with an L suffix, which
	 * libconfig reads as 64 bits, exactly.  A plain one is a number our
	 * scanner did not see, and its value may have been cut.
	 */
	if (config_setting_type(cs) != CONFIG_TYPE_INT64)
		return config_error_add(m->errors, s->where.file, s->where.line,
					"'%s' holds a number basicdm's scanner missed, so its value is not "
					"known exactly: please report this as a bug", s->key);
	s->integer = config_setting_get_int64(cs);
	return 0;
}

static int convert_setting(const struct main_file *m, const config_setting_t *cs,
			   struct raw_setting *parent)
{
	struct raw_setting *s;
	const char *file;
	int line;

	where(m, config_setting_source_line(cs), &file, &line);
	s = raw_setting_append(parent, config_setting_name(cs),
			       raw_kind_of(config_setting_type(cs)), file, line);
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
	const char *file;
	int line, r;

	where(m, config_setting_source_line(volumes), &file, &line);
	if (!config_setting_is_list(volumes))
		return config_error_add(m->errors, file, line,
					"'volumes' must be a list: volumes = ( { ... }, { ... } );");

	for (int i = 0; i < config_setting_length(volumes); i++) {
		const config_setting_t *v = config_setting_get_elem(volumes, i);

		if (config_setting_is_group(v)) {
			r = convert_setting(m, v, root);
		} else {
			where(m, config_setting_source_line(v), &file, &line);
			r = config_error_add(m->errors, file, line,
					     "each entry of 'volumes' must be a group { ... }");
		}
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
		const char *file;
		int line, r;

		if (streq(config_setting_name(s), "volumes")) {
			r = convert_volumes(m, s, root);
		} else if (streq(config_setting_name(s), "defaults")) {
			r = convert_setting(m, s, root);	/* judged by the validator */
		} else {
			where(m, config_setting_source_line(s), &file, &line);
			r = config_error_add(m->errors, file, line,
					     "unknown setting '%s', expected 'volumes' or 'defaults'",
					     config_setting_name(s));
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int report_read_error(const struct main_file *m, const config_t *cfg)
{
	const char *file;
	int line;

	where(m, config_error_line(cfg), &file, &line);
	return config_error_add(m->errors, file, line, "%s", config_error_text(cfg));
}

#if LIBCONFIG_VER_MAJOR > 1 || LIBCONFIG_VER_MINOR >= 7
static const char **no_include(config_t *cfg, const char *include_dir, const char *path,
			       const char **error)
{
	*error = "cannot open include file";
	return NULL;
}
#endif

/*
 * config_source_read() put every @include in place: libconfig opens no
 * file itself.  Should it see an @include all the same, 1.5 looks under
 * the include directory even for an absolute name, 1.7 asks the include
 * function: either way nothing is opened.
 */
static void forbid_includes(config_t *cfg)
{
#if LIBCONFIG_VER_MAJOR > 1 || LIBCONFIG_VER_MINOR >= 7
	config_set_include_func(cfg, no_include);
#else
	config_set_include_dir(cfg, "/dev/null");
#endif
}

int config_libconfig_load(const char *path, uid_t owner, struct raw_setting *root,
			  struct config_errors *errors)
{
	_cleanup_(config_source_done) struct config_source source = {};
	const struct main_file m = { .source = &source, .errors = errors };
	config_t cfg;
	FILE *f;
	int r;

	r = config_open_trusted(AT_FDCWD, path, path, owner, errors, &f);
	if (r < 0)
		return r;
	if (!f)
		return config_error_cannot_read(errors, path, CONFIG_READ_FILE, -EISDIR);

	r = config_source_read(path, f, owner, &source, errors);
	fclose(f);
	if (r < 0 || !source.text)
		return r;

	config_init(&cfg);
	forbid_includes(&cfg);
	if (config_read_string(&cfg, source.text))
		r = convert_root(&m, &cfg, root);
	else
		r = report_read_error(&m, &cfg);
	config_destroy(&cfg);
	return r;
}
