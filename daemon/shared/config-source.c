// SPDX-License-Identifier: GPL-2.0-only
/*
 * The text libconfig parses: config-source.h.
 *
 * A scanner of our own that draws the tokens where libconfig's does (its
 * lib/scanner.l, the same in 1.5 and 1.7 as far as these go): strings
 * with backslash escapes, # and // comments to the end of the line, block
 * comments, names, numbers as the longest match of its number rules, and
 * "@include" only at the start of a line outside a string or comment.
 * fuzz-config-libconfig.c holds libconfig's reading of a file against
 * its reading of our text.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "config-source.h"
#include "config-trust.h"
#include "util.h"

/* libconfig's MAX_INCLUDE_DEPTH: how many included files may be open at once. */
#define INCLUDE_DEPTH_MAX 10

/* A file by what it is, not by the name it was reached by. */
struct file_id {
	dev_t dev;
	ino_t ino;
};

struct config_source_span {
	int line;		/* the first line of the text it covers */
	size_t file;		/* its file, an index into files */
	int file_line;		/* that line in the file */
};

/* The text being written, and what carries over from one file into the next. */
struct builder {
	struct config_source *s;
	struct config_errors *errors;
	uid_t owner;
	const char *main_path;
	size_t capacity;	/* of s->text */
	int line;		/* the line of the text being written */
	char *brackets;		/* the ( [ { open in the text, innermost last */
	size_t n_brackets, brackets_capacity;
	struct file_id reading[INCLUDE_DEPTH_MAX + 1]; /* the main file and the includes open in it */
	ssize_t comma;		/* where a comma that may have to go was written, or -1 */
	char last;		/* the last token: '(', '[', ',' or 'v' for any other */
	bool refused;		/* a problem was reported: the text is not to be parsed */
};

/* One file being read. */
struct scan {
	const char *name;
	size_t file;
	const char *text;
	size_t size;
	size_t p;		/* where the next token starts */
	int line;		/* the line of p */
	int depth;		/* 0 for the main file */
	const char *key;	/* the name that an "=" followed, for messages */
	size_t key_len;
	int key_state;		/* 1 right after a name, 2 after its "=" or ":", else 0 */
};

static int read_file(struct builder *b, const char *name, size_t file, const char *text,
		     size_t size, int depth);

static int emit(struct builder *b, const char *p, size_t n)
{
	struct config_source *s = b->s;

	if (s->size + n + 1 > b->capacity) {
		size_t capacity = b->capacity * 2 > s->size + n + 1 ? b->capacity * 2 : s->size + n + 1;
		char *text = realloc(s->text, capacity);

		if (!text)
			return -ENOMEM;
		s->text = text;
		b->capacity = capacity;
	}
	memcpy(s->text + s->size, p, n);
	s->size += n;
	s->text[s->size] = '\0';
	for (size_t i = 0; i < n; i++)
		b->line += p[i] == '\n';
	return 0;
}

/* Copies the next N bytes of the file into the text as they are. */
static int copy(struct builder *b, struct scan *sc, size_t n)
{
	const char *p = sc->text + sc->p;

	for (size_t i = 0; i < n; i++)
		sc->line += p[i] == '\n';
	sc->p += n;
	return emit(b, p, n);
}

/* From here on the text holds line FILE_LINE of FILE. */
static int begin_span(struct builder *b, size_t file, int file_line)
{
	struct config_source *s = b->s;
	struct config_source_span *spans;

	spans = reallocarray(s->spans, s->n_spans + 1, sizeof(*spans));
	if (!spans)
		return -ENOMEM;
	s->spans = spans;
	spans[s->n_spans++] = (struct config_source_span){
		.line = b->line, .file = file, .file_line = file_line,
	};
	return 0;
}

static int add_file(struct config_source *s, const char *name, size_t *ret)
{
	char **files;

	for (size_t i = 0; i < s->n_files; i++)
		if (streq(s->files[i], name)) {
			*ret = i;
			return 0;
		}
	files = reallocarray(s->files, s->n_files + 1, sizeof(*files));
	if (!files)
		return -ENOMEM;
	s->files = files;
	files[s->n_files] = strdup(name);
	if (!files[s->n_files])
		return -ENOMEM;
	*ret = s->n_files++;
	return 0;
}

static int problem(struct builder *b, const struct scan *sc, int line, const char *format, ...)
	__attribute__((format(printf, 4, 5)));

static int problem(struct builder *b, const struct scan *sc, int line, const char *format, ...)
{
	va_list ap;
	int r;

	b->refused = true;
	va_start(ap, format);
	r = config_error_addv(b->errors, sc->name, line, format, ap);
	va_end(ap);
	return r;
}

/* The line of byte I of the file, at or after sc->p. */
static int line_at(const struct scan *sc, size_t i)
{
	int line = sc->line;

	for (size_t j = sc->p; j < i; j++)
		line += sc->text[j] == '\n';
	return line;
}

static bool in_list(const struct builder *b)
{
	char open = b->n_brackets ? b->brackets[b->n_brackets - 1] : '\0';

	return open == '(' || open == '[';
}

/*
 * Every token but a comma passes here before it is written.  libconfig
 * 1.7 lets a list or array end in a comma, or hold a comma after another,
 * 1.5 does not: a comma written after a value in a list is blanked once
 * the next token shows it is one of those.
 */
static int token(struct builder *b, char kind)
{
	if (b->comma >= 0 && (kind == ')' || kind == ']'))
		b->s->text[b->comma] = ' ';
	b->comma = -1;
	b->last = kind == '(' || kind == '[' ? kind : 'v';

	if (kind == ')' || kind == ']' || kind == '}') {
		if (b->n_brackets > 0)
			b->n_brackets--;
	} else if (kind == '(' || kind == '[' || kind == '{') {
		if (b->n_brackets == b->brackets_capacity) {
			size_t capacity = b->brackets_capacity ? b->brackets_capacity * 2 : 16;
			char *brackets = realloc(b->brackets, capacity);

			if (!brackets)
				return -ENOMEM;
			b->brackets = brackets;
			b->brackets_capacity = capacity;
		}
		b->brackets[b->n_brackets++] = kind;
	}
	return 0;
}

static int scan_comma(struct builder *b, struct scan *sc)
{
	bool after_value = b->comma >= 0 || (b->last != '(' && b->last != '[' && b->last != ',');

	if (b->comma >= 0)
		b->s->text[b->comma] = ' ';
	b->comma = in_list(b) && after_value ? (ssize_t)b->s->size : -1;
	b->last = ',';
	sc->key_state = 0;
	return copy(b, sc, 1);
}

static bool is_digit(char c, bool hex)
{
	return (c >= '0' && c <= '9') ||
	       (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
}

static bool is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || is_digit(c, false) || c == '-' || c == '_';
}

static size_t digits_end(const struct scan *sc, size_t i, bool hex)
{
	while (i < sc->size && is_digit(sc->text[i], hex))
		i++;
	return i;
}

/* After [eE][-+]?[0-9]+ at I, or I when there is none. */
static size_t exponent_end(const struct scan *sc, size_t i)
{
	size_t j = i + 1, k;

	if (i >= sc->size || (sc->text[i] != 'e' && sc->text[i] != 'E'))
		return i;
	if (j < sc->size && (sc->text[j] == '+' || sc->text[j] == '-'))
		j++;
	k = digits_end(sc, j, false);
	return k > j ? k : i;
}

/* After an L or LL suffix at I. */
static size_t suffix_end(const struct scan *sc, size_t i)
{
	for (int n = 0; n < 2 && i < sc->size && sc->text[i] == 'L'; n++)
		i++;
	return i;
}

enum number_kind {
	NUMBER_NONE,
	NUMBER_FLOAT,
	NUMBER_DECIMAL,
	NUMBER_HEX,
};

/*
 * The number at sc->p as libconfig's scanner draws it: the longest match
 * of, the float rule winning a tie,
 *   float    [-+]?[0-9]*\.[0-9]*([eE][-+]?[0-9]+)?
 *            [-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+
 *   decimal  [-+]?[0-9]+(L|LL)?
 *   hex      0[Xx][0-9A-Fa-f]+(L|LL)?
 * Its length, or 0 when no number starts here.
 */
static size_t number_token(const struct scan *sc, enum number_kind *kind)
{
	const char *t = sc->text;
	size_t p = sc->p, j = p, d, f = p, n = p, h = p;

	if (t[j] == '+' || t[j] == '-')
		j++;
	d = digits_end(sc, j, false);
	if (d < sc->size && t[d] == '.')
		f = exponent_end(sc, digits_end(sc, d + 1, false));
	if (d > j) {
		size_t k = d, e;

		if (k < sc->size && t[k] == '.')
			k = digits_end(sc, k + 1, false);
		e = exponent_end(sc, k);
		if (e > k && e > f)
			f = e;
		n = suffix_end(sc, d);
	}
	if (j == p && d == p + 1 && t[p] == '0' && d < sc->size && (t[d] == 'x' || t[d] == 'X')) {
		size_t x = digits_end(sc, d + 1, true);

		if (x > d + 1)
			h = suffix_end(sc, x);
	}

	if (f > p && f >= n && f >= h) {
		*kind = NUMBER_FLOAT;
		return f - p;
	}
	if (h > n) {
		*kind = NUMBER_HEX;
		return h - p;
	}
	*kind = n > p ? NUMBER_DECIMAL : NUMBER_NONE;
	return n - p;
}

/* The digits from I to END as a number; false past UINT64_MAX. */
static bool digits_value(const struct scan *sc, size_t i, size_t end, bool hex, uint64_t *ret)
{
	unsigned base = hex ? 16 : 10;
	uint64_t v = 0;

	for (; i < end; i++) {
		char c = sc->text[i];
		unsigned digit = c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);

		if (v > (UINT64_MAX - digit) / base)
			return false;
		v = v * base + digit;
	}
	*ret = v;
	return true;
}

/*
 * An integer is written again as " <decimal>L ": one reading in every
 * release, a token of its own whatever stands next to it.
 */
static int scan_number(struct builder *b, struct scan *sc, size_t len, enum number_kind kind)
{
	const char *t = sc->text + sc->p;
	bool minus = t[0] == '-';
	size_t start = sc->p + (t[0] == '-' || t[0] == '+'), end;
	_cleanup_(freep) char *subject = NULL;
	char canonical[32];
	uint64_t v = 0;
	bool fits;
	int r;

	r = token(b, 'v');
	if (r < 0)
		return r;
	if (kind == NUMBER_FLOAT) {
		sc->key_state = 0;
		return copy(b, sc, len);
	}

	if (kind == NUMBER_HEX)
		start = sc->p + 2;
	end = digits_end(sc, start, kind == NUMBER_HEX);
	fits = digits_value(sc, start, end, kind == NUMBER_HEX, &v) &&
	       v <= (minus ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX);

	if (sc->key_state == 2)
		r = asprintf(&subject, "'%.*s' = %.*s", (int)sc->key_len, sc->key, (int)len, t);
	else
		r = asprintf(&subject, "number %.*s", (int)len, t);
	sc->key_state = 0;
	if (r < 0)
		return -ENOMEM;

	if (kind == NUMBER_DECIMAL && end - start > 1 && sc->text[start] == '0') {
		size_t zeros = 0;

		while (start + zeros + 1 < end && sc->text[start + zeros] == '0')
			zeros++;
		r = problem(b, sc, sc->line,
			    "%s: a number must not start with 0 (octal to libconfig 1.7, decimal to 1.5), write %s%.*s",
			    subject, minus ? "-" : "", (int)(end - start - zeros), sc->text + start + zeros);
	} else if (!fits) {
		r = problem(b, sc, sc->line, "%s does not fit in 64 bits: integers run from %" PRId64 " to %" PRId64,
			    subject, INT64_MIN, INT64_MAX);
	} else {
		snprintf(canonical, sizeof(canonical), " %s%" PRIu64 "L ", minus ? "-" : "", v);
		sc->p += len;
		return emit(b, canonical, strlen(canonical));
	}
	if (r < 0)
		return r;
	return copy(b, sc, len);
}

static int scan_string(struct builder *b, struct scan *sc)
{
	const char *t = sc->text;
	size_t i;
	int r;

	for (i = sc->p + 1; i < sc->size && t[i] != '"'; i++) {
		if (t[i] != '\\' || i + 1 == sc->size)
			continue;
		i++;	/* the escaped character: \" does not end the string */
		if ((t[i] == 'x' || t[i] == 'X') && sc->size - i > 2 && t[i + 1] == '0' && t[i + 2] == '0') {
			r = problem(b, sc, line_at(sc, i),
				    "a string cannot hold \\x00 (libconfig 1.5 drops it, 1.7 ends the string there): remove it");
			if (r < 0)
				return r;
		}
	}
	if (i == sc->size) {
		sc->p = sc->size;
		return problem(b, sc, sc->line, "the string that starts here is not closed with \"");
	}

	r = token(b, 'v');
	if (r < 0)
		return r;
	sc->key_state = 0;
	return copy(b, sc, i + 1 - sc->p);
}

static int scan_comment(struct builder *b, struct scan *sc)
{
	const char *t = sc->text + sc->p;
	size_t rest = sc->size - sc->p;
	const char *end;

	if (t[0] == '#' || t[1] == '/') {
		end = memchr(t, '\n', rest);
		return copy(b, sc, end ? (size_t)(end - t) : rest);
	}
	end = rest > 2 ? memmem(t + 2, rest - 2, "*/", 2) : NULL;
	if (!end) {
		sc->p = sc->size;
		return problem(b, sc, sc->line, "the /* comment that starts here is not closed with */");
	}
	return copy(b, sc, (size_t)(end + 2 - t));
}

/* libconfig's ^[ \t]*@include[ \t]+" at sc->p: the offset after the quote, or 0. */
static size_t include_start(const struct scan *sc)
{
	static const char word[] = "@include";
	const char *t = sc->text;
	size_t i = sc->p, after_word;

	if (i > 0 && t[i - 1] != '\n')
		return 0;
	while (i < sc->size && (t[i] == ' ' || t[i] == '\t'))
		i++;
	if (sc->size - i < strlen(word) || memcmp(t + i, word, strlen(word)) != 0)
		return 0;
	i += strlen(word);
	after_word = i;
	while (i < sc->size && (t[i] == ' ' || t[i] == '\t'))
		i++;
	if (i == after_word || i == sc->size || t[i] != '"')
		return 0;
	return i + 1;
}

/* NAME of an @include as it is opened: relative to the main file's directory. */
static char *include_path(const char *main_path, const char *name)
{
	const char *slash = strrchr(main_path, '/');
	char *path;

	if (name[0] == '/' || !slash)
		return strdup(name);
	if (asprintf(&path, "%.*s/%s", (int)(slash - main_path), main_path, name) < 0)
		return NULL;
	return path;
}

static int read_stream(FILE *f, char **ret, size_t *ret_size)
{
	_cleanup_(freep) char *text = NULL;
	size_t size = 0, capacity = 0;

	for (;;) {
		size_t n;

		if (size == capacity) {
			char *grown;

			capacity = capacity ? capacity * 2 : 4096;
			grown = realloc(text, capacity);
			if (!grown)
				return -ENOMEM;
			text = grown;
		}
		n = fread(text + size, 1, capacity - size, f);
		size += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		return -EIO;
	*ret = TAKE_PTR(text);
	*ret_size = size;
	return 0;
}

/*
 * The file an @include on LINE names, opened, judged and read by us as
 * libconfig would have: relative to the main file's directory.
 */
static int read_include(struct builder *b, struct scan *sc, int line, const char *name)
{
	_cleanup_(freep) char *path = include_path(b->main_path, name);
	_cleanup_(freep) char *text = NULL;
	_cleanup_(closep) int fd = -1;
	struct stat st;
	size_t size, file;
	FILE *f;
	int r;

	if (!path)
		return -ENOMEM;
	if (sc->depth == INCLUDE_DEPTH_MAX)
		return problem(b, sc, line, "@include \"%s\" nests files more than %d deep: include fewer files in one another",
				name, INCLUDE_DEPTH_MAX);

	/* a FIFO is refused, not waited on; a directory would make libconfig's scanner end the process */
	fd = config_open_regular(AT_FDCWD, path, &st);
	if (fd == -EBADFD)
		return problem(b, sc, line, "cannot open include file %s: not a regular file", path);
	if (fd < 0)
		return problem(b, sc, line, "cannot open include file %s: %s", path, strerror(-fd));
	/* or it would be read again inside itself, and again, with no end but the depth */
	for (int i = 0; i <= sc->depth; i++)
		if (b->reading[i].dev == st.st_dev && b->reading[i].ino == st.st_ino)
			return problem(b, sc, line, "@include \"%s\" reads %s again inside itself: "
				       "a file cannot include itself, even through another", name, path);
	r = config_check_trusted(path, &st, b->owner, b->errors);
	if (r < 0)
		return r;
	b->reading[sc->depth + 1] = (struct file_id){ .dev = st.st_dev, .ino = st.st_ino };

	f = fdopen(fd, "re");
	if (!f) {
		r = negative_errno();
		return r == -ENOMEM ? r : config_error_cannot_read(b->errors, path, CONFIG_READ_FILE, r);
	}
	(void)TAKE_FD(fd);	/* the stream has it now */
	r = read_stream(f, &text, &size);
	fclose(f);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return config_error_cannot_read(b->errors, path, CONFIG_READ_FILE, r);

	r = add_file(b->s, path, &file);
	if (r < 0)
		return r;
	r = read_file(b, path, file, text, size, sc->depth + 1);
	if (r < 0)
		return r;
	/* the rest of the @include line */
	return begin_span(b, sc->file, sc->line);
}

/* The @include whose file name starts at NAME_START: put in place of it. */
static int scan_include(struct builder *b, struct scan *sc, size_t name_start)
{
	const char *t = sc->text;
	_cleanup_(freep) char *name = NULL;
	int line = sc->line;
	bool plain = true;
	size_t i;

	for (i = name_start; i < sc->size && t[i] != '"'; i++) {
		if (t[i] == '\\') {
			plain = false;
			/* libconfig reads \\ and \" in it as \ and " */
			if (i + 1 < sc->size && (t[i + 1] == '\\' || t[i + 1] == '"'))
				i++;
		} else if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f) {
			plain = false;
		}
	}
	if (i == sc->size) {
		sc->p = sc->size;
		return problem(b, sc, line, "the file name after @include is not closed with \"");
	}
	name = strndup(t + name_start, i - name_start);
	if (!name)
		return -ENOMEM;
	sc->line = line_at(sc, i);
	sc->p = i + 1;
	if (!plain)
		return problem(b, sc, line, "@include \"%s\": write the file name without backslashes or control characters",
			       name);
	return read_include(b, sc, line, name);
}

static int scan_token(struct builder *b, struct scan *sc)
{
	const char *t = sc->text + sc->p;
	size_t rest = sc->size - sc->p, n;
	enum number_kind kind;
	int r;

	n = include_start(sc);
	if (n > 0)
		return scan_include(b, sc, n);

	switch (t[0]) {
	case ' ': case '\t': case '\r': case '\f': case '\n':
		return copy(b, sc, 1);
	case '#':
		return scan_comment(b, sc);
	case '/':
		if (rest > 1 && (t[1] == '/' || t[1] == '*'))
			return scan_comment(b, sc);
		break;
	case '"':
		return scan_string(b, sc);
	case ',':
		return scan_comma(b, sc);
	}

	if (is_name_start(t[0])) {
		for (n = 1; n < rest && is_name_char(t[n]); n++)
			;
		r = token(b, 'v');
		sc->key = t;
		sc->key_len = n;
		sc->key_state = 1;
		return r < 0 ? r : copy(b, sc, n);
	}

	n = number_token(sc, &kind);
	if (n > 0)
		return scan_number(b, sc, n, kind);

	/* punctuation, or a character libconfig will refuse */
	r = token(b, t[0]);
	sc->key_state = sc->key_state == 1 && (t[0] == '=' || t[0] == ':') ? 2 : 0;
	return r < 0 ? r : copy(b, sc, 1);
}

static int read_file(struct builder *b, const char *name, size_t file, const char *text,
		     size_t size, int depth)
{
	struct scan sc = {
		.name = name, .file = file, .text = text, .size = size, .line = 1, .depth = depth,
	};
	const char *nul = memchr(text, '\0', size);
	int r;

	if (nul)
		return problem(b, &sc, line_at(&sc, (size_t)(nul - text)),
			       "holds a NUL byte, which has no place in a configuration file");

	r = begin_span(b, file, 1);
	while (r >= 0 && sc.p < size)
		r = scan_token(b, &sc);
	/* libconfig ends a token at the end of a file: so does a line break */
	if (r >= 0 && size > 0 && text[size - 1] != '\n')
		r = emit(b, "\n", 1);
	return r;
}

int config_source_read(const char *path, FILE *f, uid_t owner, struct config_source *s,
		       struct config_errors *errors)
{
	struct builder b = {
		.s = s, .errors = errors, .owner = owner, .main_path = path,
		.line = 1, .comma = -1, .last = '(',
	};
	_cleanup_(freep) char *text = NULL;
	size_t size, file;
	struct stat st;
	int r;

	*s = (struct config_source){};
	if (fstat(fileno(f), &st) < 0)
		return config_error_cannot_read(errors, path, CONFIG_READ_FILE, negative_errno());
	b.reading[0] = (struct file_id){ .dev = st.st_dev, .ino = st.st_ino };
	r = read_stream(f, &text, &size);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return config_error_cannot_read(errors, path, CONFIG_READ_FILE, r);

	r = add_file(s, path, &file);
	if (r >= 0)
		r = read_file(&b, path, file, text, size, 0);
	if (r >= 0)
		r = emit(&b, "", 0);	/* an empty file is an empty text, not none */
	free(b.brackets);
	s->lines = b.line - 1;
	if (r < 0 || b.refused) {
		free(s->text);
		s->text = NULL;
	}
	return r;
}

void config_source_where(const struct config_source *s, int line, const char **file,
			 int *file_line)
{
	const struct config_source_span *span = &s->spans[0];

	if (line > s->lines)
		line = s->lines;
	if (line < 1)
		line = 1;
	for (size_t i = 1; i < s->n_spans && s->spans[i].line <= line; i++)
		span = &s->spans[i];
	*file = s->files[span->file];
	*file_line = span->file_line + (line - span->line);
}

void config_source_done(struct config_source *s)
{
	free(s->text);
	for (size_t i = 0; i < s->n_files; i++)
		free(s->files[i]);
	free(s->files);
	free(s->spans);
	*s = (struct config_source){};
}
