/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the libFuzzer harnesses: what every loaded model must satisfy
 * whatever the input, checked after each run.  A broken promise aborts,
 * which libFuzzer reports as a crash with the input that caused it.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basicdm-config.h"
#include "config-compare.h"

#define FUZZ_ASSERT(cond)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

/* The most sectors whose byte count still fits in 64 bits (config-validate.c). */
#define FUZZ_SECTORS_MAX (UINT64_MAX >> 9)

static inline void fuzz_check_volume(const struct volume_config *v)
{
	FUZZ_ASSERT(volume_name_valid(v->name));
	FUZZ_ASSERT(v->where.file && v->where.line >= 0);
	FUZZ_ASSERT(v->offset <= FUZZ_SECTORS_MAX && v->sectors <= FUZZ_SECTORS_MAX);
	FUZZ_ASSERT(v->offset + v->sectors <= FUZZ_SECTORS_MAX);
	FUZZ_ASSERT(v->size_bytes % 512 == 0);
	switch (v->kind) {
	case BACKING_FILE:
		FUZZ_ASSERT(v->file && v->file[0] == '/' && !v->device && v->n_match == 0);
		if (v->size_bytes) {
			uint64_t size = v->size_bytes / 512;

			if (v->sectors)
				FUZZ_ASSERT(v->offset + v->sectors <= size);
			else
				FUZZ_ASSERT(v->offset < size);
		}
		break;
	case BACKING_DEVICE:
		FUZZ_ASSERT(v->device && v->device[0] == '/' && !v->file && v->n_match == 0);
		FUZZ_ASSERT(v->size_bytes == 0);
		break;
	case BACKING_MATCH:
		FUZZ_ASSERT(!v->file && !v->device && v->n_match > 0 && v->match);
		FUZZ_ASSERT(v->size_bytes == 0);
		for (size_t i = 0; i < v->n_match; i++) {
			FUZZ_ASSERT(v->match[i].key[0] && v->match[i].value[0]);
			FUZZ_ASSERT(!strpbrk(v->match[i].key, " \t="));
			/* sorted by key, each key once */
			FUZZ_ASSERT(i == 0 || strcmp(v->match[i - 1].key, v->match[i].key) < 0);
		}
		break;
	default:
		FUZZ_ASSERT(!"unknown backing kind");
	}
	FUZZ_ASSERT(volume_config_equal(v, v));
}

static inline uint64_t fuzz_range_end(const struct volume_config *v)
{
	return v->sectors ? v->offset + v->sectors : UINT64_MAX;
}

/* A model config_load() accepted: each volume sound, names unique, no overlaps. */
static inline void fuzz_check_config(const struct config *c)
{
	FUZZ_ASSERT(c);
	for (size_t i = 0; i < c->n_volumes; i++) {
		const struct volume_config *v = &c->volumes[i];

		fuzz_check_volume(v);
		FUZZ_ASSERT(config_find(c, v->name) == v);
		for (size_t j = 0; j < i; j++) {
			const struct volume_config *w = &c->volumes[j];

			FUZZ_ASSERT(strcmp(v->name, w->name) != 0);
			if (volume_same_backing(v, w)) {
				FUZZ_ASSERT(v->offset >= fuzz_range_end(w) ||
					    w->offset >= fuzz_range_end(v));
				if (v->kind == BACKING_FILE && v->size_bytes && w->size_bytes)
					FUZZ_ASSERT(v->size_bytes == w->size_bytes);
			}
		}
	}
}

/* Every message is one line "file:line: reason" or "file: reason". */
static inline void fuzz_check_errors(const struct config_errors *e)
{
	for (size_t i = 0; i < e->n; i++) {
		FUZZ_ASSERT(e->messages[i] && strchr(e->messages[i], ':'));
		FUZZ_ASSERT(!strchr(e->messages[i], '\n'));
	}
}
