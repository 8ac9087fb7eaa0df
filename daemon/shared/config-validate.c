// SPDX-License-Identifier: GPL-2.0-only
/*
 * From raw settings to the volume model: config-validate.h.
 *
 * The getters return 1 with a value, 0 when they reported a problem, or a
 * negative errno when memory ran out.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>
#include <sys/types.h>

#include "config-validate.h"
#include "latency-bounds.h"
#include "parse-util.h"
#include "util.h"

/* The most sectors whose byte count still fits in 64 bits. */
#define SECTORS_MAX (UINT64_MAX >> 9)

/*
 * The largest 'size': the most bytes a file can hold (off_t, signed) that
 * are still whole sectors.  Anything larger passes for a number but no
 * ftruncate() takes it.
 */
#define FILE_BYTES_MAX ((UINT64_MAX >> (65 - 8 * sizeof(off_t))) & ~UINT64_C(511))

struct volume_check {
	struct config_errors *errors;
	const struct raw_setting *raw;		/* the volume's group */
	const char *label;			/* its name as written, if a string */
	bool has_name;
	const struct raw_setting *backing;	/* the first of file, device, match */
	const struct raw_setting *size;
	const struct latency_bounds *defaults;	/* the histogram of a volume that sets none */
	struct volume_config vol;
};

static int volume_error(struct volume_check *v, const struct raw_setting *at,
			const char *format, ...) __attribute__((format(printf, 3, 4)));

static int volume_error(struct volume_check *v, const struct raw_setting *at,
			const char *format, ...)
{
	_cleanup_(freep) char *reason = NULL;
	va_list ap;
	int r;

	va_start(ap, format);
	r = vasprintf(&reason, format, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;

	if (!at)
		at = v->raw;
	if (v->label)
		return config_error_add(v->errors, at->where.file, at->where.line,
					"volume '%s': %s", v->label, reason);
	return config_error_add(v->errors, at->where.file, at->where.line,
				"unnamed volume: %s", reason);
}

/* The value as the user wrote it, for "must be X, not Y". */
static char *value_text(const struct raw_setting *s)
{
	char *text = NULL;
	int r = 0;

	switch (s->kind) {
	case RAW_TEXT:
	case RAW_STRING:
		r = asprintf(&text, "'%s'", s->text);
		break;
	case RAW_INTEGER:
		r = asprintf(&text, "%lld", s->integer);
		break;
	case RAW_BOOLEAN:
		text = strdup(s->boolean ? "true" : "false");
		break;
	case RAW_FLOAT:
		text = strdup("a floating-point number");
		break;
	case RAW_LIST:
		text = strdup("a list");
		break;
	case RAW_GROUP:
		text = strdup("a group");
		break;
	}
	return r < 0 ? NULL : text;
}

static int type_error(struct volume_check *v, const struct raw_setting *s, const char *expected)
{
	_cleanup_(freep) char *text = value_text(s);

	if (!text)
		return -ENOMEM;
	return volume_error(v, s, "'%s' must be %s, not %s", s->key, expected, text);
}

static int get_string(struct volume_check *v, const struct raw_setting *s, const char **ret)
{
	if (s->kind != RAW_TEXT && s->kind != RAW_STRING)
		return type_error(v, s, "a string");
	*ret = s->text;
	return 1;
}

static int get_bool(struct volume_check *v, const struct raw_setting *s, bool *ret)
{
	static const char *const yes[] = { "true", "yes", "1" };
	static const char *const no[] = { "false", "no", "0" };

	if (s->kind == RAW_BOOLEAN) {
		*ret = s->boolean;
		return 1;
	}
	if (s->kind != RAW_TEXT)
		return type_error(v, s, "true or false");

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(s->text, yes[i]) == 0) {
			*ret = true;
			return 1;
		}
		if (strcasecmp(s->text, no[i]) == 0) {
			*ret = false;
			return 1;
		}
	}
	return type_error(v, s, "true, false, yes, no, 1 or 0");
}

static int get_sectors(struct volume_check *v, const struct raw_setting *s, uint64_t *ret)
{
	uint64_t value = 0;
	int r = -EINVAL;

	if (s->kind == RAW_INTEGER && s->integer >= 0) {
		value = s->integer;
		r = 0;
	} else if (s->kind == RAW_TEXT) {
		r = parse_uint64(s->text, &value);
	}

	if (r == -EINVAL)
		return type_error(v, s, "a non-negative integer");
	if (r < 0 || value > SECTORS_MAX)
		return volume_error(v, s, "'%s' is out of range, the most is %" PRIu64 " sectors",
				    s->key, SECTORS_MAX);
	*ret = value;
	return 1;
}

static int apply_name(struct volume_check *v, const struct raw_setting *s)
{
	const char *name = NULL;
	int r;

	r = get_string(v, s, &name);
	if (r <= 0)
		return r;
	if (!volume_name_valid(name))
		return volume_error(v, s, "invalid name, use 1-%d of A-Z a-z 0-9 . _ - (not '.', '..' or 'control')",
				    VOLUME_NAME_MAX);

	v->vol.name = strdup(name);
	return v->vol.name ? 0 : -ENOMEM;
}

/* Returns 1 when S is the volume's only backing so far. */
static int claim_backing(struct volume_check *v, const struct raw_setting *s)
{
	if (v->backing)
		return volume_error(v, s, "'%s' conflicts with '%s', set only one of 'file', 'device' or 'match'",
				    s->key, v->backing->key);
	v->backing = s;
	return 1;
}

static int apply_path(struct volume_check *v, const struct raw_setting *s,
		      enum backing_kind kind, char **field)
{
	const char *path = NULL, *why;
	int r;

	r = claim_backing(v, s);
	if (r <= 0)
		return r;
	r = get_string(v, s, &path);
	if (r <= 0)
		return r;
	/* The daemon's working directory is no place to resolve storage against. */
	if (path[0] != '/')
		return volume_error(v, s, "'%s' must be an absolute path, not '%s'", s->key, path);
	/*
	 * One spelling per path: the sandbox rule (sandbox.h) and the overlap
	 * check compare paths as written, and "/srv/../etc/x.img" must not
	 * pass for a file under /srv.
	 */
	why = path_not_normalized(path);
	if (why)
		return volume_error(v, s, "'%s' must be a normalized path, not '%s' (%s): write it "
				    "without '.' or '..' components, '//' or a trailing '/'",
				    s->key, path, why);

	*field = strdup(path);
	if (!*field)
		return -ENOMEM;
	v->vol.kind = kind;
	return 0;
}

static int apply_file(struct volume_check *v, const struct raw_setting *s)
{
	return apply_path(v, s, BACKING_FILE, &v->vol.file);
}

static int apply_device(struct volume_check *v, const struct raw_setting *s)
{
	return apply_path(v, s, BACKING_DEVICE, &v->vol.device);
}

static bool property_name_valid(const char *name)
{
	return name[0] && !strpbrk(name, " \t=");
}

static int add_match_property(struct volume_check *v, const struct raw_setting *m)
{
	struct match_property *p;

	if (!property_name_valid(m->key))
		return volume_error(v, m, "invalid udev property name '%s'", m->key);
	if (m->kind != RAW_TEXT && m->kind != RAW_STRING)
		return type_error(v, m, "a string");
	if (m->text[0] == '\0')
		return volume_error(v, m, "udev property '%s' has an empty value", m->key);
	for (size_t i = 0; i < v->vol.n_match; i++)
		if (streq(v->vol.match[i].key, m->key))
			return volume_error(v, m, "udev property '%s' is given twice", m->key);

	p = &v->vol.match[v->vol.n_match++];
	p->key = strdup(m->key);
	p->value = strdup(m->text);
	return p->key && p->value ? 0 : -ENOMEM;
}

static int compare_properties(const void *a, const void *b)
{
	const struct match_property *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/* A match no block device can satisfy is a mistake, not a volume that waits forever. */
static int check_match_possible(struct volume_check *v, const struct raw_setting *s)
{
	const char *devtype = volume_match_devtype(&v->vol);

	if (!streq(devtype, "disk") && !streq(devtype, "partition"))
		return volume_error(v, s, "'DEVTYPE' = '%s' can never match: block devices are "
				    "'disk' or 'partition'", devtype);
	for (size_t i = 0; i < v->vol.n_match; i++)
		if (streq(devtype, "disk") && match_key_partition_only(v->vol.match[i].key))
			return volume_error(v, s, "'%s' can never match with 'DEVTYPE' = 'disk': "
					    "only partitions have it", v->vol.match[i].key);
	return 0;
}

static int apply_match(struct volume_check *v, const struct raw_setting *s)
{
	int r;

	r = claim_backing(v, s);
	if (r <= 0)
		return r;
	if (s->kind == RAW_TEXT)
		return volume_error(v, s, "write udev properties as 'match.PROPERTY = value'");
	if (s->kind != RAW_GROUP)
		return type_error(v, s, "a group of udev properties { PROPERTY = \"value\"; }");
	if (s->n_members == 0)
		return volume_error(v, s, "'match' names no udev property");

	v->vol.kind = BACKING_MATCH;
	v->vol.match = calloc(s->n_members, sizeof(*v->vol.match));
	if (!v->vol.match)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_members; i++) {
		r = add_match_property(v, &s->members[i]);
		if (r < 0)
			return r;
	}
	qsort(v->vol.match, v->vol.n_match, sizeof(*v->vol.match), compare_properties);
	return check_match_possible(v, s);
}

static int apply_size(struct volume_check *v, const struct raw_setting *s)
{
	const char *text;
	uint64_t bytes;
	int r;

	if (s->kind != RAW_TEXT && s->kind != RAW_STRING)
		return type_error(v, s, "a string such as \"64M\"");
	text = s->text;
	v->size = s;

	r = parse_size(text, &bytes);
	if (r == -ERANGE || (r == 0 && bytes > FILE_BYTES_MAX))
		return volume_error(v, s, "size '%s' is too large, the most is %" PRIu64
				    " bytes (the largest file in whole sectors)", text, (uint64_t)FILE_BYTES_MAX);
	if (r < 0 || bytes == 0)
		return volume_error(v, s, "invalid size '%s', use bytes with an optional K, M, G or T suffix",
				    text);
	/* A loop device ignores a partial last sector. */
	if (bytes % 512 != 0)
		return volume_error(v, s, "size '%s' is not a multiple of 512 bytes", text);

	v->vol.size_bytes = bytes;
	return 0;
}

static int apply_offset(struct volume_check *v, const struct raw_setting *s)
{
	int r = get_sectors(v, s, &v->vol.offset);

	return r < 0 ? r : 0;
}

static int apply_sectors(struct volume_check *v, const struct raw_setting *s)
{
	int r = get_sectors(v, s, &v->vol.sectors);

	return r < 0 ? r : 0;
}

static int apply_read_only(struct volume_check *v, const struct raw_setting *s)
{
	int r = get_bool(v, s, &v->vol.read_only);

	return r < 0 ? r : 0;
}

static int apply_trace(struct volume_check *v, const struct raw_setting *s)
{
	int r = get_bool(v, s, &v->vol.trace);

	return r < 0 ? r : 0;
}

/* The value of 'latency_histogram' in S, or 0 with the problem reported through REPORT. */
static int get_latency_bounds(const struct raw_setting *s, struct latency_bounds *ret,
			      const char **why)
{
	if (s->kind != RAW_TEXT && s->kind != RAW_STRING) {
		*why = "must be a string such as \"1ms,5ms,20ms\" or \"off\"";
		return -EINVAL;
	}
	return latency_bounds_parse(s->text, ret, why);
}

static int apply_latency_histogram(struct volume_check *v, const struct raw_setting *s)
{
	const char *why = NULL;

	if (get_latency_bounds(s, &v->vol.latency_histogram, &why) < 0)
		return volume_error(v, s, "'%s' %s%s", s->key,
				    s->kind == RAW_TEXT || s->kind == RAW_STRING ? "is invalid: " : "",
				    why);
	return 0;
}

static const struct {
	const char *key;
	int (*apply)(struct volume_check *v, const struct raw_setting *s);
} volume_keys[] = {
	{ "name", apply_name },
	{ "file", apply_file },
	{ "device", apply_device },
	{ "match", apply_match },
	{ "size", apply_size },
	{ "offset", apply_offset },
	{ "sectors", apply_sectors },
	{ "read_only", apply_read_only },
	{ "trace", apply_trace },
	{ "latency_histogram", apply_latency_histogram },
};

static int check_setting(struct volume_check *v, size_t index)
{
	const struct raw_setting *s = &v->raw->members[index];

	for (size_t i = 0; i < index; i++)
		if (streq(v->raw->members[i].key, s->key))
			return volume_error(v, s, "'%s' is given twice", s->key);

	for (size_t i = 0; i < ELEMENTSOF(volume_keys); i++)
		if (streq(volume_keys[i].key, s->key))
			return volume_keys[i].apply(v, s);

	return volume_error(v, s, "unknown key '%s'", s->key);
}

static int check_size_fits(struct volume_check *v)
{
	uint64_t size_sectors = v->vol.size_bytes / 512;
	uint64_t offset = v->vol.offset, sectors = v->vol.sectors;

	if (!v->vol.size_bytes || v->vol.kind != BACKING_FILE)
		return 0;
	if (sectors == 0 && offset >= size_sectors)
		return volume_error(v, v->size,
				    "'offset' %" PRIu64 " is past the end of 'size' (%" PRIu64 " sectors)",
				    offset, size_sectors);
	if (sectors > 0 && offset + sectors > size_sectors)
		return volume_error(v, v->size,
				    "'offset' + 'sectors' = %" PRIu64 " is past the end of 'size' (%" PRIu64 " sectors)",
				    offset + sectors, size_sectors);
	return 0;
}

/* What can only be judged once every key is read. */
static int check_whole(struct volume_check *v)
{
	int r = 0;

	if (!v->has_name)
		r = volume_error(v, NULL, "missing 'name'");
	if (r >= 0 && !v->backing)
		r = volume_error(v, NULL, "no backing, set one of 'file', 'device' or 'match'");
	if (r >= 0 && v->size && v->backing && !streq(v->backing->key, "file"))
		r = volume_error(v, v->size, "'size' is only valid with 'file'");
	if (r >= 0 && v->vol.offset + v->vol.sectors > SECTORS_MAX)
		r = volume_error(v, NULL,
				 "'offset' + 'sectors' is out of range, the most is %" PRIu64 " sectors",
				 SECTORS_MAX);
	if (r >= 0)
		r = check_size_fits(v);
	return r;
}

static int check_volume(struct volume_check *v)
{
	int r;

	v->vol.latency_histogram = *v->defaults;
	for (size_t i = 0; i < v->raw->n_members; i++) {
		const struct raw_setting *s = &v->raw->members[i];

		if (streq(s->key, "name") && !v->has_name) {
			v->has_name = true;
			if (s->kind == RAW_TEXT || s->kind == RAW_STRING)
				v->label = s->text;
		}
	}

	for (size_t i = 0; i < v->raw->n_members; i++) {
		r = check_setting(v, i);
		if (r < 0)
			return r;
	}
	return check_whole(v);
}

/* "2048-4095", or "2048-end" when the volume runs to the end of its backing. */
static void format_range(const struct volume_config *v, char *buf, size_t size)
{
	if (v->sectors)
		snprintf(buf, size, "%" PRIu64 "-%" PRIu64, v->offset, v->offset + v->sectors - 1);
	else
		snprintf(buf, size, "%" PRIu64 "-end", v->offset);
}

static char *match_text(const struct volume_config *v)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		return NULL;
	fputs("the disk matching '", f);
	for (size_t i = 0; i < v->n_match; i++)
		fprintf(f, "%s%s=%s", i ? " " : "", v->match[i].key, v->match[i].value);
	fputc('\'', f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static char *backing_text(const struct volume_config *v)
{
	char *text = NULL;

	switch (v->kind) {
	case BACKING_FILE:
		if (asprintf(&text, "file '%s'", v->file) < 0)
			return NULL;
		return text;
	case BACKING_DEVICE:
		if (asprintf(&text, "device '%s'", v->device) < 0)
			return NULL;
		return text;
	case BACKING_MATCH:
		return match_text(v);
	}
	return NULL;
}

static bool ranges_overlap(const struct volume_config *a, const struct volume_config *b)
{
	uint64_t a_end = a->sectors ? a->offset + a->sectors : UINT64_MAX;
	uint64_t b_end = b->sectors ? b->offset + b->sectors : UINT64_MAX;

	return a->offset < b_end && b->offset < a_end;
}

static int check_overlap(const struct volume_config *v, const struct volume_config *earlier,
			 struct config_errors *errors)
{
	_cleanup_(freep) char *backing = NULL;
	char range[48], earlier_range[48];

	if (!volume_same_backing(v, earlier) || !ranges_overlap(v, earlier))
		return 0;

	backing = backing_text(v);
	if (!backing)
		return -ENOMEM;
	format_range(v, range, sizeof(range));
	format_range(earlier, earlier_range, sizeof(earlier_range));
	return config_error_add(errors, v->where.file, v->where.line,
				"volume '%s': sectors %s overlap volume '%s' (%s:%d, sectors %s) on %s",
				v->name, range, earlier->name, earlier->where.file,
				earlier->where.line, earlier_range, backing);
}

/* Which size should a missing file be created with? */
static int check_same_size(const struct volume_config *v, const struct volume_config *earlier,
			   struct config_errors *errors)
{
	if (v->kind != BACKING_FILE || !volume_same_backing(v, earlier) || !v->size_bytes ||
	    !earlier->size_bytes || v->size_bytes == earlier->size_bytes)
		return 0;
	return config_error_add(errors, v->where.file, v->where.line,
				"volume '%s': 'size' differs from volume '%s' (%s:%d) on file '%s'",
				v->name, earlier->name, earlier->where.file, earlier->where.line,
				v->file);
}

/* VALID: which of the earlier volumes had no problem of their own. */
static int check_against_earlier(const struct config *c, const bool *valid, size_t index,
				 struct config_errors *errors)
{
	const struct volume_config *v = &c->volumes[index];
	int r;

	for (size_t i = 0; v->name && i < index; i++) {
		const struct volume_config *earlier = &c->volumes[i];

		if (streq_ptr(v->name, earlier->name))
			return config_error_add(errors, v->where.file, v->where.line,
						"volume '%s' is already defined at %s:%d", v->name,
						earlier->where.file, earlier->where.line);
	}

	for (size_t i = 0; valid[index] && i < index; i++) {
		if (!valid[i])
			continue;
		r = check_overlap(v, &c->volumes[i], errors);
		if (r >= 0)
			r = check_same_size(v, &c->volumes[i], errors);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_one(const struct raw_setting *raw, const struct latency_bounds *defaults,
		     struct config *c, bool *valid, struct config_errors *errors)
{
	struct volume_check v = { .errors = errors, .raw = raw, .defaults = defaults };
	size_t n_errors = errors->n;
	int r;

	r = check_volume(&v);
	if (r >= 0) {
		v.vol.where.file = strdup(raw->where.file);
		v.vol.where.line = raw->where.line;
		if (!v.vol.where.file)
			r = -ENOMEM;
	}
	/* Kept even when broken: a later volume of the same name is still a duplicate. */
	c->volumes[c->n_volumes] = v.vol;
	valid[c->n_volumes] = errors->n == n_errors;
	c->n_volumes++;
	if (r < 0)
		return r;

	return check_against_earlier(c, valid, c->n_volumes - 1, errors);
}

/*
 * The 'defaults' group (libconfig) or [defaults] section (INI): what every
 * volume gets unless it says otherwise.  Given once, whichever file.
 */
static int check_defaults(const struct raw_setting *root, struct latency_bounds *ret,
			  struct config_errors *errors)
{
	const struct raw_setting *first = NULL;
	const char *why = NULL;
	int r;

	if (latency_bounds_parse(LATENCY_BOUNDS_DEFAULT, ret, &why) < 0)
		return -EINVAL;
	for (size_t i = 0; i < root->n_members; i++) {
		const struct raw_setting *d = &root->members[i];

		if (!streq_ptr(d->key, "defaults"))
			continue;
		if (first) {
			r = config_error_add(errors, d->where.file, d->where.line,
					     "'defaults' is already given at %s:%d",
					     first->where.file, first->where.line);
			if (r < 0)
				return r;
			continue;
		}
		first = d;
		if (d->kind != RAW_GROUP) {
			r = config_error_add(errors, d->where.file, d->where.line,
					     "'defaults' must be a group: defaults = { ... };");
			if (r < 0)
				return r;
			continue;
		}
		for (size_t k = 0; k < d->n_members; k++) {
			const struct raw_setting *s = &d->members[k];

			if (!streq(s->key, "latency_histogram"))
				r = config_error_add(errors, s->where.file, s->where.line,
						     "defaults: unknown key '%s', expected "
						     "'latency_histogram'", s->key);
			else if (get_latency_bounds(s, ret, &why) < 0)
				r = config_error_add(errors, s->where.file, s->where.line,
						     "defaults: 'latency_histogram' %s%s",
						     s->kind == RAW_TEXT || s->kind == RAW_STRING
							     ? "is invalid: " : "", why);
			else
				r = 0;
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int config_validate(const struct raw_setting *root, struct config *c, struct config_errors *errors)
{
	_cleanup_(freep) bool *valid = NULL;
	struct latency_bounds defaults;
	int r;

	r = check_defaults(root, &defaults, errors);
	if (r < 0)
		return r;
	if (root->n_members == 0)
		return 0;

	c->volumes = calloc(root->n_members, sizeof(*c->volumes));
	valid = calloc(root->n_members, sizeof(*valid));
	if (!c->volumes || !valid)
		return -ENOMEM;

	for (size_t i = 0; i < root->n_members; i++) {
		if (root->members[i].key)
			continue;	/* 'defaults', read above */
		r = check_one(&root->members[i], &defaults, c, valid, errors);
		if (r < 0)
			return r;
	}
	return 0;
}
