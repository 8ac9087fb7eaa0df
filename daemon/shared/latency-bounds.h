/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The bounds of a volume's latency histogram, as the configuration writes
 * them ("latency_histogram = \"1ms,5ms,20ms\"" or "off") and as the
 * dm-stats region is made with them: upper bounds in nanoseconds,
 * ascending; the kernel adds a last, open bin above the highest.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * libdevmapper reads dm-stats' region list in lines of 255 characters,
 * the bounds written in nanoseconds among them: at most 16 bounds whose
 * nanosecond numbers and commas make LATENCY_BOUNDS_TEXT_MAX characters.
 */
#define LATENCY_BOUNDS_MAX 16
#define LATENCY_BOUNDS_TEXT_MAX 140

struct latency_bounds {
	size_t n;			/* 0: off, the volume gets no dm-stats region */
	uint64_t ns[LATENCY_BOUNDS_MAX];
};

/*
 * What a volume gets when neither it nor the defaults say otherwise
 * (basicdm.conf(5)): no region.  The bench measured a region with these
 * bounds and nanosecond timestamps at 0.79 (random reads) and 0.81
 * (random writes) of dm-linear, against 0.94 and 1.02 for basic_target
 * alone, and one in whole milliseconds at 0.87 and 0.88: both under the
 * 0.95 the project asks of the I/O path (README, "Performance").
 */
#define LATENCY_BOUNDS_DEFAULT "off"

/*
 * What "on" means: from 100 us to 1 s, finer around the milliseconds a
 * disk takes.
 */
#define LATENCY_BOUNDS_ON "100us,250us,500us,1ms,2ms,5ms,10ms,15ms,20ms,25ms,50ms,100ms,500ms,1s"

/*
 * "off", "on" (LATENCY_BOUNDS_ON), or numbers with a unit (ns, us, ms, s)
 * separated by commas, each above the one before, at most
 * LATENCY_BOUNDS_MAX.  -EINVAL with *why saying what is wrong.
 */
int latency_bounds_parse(const char *s, struct latency_bounds *ret, const char **why);

/* Back to the shortest text with units ("1ms,2500us"), or "off"; -ENOBUFS. */
int latency_bounds_format(const struct latency_bounds *b, char *buf, size_t size);

bool latency_bounds_equal(const struct latency_bounds *a, const struct latency_bounds *b);
