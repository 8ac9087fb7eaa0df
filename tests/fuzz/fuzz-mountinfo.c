// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: mountinfo_mount_points(), how basicdmctl finds where a map
 * is mounted when its removal is deferred (basicdmctl-holders.h).  The
 * input's first 8 bytes are the device's major and minor, the rest the
 * mountinfo text, up to a NUL.
 *
 * The mount points it returns are, in order, the fifth field of each line
 * of at least five fields (separated by single spaces) whose third is the
 * device's "MAJ:MIN" exactly and whose fifth is not empty, with the
 * kernel's \NNN escapes decoded: a model of the format, written here
 * field by field, says the same.  No mount point is longer than its field.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "basicdmctl-holders.h"
#include "fuzz-common.h"
#include "util.h"

/* The model: mountinfo(5)'s octal escape, a backslash and three digits, the first 0-3. */
static char *model_unescape(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t o = 0;

	FUZZ_ASSERT(out);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && len - i >= 4 && strchr("0123", s[i + 1]) && s[i + 1] &&
		    strchr("01234567", s[i + 2]) && s[i + 2] && strchr("01234567", s[i + 3]) &&
		    s[i + 3]) {
			out[o++] = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* Checks MOUNTS (N of them) against the model's reading of TEXT for DEVNUM. */
static void check_model(const char *text, const char *devnum, char **mounts, size_t n)
{
	size_t found = 0;

	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n"), k = 0, start[5], flen[5];

		/* the first five fields: each starts after a space */
		for (size_t i = 0, s = 0; i <= len && k < 5; i++) {
			if (i == len || line[i] == ' ') {
				start[k] = s;
				flen[k] = i - s;
				k++;
				s = i + 1;
			}
		}
		if (k == 5 && flen[2] == strlen(devnum) && memcmp(line + start[2], devnum, flen[2]) == 0 &&
		    flen[4] > 0) {
			char *want = model_unescape(line + start[4], flen[4]);

			FUZZ_ASSERT(found < n);
			FUZZ_ASSERT(streq(mounts[found], want));
			FUZZ_ASSERT(strlen(mounts[found]) <= flen[4]);
			free(want);
			found++;
		}
		line += len + (line[len] == '\n');
	}
	FUZZ_ASSERT(found == n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t maj, min;
	char **mounts = (char **)0x1, *text, devnum[24];
	size_t n = 12345;
	dev_t dev;

	if (size < 8)
		return 0;
	memcpy(&maj, data, 4);
	memcpy(&min, data + 4, 4);
	/* glibc's dev_t: 32 bits of each; the kernel's are fewer, a foreign line may say more */
	dev = makedev(maj, min);
	FUZZ_ASSERT(major(dev) == maj && minor(dev) == min);
	snprintf(devnum, sizeof(devnum), "%u:%u", maj, min);
	text = strndup((const char *)data + 8, size - 8);
	FUZZ_ASSERT(text);

	FUZZ_ASSERT(mountinfo_mount_points(text, dev, &mounts, &n) == 0);
	FUZZ_ASSERT(n == 0 || mounts);
	check_model(text, devnum, mounts, n);

	for (size_t i = 0; i < n; i++)
		free(mounts[i]);
	if (n)
		free(mounts);
	free(text);
	return 0;
}
