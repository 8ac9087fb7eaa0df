// SPDX-License-Identifier: GPL-2.0-only
/* Replacing a file in one step: atomic-file.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic-file.h"
#include "util.h"

int atomic_file_write(const char *path, mode_t mode, bool durable, atomic_file_fill_t fill,
		      void *userdata)
{
	_cleanup_(freep) char *tmp = NULL;
	FILE *f;
	int fd, r;

	/* PATH.XXXXXX: never a name a reader takes for the file itself (a
	 * collector that wants *.prom, a lister that wants MAJ:MIN) */
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	f = fdopen(fd, "w");
	if (!f) {
		r = negative_errno();
		close(fd);
		(void)unlink(tmp);
		return r;
	}
	r = fill(f, userdata);
	if (r == 0 && fchmod(fd, mode) < 0)
		r = negative_errno();
	if (r == 0 && (fflush(f) != 0 || ferror(f)))
		r = negative_errno();
	if (r == 0 && durable && fsync(fd) < 0)
		r = negative_errno();
	if (fclose(f) != 0 && r == 0)
		r = negative_errno();
	if (r == 0 && rename(tmp, path) < 0)
		r = negative_errno();
	if (r < 0)
		(void)unlink(tmp);
	return r;
}
