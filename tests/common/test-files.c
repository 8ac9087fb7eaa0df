// SPDX-License-Identifier: GPL-2.0-only
/* The files the tests make: test-files.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-files.h"
#include "util.h"

int write_file(const char *path, const void *data, size_t size, mode_t mode)
{
	const char *p = data;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return negative_errno();
	while (size > 0) {
		ssize_t n = write(fd, p, size);

		if (n <= 0) {
			r = n < 0 ? negative_errno() : -EIO;
			break;
		}
		p += n;
		size -= (size_t)n;
	}
	if (r == 0 && fchmod(fd, mode) < 0)
		r = negative_errno();
	if (close(fd) < 0 && r == 0)
		r = negative_errno();
	return r;
}

int write_text(const char *path, const char *text, mode_t mode)
{
	return write_file(path, text, strlen(text), mode);
}

char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	size_t len = 0, size = 0;
	char *text = NULL;
	int r = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t n;

		if (size - len < 2) {
			char *bigger = realloc(text, size + 4096);

			if (!bigger) {
				r = -ENOMEM;
				break;
			}
			text = bigger;
			size += 4096;
		}
		n = fread(text + len, 1, size - len - 1, f);
		len += n;
		if (n == 0) {
			if (ferror(f))
				r = negative_errno();
			break;
		}
	}
	fclose(f);
	if (r < 0) {
		free(text);
		errno = -r;
		return NULL;
	}
	text[len] = '\0';
	return text;
}
