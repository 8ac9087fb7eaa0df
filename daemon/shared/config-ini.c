// SPDX-License-Identifier: GPL-2.0-only
/*
 * The drop-ins through inih into the raw tree: config-ini.h.
 *
 * inih tells its handler neither the line number nor where a section
 * starts, and only tells the first line it could not parse; so our line
 * reader counts lines, sees the section headers, and notices a key line
 * for which inih called no handler.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <sys/stat.h>

#include "config-ini.h"
#include "config-trust.h"
#include "util.h"

enum ini_section {
	SECTION_NONE,	/* before the first header */
	SECTION_VOLUME, /* the last member of root */
	SECTION_DEFAULTS, /* [defaults]: the last member of root, key "defaults" */
	SECTION_OTHER,	/* reported; its keys are dropped */
};

struct ini_file {
	FILE *f;
	const char *path;
	int line;
	enum ini_section section;
	struct raw_setting *root;
	struct config_errors *errors;
	int unparsed_line;	/* a key line until inih hands it to on_key() */
	int first_syntax_error;
	int r;			/* first failure; ends the parse */
};

static char *strip(char *s)
{
	size_t n;

	s += strspn(s, " \t\r\n");
	n = strlen(s);
	while (n > 0 && strchr(" \t\r\n", s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int add_text(struct raw_setting *group, const char *key, const char *value,
		    const char *file, int line)
{
	struct raw_setting *s = raw_setting_append(group, key, RAW_TEXT, file, line);

	if (!s)
		return -ENOMEM;
	s->text = strdup(value);
	return s->text ? 0 : -ENOMEM;
}

static int begin_volume(struct ini_file *ini, const char *name)
{
	struct raw_setting *volume;

	volume = raw_setting_append(ini->root, NULL, RAW_GROUP, ini->path, ini->line);
	if (!volume)
		return -ENOMEM;
	ini->section = SECTION_VOLUME;
	return add_text(volume, "name", name, ini->path, ini->line);
}

static int syntax_error(struct ini_file *ini, int line, const char *reason)
{
	if (!ini->first_syntax_error)
		ini->first_syntax_error = line;
	return config_error_add(ini->errors, ini->path, line, "%s", reason);
}

static int begin_section(struct ini_file *ini, const char *header)
{
	_cleanup_(freep) char *copy = NULL;
	const char *end = strchr(header, ']');
	char *inner;

	/* Its keys are dropped: they belong to no section we know. */
	ini->section = SECTION_OTHER;
	if (!end)
		return syntax_error(ini, ini->line, "section header without ']'");

	copy = strndup(header + 1, end - header - 1);
	if (!copy)
		return -ENOMEM;
	inner = strip(copy);

	if (startswith(inner, "volume") && (inner[6] == '\0' || strchr(" \t", inner[6])))
		return begin_volume(ini, strip(inner + 6));
	if (streq(inner, "defaults")) {
		if (!raw_setting_append(ini->root, "defaults", RAW_GROUP, ini->path, ini->line))
			return -ENOMEM;
		ini->section = SECTION_DEFAULTS;
		return 0;
	}

	return config_error_add(ini->errors, ini->path, ini->line,
				"unknown section '[%s]', expected '[volume NAME]' or '[defaults]'",
				inner);
}

/* True when the line went on past the buffer; the rest is dropped. */
static bool skip_rest_of_line(FILE *f)
{
	int c = getc(f);
	bool more = false;

	while (c != EOF && c != '\n') {
		more = true;
		c = getc(f);
	}
	return more;
}

static int check_parsed(struct ini_file *ini)
{
	int line = ini->unparsed_line;

	ini->unparsed_line = 0;
	if (!line)
		return 0;
	return syntax_error(ini, line, "syntax error, expected 'key = value' or '[volume NAME]'");
}

/*
 * inih's reader, one physical line per call.  Leading blanks go, or inih
 * would take an indented key for the continuation of the previous value.
 */
static char *read_line(char *buf, int size, void *userdata)
{
	struct ini_file *ini = userdata;
	size_t len;
	char *start;

	if (ini->r >= 0)
		ini->r = check_parsed(ini);
	if (ini->r < 0 || !fgets(buf, size, ini->f))
		return NULL;
	ini->line++;

	len = strlen(buf);
	if (len > 0 && buf[len - 1] != '\n' && skip_rest_of_line(ini->f)) {
		ini->r = config_error_add(ini->errors, ini->path, ini->line,
					  "line longer than %d characters", size - 1);
		strcpy(buf, "\n");
		return ini->r < 0 ? NULL : buf;
	}

	start = buf;
	if (ini->line == 1 && startswith(buf, "\xEF\xBB\xBF"))
		start += 3;	/* a UTF-8 byte order mark, as some editors write */
	start += strspn(start, " \t\r\n\v\f");
	memmove(buf, start, strlen(start) + 1);

	if (buf[0] == '[')
		ini->r = begin_section(ini, buf);
	else if (buf[0] != '\0' && !strchr(";#", buf[0]))
		ini->unparsed_line = ini->line;
	return ini->r < 0 ? NULL : buf;
}

static int add_match_property(struct ini_file *ini, struct raw_setting *volume,
			      const char *property, const char *value)
{
	struct raw_setting *match = NULL;

	for (size_t i = 0; i < volume->n_members; i++)
		if (volume->members[i].kind == RAW_GROUP && streq(volume->members[i].key, "match"))
			match = &volume->members[i];

	if (!match) {
		match = raw_setting_append(volume, "match", RAW_GROUP, ini->path, ini->line);
		if (!match)
			return -ENOMEM;
	}
	return add_text(match, property, value, ini->path, ini->line);
}

static int add_key(struct ini_file *ini, const char *key, const char *value)
{
	struct raw_setting *volume;

	switch (ini->section) {
	case SECTION_NONE:
		return config_error_add(ini->errors, ini->path, ini->line,
					"key '%s' outside a [volume NAME] section", key);
	case SECTION_OTHER:
		return 0;
	case SECTION_DEFAULTS:
		return add_text(&ini->root->members[ini->root->n_members - 1], key, value,
				ini->path, ini->line);
	case SECTION_VOLUME:
		break;
	}

	volume = &ini->root->members[ini->root->n_members - 1];
	if (streq(key, "name"))
		return config_error_add(ini->errors, ini->path, ini->line,
					"volume '%s': the name is set by the section header, not by 'name'",
					volume->members[0].text);
	if (startswith(key, "match."))
		return add_match_property(ini, volume, key + strlen("match."), value);
	return add_text(volume, key, value, ini->path, ini->line);
}

/* inih's SECTION is not needed: read_line() followed the headers already. */
static int on_key(void *userdata, const char *section, const char *key, const char *value)
{
	struct ini_file *ini = userdata;

	ini->unparsed_line = 0;
	ini->r = add_key(ini, key, value);
	return ini->r < 0 ? 0 : 1;
}

int config_ini_load_file(FILE *f, const char *path, struct raw_setting *root,
			 struct config_errors *errors)
{
	struct ini_file ini = { .f = f, .path = path, .root = root, .errors = errors };
	int line;

	line = ini_parse_stream(read_line, &ini, on_key, &ini);
	if (ini.r < 0)
		return ini.r;
	if (ferror(f))
		return config_error_cannot_read(errors, path, CONFIG_READ_FILE, negative_errno());
	if (line < 0)
		return -ENOMEM;
	/* Should our reader and inih ever disagree on a line, inih wins. */
	if (line > 0 && line != ini.first_syntax_error)
		return config_error_add(errors, path, line, "syntax error");
	return 0;
}

static int is_dropin(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	if (de->d_name[0] == '.' || de->d_type == DT_DIR)
		return 0;
	return n > strlen(".conf") && streq(de->d_name + n - strlen(".conf"), ".conf");
}

/* Byte order, whatever the locale: the order the files are read in is part of the format. */
static int compare_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* NAME in the directory open at DIR_FD, judged by what was opened. */
static int load_entry(int dir_fd, const char *dir, const char *name, uid_t owner,
		      struct raw_setting *root, struct config_errors *errors)
{
	_cleanup_(freep) char *path = NULL;
	size_t n = strlen(dir);
	FILE *f;
	int r;

	if (asprintf(&path, "%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/", name) < 0)
		return -ENOMEM;

	r = config_open_trusted(dir_fd, name, path, owner, errors, &f);
	/* a directory named *.conf is no drop-in, whatever readdir() said of it */
	if (r < 0 || !f)
		return r;
	r = config_ini_load_file(f, path, root, errors);
	fclose(f);
	return r;
}

int config_ini_load_dir(const char *dir, uid_t owner, struct raw_setting *root,
			struct config_errors *errors)
{
	_cleanup_(closep) int dir_fd = -1;
	struct dirent **entries = NULL;
	struct stat st;
	int n, r = 0;

	/* The directory is judged as its files are: who may add a drop-in to it? */
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0 || fstat(dir_fd, &st) < 0) {
		r = negative_errno();
		if (r == -ENOENT)
			return 0;
		return config_error_cannot_read(errors, dir, CONFIG_READ_DIRECTORY, r);
	}
	r = config_check_trusted(dir, &st, owner, errors);
	if (r < 0)
		return r;

	n = scandirat(dir_fd, ".", &entries, is_dropin, compare_names);
	if (n < 0)
		return config_error_cannot_read(errors, dir, CONFIG_READ_DIRECTORY, negative_errno());

	for (int i = 0; i < n; i++) {
		if (r >= 0)
			r = load_entry(dir_fd, dir, entries[i]->d_name, owner, root, errors);
		free(entries[i]);
	}
	free(entries);
	return r;
}
