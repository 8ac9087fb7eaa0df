// SPDX-License-Identifier: GPL-2.0-only
/*
 * basicdm-generator: a systemd generator (systemd.generator(7)) that gives
 * basicdm.service write access to the directories of the configured
 * backing files.  It runs at boot and on every `systemctl daemon-reload`,
 * before any unit starts; it never fails the boot: a configuration it
 * cannot read opens nothing, and basicdmd reports the problems.
 *
 *   basicdm-generator [--config PATH] NORMAL_DIR [EARLY_DIR LATE_DIR]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backing-dirs.h"
#include "sandbox.h"
#include "util.h"

static int write_dropin(const char *out_dir, const struct config *c)
{
	_cleanup_(freep) char *dir = NULL, *path = NULL;
	FILE *f;
	int n;

	if (asprintf(&dir, "%s/" SANDBOX_DROPIN_DIR, out_dir) < 0 ||
	    asprintf(&path, "%s/" SANDBOX_DROPIN_NAME, dir) < 0)
		return -ENOMEM;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return negative_errno();
	f = fopen(path, "we");
	if (!f)
		return negative_errno();
	n = backing_dirs_write(c, f, stderr);
	if (fclose(f) != 0 && n >= 0)
		n = negative_errno();
	if (n < 0)
		(void)unlink(path);
	return n;
}

int main(int argc, char *argv[])
{
	const char *config_path = BASICDM_CONFIG_PATH;
	struct config_errors errors = {};
	struct config *c = NULL;
	int r;

	if (argc > 2 && streq(argv[1], "--config")) {
		config_path = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc != 2 && argc != 4) {
		fprintf(stderr, "Usage: basicdm-generator [--config PATH] NORMAL_DIR [EARLY_DIR LATE_DIR]\n");
		return EXIT_FAILURE;
	}

	r = config_load(config_path, NULL, &c, &errors);
	config_errors_clear(&errors);
	if (r == -ENOENT)
		return EXIT_SUCCESS;	/* not configured: nothing to open */
	if (r < 0) {
		fprintf(stderr, "basicdm-generator: %s cannot be used (basicdmd --check says why); "
				"no backing-file directories opened\n", config_path);
		return EXIT_SUCCESS;
	}
	r = write_dropin(argv[1], c);
	config_free(c);
	if (r < 0) {
		errno = -r;
		fprintf(stderr, "basicdm-generator: cannot write the drop-in in %s: %m\n", argv[1]);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
