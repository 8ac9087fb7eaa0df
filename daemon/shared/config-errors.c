// SPDX-License-Identifier: GPL-2.0-only
/* The list of problems a load found: config-errors.h. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-errors.h"
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

int config_error_cannot_read(struct config_errors *e, const char *path, enum config_read how,
			     int error)
{
	static const char *const what[] = {
		[CONFIG_READ_FILE] = "cannot read",
		[CONFIG_READ_DIRECTORY] = "cannot read directory",
	};

	if (config_error_add(e, path, 0, "%s: %s", what[how], strerror(-error)) < 0)
		return -ENOMEM;
	return error;
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
