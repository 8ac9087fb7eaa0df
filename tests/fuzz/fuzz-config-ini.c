// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: one INI drop-in, read from memory by config_ini_load_file()
 * (our line reader around inih), then validated as config_load() does.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-ini.h"
#include "config-validate.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct raw_setting root = {};
	struct config_errors errors = {};
	struct config *c = NULL;
	char *buf;
	FILE *f;
	int r;

	if (size == 0)
		return 0;
	/* a copy: fmemopen() wants a writable buffer, libFuzzer's is not */
	buf = malloc(size);
	FUZZ_ASSERT(buf);
	memcpy(buf, data, size);
	f = fmemopen(buf, size, "r");
	FUZZ_ASSERT(f);

	r = config_ini_load_file(f, "fuzz.conf", &root, &errors);
	fclose(f);
	free(buf);
	FUZZ_ASSERT(r == 0 || r == -ENOMEM);

	/*
	 * what inih gave us is a root of volumes, each a group with its name
	 * first, and [defaults] sections, groups of that key
	 */
	for (size_t i = 0; i < root.n_members; i++) {
		const struct raw_setting *v = &root.members[i];

		FUZZ_ASSERT(v->kind == RAW_GROUP);
		if (v->key) {
			FUZZ_ASSERT(strcmp(v->key, "defaults") == 0);
		} else {
			FUZZ_ASSERT(v->n_members > 0);
			FUZZ_ASSERT(strcmp(v->members[0].key, "name") == 0);
		}
		for (size_t j = 0; j < v->n_members; j++)
			FUZZ_ASSERT(v->members[j].key && v->members[j].where.line > 0);
	}

	c = calloc(1, sizeof(*c));
	FUZZ_ASSERT(c);
	if (r == 0) {
		size_t before = errors.n;

		r = config_validate(&root, c, &errors);
		FUZZ_ASSERT(r == 0 || r == -ENOMEM);
		if (r == 0 && errors.n == before)
			fuzz_check_config(c);
	}
	fuzz_check_errors(&errors);

	config_free(c);
	raw_setting_done(&root);
	config_errors_clear(&errors);
	return 0;
}
