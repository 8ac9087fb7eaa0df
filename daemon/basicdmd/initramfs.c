// SPDX-License-Identifier: GPL-2.0-only
/* basicdmd's jobs for the initramfs: initramfs.h. */
#include "initramfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-errors.h"
#include "config-load.h"
#include "config-write.h"
#include "initramfs-copy.h"
#include "log.h"
#include "manager.h"
#include "util.h"

/* V's line of the copy into *LINE; every problem on stderr. */
static int volume_line(const struct volume_config *v, const char *config_path, char **line)
{
	const char *file = v->where.file ? v->where.file : config_path;
	int r;

	if (v->kind == BACKING_FILE) {
		fprintf(stderr, "%s:%d: volume '%s' is backed by the file %s, which the initramfs "
				"cannot reach before the root file system is mounted: a volume that "
				"holds / or /usr must name a device or match a disk\n",
			file, v->where.line, v->name, v->file);
		return -EINVAL;
	}
	r = config_volume_line(v, line);
	if (r == -EINVAL)
		fprintf(stderr, "%s:%d: volume '%s' matches a udev property whose name the "
				"initramfs's copy cannot hold (libconfig's letters, digits, - and _)\n",
			file, v->where.line, v->name);
	else if (r < 0)
		fprintf(stderr, "basicdmd: out of memory\n");
	return r;
}

int initramfs_print_config(const char *config_path, char *const *names, size_t n)
{
	struct config_errors errors = {};
	struct config *c = NULL;
	char **lines;
	int r, failed = 0;

	r = config_load(config_path, NULL, &c, &errors);
	for (size_t i = 0; i < errors.n; i++)
		fprintf(stderr, "%s\n", errors.messages[i]);
	config_errors_clear(&errors);
	if (r < 0)
		return EXIT_FAILURE;
	lines = calloc(n, sizeof(*lines));
	if (!lines) {
		config_free(c);
		fprintf(stderr, "basicdmd: out of memory\n");
		return EXIT_FAILURE;
	}
	/* every problem first; the copy only when there is none */
	for (size_t i = 0; i < n; i++) {
		const struct volume_config *v = config_find(c, names[i]);

		bool twice = false;

		for (size_t j = 0; j < i; j++)
			twice = twice || streq(names[j], names[i]);
		if (!v)
			fprintf(stderr, "basicdmd: %s defines no volume '%s'\n", config_path, names[i]);
		else if (twice)
			/* the copy would define it twice, which its loader refuses at boot */
			fprintf(stderr, "basicdmd: volume '%s' is named twice\n", names[i]);
		if (!v || twice || volume_line(v, config_path, &lines[i]) < 0)
			failed = 1;
	}
	if (!failed) {
		printf("%svolumes = (\n", INITRAMFS_COPY_HEADER);
		for (size_t i = 0; i < n; i++)
			printf("  %s%s\n", lines[i], i + 1 == n ? "" : ",");
		printf(");\n");
		if (fflush(stdout) != 0)
			failed = 1;
	}
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	config_free(c);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* What V waits for, as the administrator wrote it: "a disk that matches ID_SERIAL=X", "the device /dev/...". */
static void print_backing(FILE *f, const struct volume_config *v)
{
	switch (v->kind) {
	case BACKING_MATCH:
		fprintf(f, "a %s that matches", volume_match_devtype(v));
		for (size_t i = 0; i < v->n_match; i++)
			fprintf(f, " %s=%s", v->match[i].key, v->match[i].value);
		break;
	case BACKING_DEVICE:
		fprintf(f, "the device %s", v->device);
		break;
	case BACKING_FILE:
		fprintf(f, "the file %s", v->file);
		break;
	}
}

int initramfs_activate(const char *config_path, unsigned timeout_sec)
{
	struct config_errors errors = {};
	struct manager *m = NULL;
	int r;

	/* no journal yet: the kernel's log, whose console shows what goes wrong */
	log_to_kmsg();
	log_set_max_level(LOG_NOTICE);
	r = manager_new(config_path, NULL, BASICDM_RUNTIME_DIR, NULL, &m);
	if (r < 0) {
		printf("basicdm: cannot set up: %s\n", strerror(-r));
		return EXIT_FAILURE;
	}
	r = manager_start(m, &errors);
	if (r < 0) {
		/* the script's panic shows these lines: the reason, not an errno */
		for (size_t i = 0; i < errors.n; i++)
			printf("basicdm: cannot load the configuration: %s\n", errors.messages[i]);
		if (errors.n == 0)
			printf("basicdm: cannot start on %s: %s\n", config_path, strerror(-r));
		config_errors_clear(&errors);
		manager_free(m);
		return EXIT_FAILURE;
	}
	config_errors_clear(&errors);
	r = manager_run_until_active(m, (uint64_t)timeout_sec * 1000000);
	for (size_t i = 0; i < m->n_volumes; i++) {
		const struct volume *v = m->volumes[i];

		if (v->state == VOLUME_ACTIVE) {
			log_full(LOG_NOTICE, 0, "%s: activated by the initramfs on %s", v->cfg->name,
				 v->backing_desc);
		} else if (v->state == VOLUME_FAILED) {
			printf("basicdm: volume '%s' failed: %s\n", v->cfg->name,
			       v->reason ? v->reason : "unknown reason");
		} else {
			printf("basicdm: volume '%s' waited %u s for ", v->cfg->name, timeout_sec);
			print_backing(stdout, v->cfg);
			if (v->state == VOLUME_ACTIVATING)
				printf(" (mapped, but udev has not made /dev/mapper/%s)", v->cfg->name);
			printf("\n");
		}
	}
	manager_free(m);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
