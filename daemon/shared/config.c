// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loading the configuration: the main file through libconfig, the drop-ins
 * through config-ini.c, both into one tree of raw settings that
 * config-validate.c turns into the volume model.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdio.h>
#include <sys/stat.h>

#include "config-internal.h"
#include "util.h"

/*
 * One message is one line: a control character that came from the file
 * (a libconfig "\n" escape in a name, say) is shown as \xNN rather than
 * starting a line of its own in the journal or in --check's output.
 */
static char *escape_controls(const char *s)
{
	size_t n = 0;
	char *out, *p;

	for (const char *q = s; *q; q++)
		n += (unsigned char)*q < 0x20 || *q == 0x7f ? 4 : 1;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	for (p = out; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			p += sprintf(p, "\\x%02x", c);
		else
			*p++ = (char)c;
	}
	*p = '\0';
	return out;
}

int config_error_addv(struct config_errors *e, const char *file, int line,
		      const char *format, va_list ap)
{
	_cleanup_(freep) char *reason = NULL, *raw = NULL;
	char *message;
	char **messages;
	int r;

	if (vasprintf(&reason, format, ap) < 0)
		return -ENOMEM;

	if (line > 0)
		r = asprintf(&raw, "%s:%d: %s", file, line, reason);
	else
		r = asprintf(&raw, "%s: %s", file, reason);
	if (r < 0)
		return -ENOMEM;
	message = escape_controls(raw);
	if (!message)
		return -ENOMEM;

	messages = reallocarray(e->messages, e->n + 1, sizeof(*messages));
	if (!messages) {
		free(message);
		return -ENOMEM;
	}
	messages[e->n++] = message;
	e->messages = messages;
	return 0;
}

int config_error_add(struct config_errors *e, const char *file, int line, const char *format, ...)
{
	va_list ap;
	int r;

	va_start(ap, format);
	r = config_error_addv(e, file, line, format, ap);
	va_end(ap);
	return r;
}

void config_errors_clear(struct config_errors *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->messages[i]);
	free(e->messages);
	*e = (struct config_errors){};
}

struct raw_setting *raw_setting_append(struct raw_setting *group, const char *key,
				       enum raw_kind kind, const char *file, int line)
{
	struct raw_setting *members, *s;

	members = reallocarray(group->members, group->n_members + 1, sizeof(*members));
	if (!members)
		return NULL;
	group->members = members;

	s = &members[group->n_members];
	*s = (struct raw_setting){ .kind = kind, .where.line = line };
	s->key = key ? strdup(key) : NULL;
	s->where.file = strdup(file);
	if ((key && !s->key) || !s->where.file) {
		free(s->key);
		free(s->where.file);
		return NULL;
	}

	group->n_members++;
	return s;
}

void raw_setting_done(struct raw_setting *s)
{
	for (size_t i = 0; i < s->n_members; i++)
		raw_setting_done(&s->members[i]);
	free(s->members);
	free(s->key);
	free(s->text);
	free(s->where.file);
	*s = (struct raw_setting){};
}

void volume_config_done(struct volume_config *v)
{
	for (size_t i = 0; i < v->n_match; i++) {
		free(v->match[i].key);
		free(v->match[i].value);
	}
	free(v->match);
	free(v->name);
	free(v->file);
	free(v->device);
	free(v->where.file);
	*v = (struct volume_config){};
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_volumes; i++)
		volume_config_done(&c->volumes[i]);
	free(c->volumes);
	free(c);
}

static void config_freep(struct config **c)
{
	config_free(*c);
}

const struct volume_config *config_find(const struct config *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->n_volumes; i++)
		if (streq_ptr(c->volumes[i].name, name))
			return &c->volumes[i];
	return NULL;
}

/* Both match lists are sorted by key, so equal sets are equal arrays. */
static bool match_equal(const struct volume_config *a, const struct volume_config *b)
{
	if (a->n_match != b->n_match)
		return false;
	for (size_t i = 0; i < a->n_match; i++)
		if (!streq(a->match[i].key, b->match[i].key) ||
		    !streq(a->match[i].value, b->match[i].value))
			return false;
	return true;
}

bool volume_same_backing(const struct volume_config *a, const struct volume_config *b)
{
	if (a->kind != b->kind)
		return false;

	switch (a->kind) {
	case BACKING_FILE:
		return streq_ptr(a->file, b->file);
	case BACKING_DEVICE:
		return streq_ptr(a->device, b->device);
	case BACKING_MATCH:
		return match_equal(a, b);
	}
	return false;
}

/* Where a definition was written does not change what it maps. */
bool volume_config_equal(const struct volume_config *a, const struct volume_config *b)
{
	return streq_ptr(a->name, b->name) && volume_same_backing(a, b) &&
	       a->size_bytes == b->size_bytes && a->offset == b->offset &&
	       a->sectors == b->sectors && a->read_only == b->read_only &&
	       a->trace == b->trace;
}

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
	if (r < 0) {
		if (config_error_add(m->errors, s->where.file, 0, "cannot read again: %s",
				     strerror(-r)) < 0)
			return -ENOMEM;
		return r;
	}
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

/* ---- sshd's StrictModes: who could have written what we read ---------- */

int config_check_trusted(const char *path, const struct stat *st, uid_t owner,
			 struct config_errors *errors)
{
	static const char *const writers[] = { "", "others", "group", "group and others" };
	static const char *const fixes[] = { "", "o-w", "g-w", "go-w" };
	unsigned writable = (st->st_mode & S_IWGRP ? 2 : 0) | (st->st_mode & S_IWOTH ? 1 : 0);
	char want[32] = "root", chown_to[32] = "root";
	int r = 0;

	if (st->st_uid != owner) {
		if (owner != 0) {
			snprintf(want, sizeof(want), "uid %u", (unsigned)owner);
			snprintf(chown_to, sizeof(chown_to), "%u", (unsigned)owner);
		}
		if (config_error_add(errors, path, 0, "owned by uid %u, not by %s; refusing it: chown %s %s",
				     (unsigned)st->st_uid, want, chown_to, path) < 0)
			return -ENOMEM;
		r = -EPERM;
	}
	if (writable) {
		if (config_error_add(errors, path, 0,
				     "writable by %s (mode %04o); refusing it: chmod %s %s",
				     writers[writable], (unsigned)(st->st_mode & 07777),
				     fixes[writable], path) < 0)
			return -ENOMEM;
		r = -EPERM;
	}
	return r;
}

/*
 * libconfig 1.5 opens what @include names itself, so an included file is
 * judged once it has been read: every file a setting came from.
 */
static int check_included(const char *main_path, const struct raw_setting *s, uid_t owner,
			  char ***checked, size_t *n_checked, struct config_errors *errors)
{
	const char *file = s->where.file;
	int r = 0;

	if (file && !streq(file, main_path)) {
		bool seen = false;

		for (size_t i = 0; i < *n_checked && !seen; i++)
			seen = streq((*checked)[i], file);
		if (!seen) {
			char **grown = reallocarray(*checked, *n_checked + 1, sizeof(**checked));
			_cleanup_(closep) int fd = -1;
			struct stat st;

			if (!grown)
				return -ENOMEM;
			*checked = grown;
			grown[*n_checked] = strdup(file);
			if (!grown[*n_checked])
				return -ENOMEM;
			(*n_checked)++;

			fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
			if (fd < 0 || fstat(fd, &st) < 0) {
				r = negative_errno();
				if (config_error_add(errors, file, 0, "cannot read again: %s",
						     strerror(-r)) < 0)
					return -ENOMEM;
				return r;
			}
			r = config_check_trusted(file, &st, owner, errors);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < s->n_members; i++) {
		int k = check_included(main_path, &s->members[i], owner, checked, n_checked, errors);

		if (k == -ENOMEM)
			return k;
		if (k < 0 && r >= 0)
			r = k;
	}
	return r;
}

static int check_included_files(const char *main_path, const struct raw_setting *root,
				uid_t owner, struct config_errors *errors)
{
	char **checked = NULL;
	size_t n_checked = 0;
	int r;

	r = check_included(main_path, root, owner, &checked, &n_checked, errors);
	for (size_t i = 0; i < n_checked; i++)
		free(checked[i]);
	free(checked);
	return r;
}

static int report_read_error(const char *path, const config_t *cfg, struct config_errors *errors)
{
	_cleanup_(freep) char *file = NULL;

	file = source_path(path, config_error_file(cfg));
	if (!file)
		return -ENOMEM;
	return config_error_add(errors, file, config_error_line(cfg), "%s", config_error_text(cfg));
}

static int cannot_read(const char *path, int r, struct config_errors *errors)
{
	if (config_error_add(errors, path, 0, "cannot read: %s", strerror(-r)) < 0)
		return -ENOMEM;
	return r;
}

/*
 * The file is judged by what was opened (fstat), then read through that
 * same descriptor: no window in which it could be swapped.
 */
int config_open_trusted(int dir_fd, const char *name, const char *path, uid_t owner,
			struct config_errors *errors, FILE **ret)
{
	_cleanup_(closep) int fd = -1;
	struct stat st;
	int r;

	*ret = NULL;
	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cannot_read(path, negative_errno(), errors);
	if (fstat(fd, &st) < 0)
		return cannot_read(path, negative_errno(), errors);
	if (S_ISDIR(st.st_mode))
		return 0;
	r = config_check_trusted(path, &st, owner, errors);
	if (r < 0)
		return r;
	*ret = fdopen(fd, "re");
	if (!*ret) {
		r = negative_errno();
		return r == -ENOMEM ? r : cannot_read(path, r, errors);
	}
	(void)TAKE_FD(fd);	/* the stream has it now */
	return 0;
}

/*
 * A syntax error in the main file is reported and loading goes on with the
 * drop-ins.
 */
static int load_main(const char *path, uid_t owner, struct raw_setting *root,
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
		return cannot_read(path, -EISDIR, errors);

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
			r = check_included_files(path, root, owner, errors);
	} else if (ferror(f)) {
		r = cannot_read(path, -EIO, errors);
	} else {
		r = report_read_error(path, &cfg, errors);
	}
	config_destroy(&cfg);
	fclose(f);
	return r;
}

int config_load_owned_by(const char *path, const char *dropin_dir, uid_t owner,
			 struct config **ret, struct config_errors *errors)
{
	_cleanup_(raw_setting_done) struct raw_setting root = {};
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_(freep) char *default_dir = NULL;
	size_t n_errors = errors->n;
	int r;

	r = load_main(path, owner, &root, errors);
	if (r < 0)
		return r;

	if (!dropin_dir) {
		if (asprintf(&default_dir, "%s.d", path) < 0)
			return -ENOMEM;
		dropin_dir = default_dir;
	}
	r = config_ini_load_dir(dropin_dir, owner, &root, errors);
	if (r < 0)
		return r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	r = config_validate(&root, c, errors);
	if (r < 0)
		return r;
	if (errors->n > n_errors)
		return -EINVAL;

	if (ret)
		*ret = TAKE_PTR(c);
	return 0;
}

int config_load(const char *path, const char *dropin_dir, struct config **ret,
		struct config_errors *errors)
{
	return config_load_owned_by(path, dropin_dir, 0, ret, errors);
}

void config_print_check(const char *path, int r, const struct config *c,
			const struct config_errors *errors)
{
	for (size_t i = 0; i < errors->n; i++)
		fprintf(stderr, "%s\n", errors->messages[i]);
	if (r >= 0 && c)
		printf("%s: %zu volume%s, configuration valid\n", path, c->n_volumes,
		       c->n_volumes == 1 ? "" : "s");
}

bool volume_name_valid(const char *name)
{
	static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "abcdefghijklmnopqrstuvwxyz"
				      "0123456789._-";
	size_t n;

	if (!name)
		return false;

	n = strlen(name);
	if (n == 0 || n > VOLUME_NAME_MAX)
		return false;

	/*
	 * The name becomes a path component under /dev/mapper and
	 * /dev/basicdm: "." and ".." would leave them, and /dev/mapper/control
	 * is device-mapper's own device (newer kernels refuse the name too).
	 */
	if (streq(name, ".") || streq(name, "..") || streq(name, "control"))
		return false;

	return strspn(name, allowed) == n;
}
