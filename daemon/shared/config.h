/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The declarative volume model: /etc/basicdm.conf (libconfig) plus the INI
 * drop-ins /etc/basicdm.conf.d/<name>.conf (inih), merged and validated into one
 * list of volumes.  Syntax and keys: ../shared/DESIGN.md, conf/basicdm.conf.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VOLUME_NAME_MAX 64

enum backing_kind {
	BACKING_FILE,	/* file = "/path": attached to a loop device */
	BACKING_DEVICE, /* device = "/dev/...": a path, usually a udev link */
	BACKING_MATCH,	/* match = { PROP = "value"; ... }: udev properties, all equal */
};

struct match_property {
	char *key;
	char *value;
};

/* Where a definition came from, for "file:line: reason" messages. */
struct source_location {
	char *file;
	int line;
};

struct volume_config {
	char *name;
	enum backing_kind kind;
	char *file;		/* BACKING_FILE */
	uint64_t size_bytes;	/* BACKING_FILE: create sparse if missing; 0 = not given */
	char *device;		/* BACKING_DEVICE */
	struct match_property *match; /* BACKING_MATCH, sorted by key */
	size_t n_match;
	uint64_t offset;	/* 512-byte sectors skipped on the backing device */
	uint64_t sectors;	/* length in sectors; 0 = the rest of the backing device */
	bool read_only;
	bool trace;
	struct source_location where;
};

struct config {
	struct volume_config *volumes;
	size_t n_volumes;
};

/* Every problem found, each one "file:line: reason", in the order found. */
struct config_errors {
	char **messages;
	size_t n;
};

/*
 * Loads PATH and the drop-ins in DROPIN_DIR (NULL: PATH with ".d"
 * appended; a missing directory is fine), validates the whole, and on
 * success stores the model in *ret.  Returns 0, or -EINVAL with every
 * problem in *errors (the caller frees them), or another -errno when a
 * file cannot be read at all (also described in *errors).
 *
 * Like sshd's StrictModes, PATH, the files it @includes, the drop-in
 * directory and every drop-in must be owned by root and writable by
 * neither group nor others: judged with fstat() on the descriptor that is
 * then read.  Otherwise -EPERM, and *errors holds "file: reason; refusing
 * it: fix", e.g. "/etc/basicdm.conf: writable by group (mode 0664);
 * refusing it: chmod g-w /etc/basicdm.conf".
 */
int config_load(const char *path, const char *dropin_dir, struct config **ret,
		struct config_errors *errors);

/*
 * config_load() trusting files of OWNER instead of root: for tests and
 * fuzzers, whose files belong to whoever runs them.  The daemon and
 * basicdmctl always use config_load().
 */
int config_load_owned_by(const char *path, const char *dropin_dir, uid_t owner,
			 struct config **ret, struct config_errors *errors);

/*
 * What `basicdmd --check` and `basicdmctl check` print for the result R of
 * config_load(PATH): every error on stderr, the volume count on stdout.
 */
void config_print_check(const char *path, int r, const struct config *c,
			const struct config_errors *errors);

void config_free(struct config *c);
void config_errors_clear(struct config_errors *e);

const struct volume_config *config_find(const struct config *c, const char *name);

/* True when both name the same backing: file, device path or match set. */
bool volume_same_backing(const struct volume_config *a, const struct volume_config *b);

/* True when the two definitions would produce the same map and backing. */
bool volume_config_equal(const struct volume_config *a, const struct volume_config *b);

/* [A-Za-z0-9._-], 1..VOLUME_NAME_MAX characters, not ".", ".." or "control". */
bool volume_name_valid(const char *name);
