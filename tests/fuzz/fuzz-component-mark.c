// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: component_mark_read(), what basicdm-udev-backing reads at a
 * block device's event and basicdmd at its start (component-mark.h).  The
 * input is the marker of device 8:16 in a private runtime directory.
 *
 * What reads is what a marker may say: no NUL byte, less than a marker's
 * size, and nothing but one "BASICDM_VOLUME=<a volume's name>" line and
 * at most one "DISKSEQ=<decimal>" line, in any order, with empty lines
 * between.  Written again with component_mark_write() (for another
 * device), it is the canonical text, which reads back the same.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "component-mark.h"
#include "fuzz-common.h"
#include "parse-util.h"
#include "test-files.h"
#include "util.h"

#define DEV makedev(8, 16)
#define OTHER makedev(8, 32)
/* component-mark.c's MARK_MAX: a file of MARK_SIZE - 1 bytes or more is refused */
#define MARK_SIZE 128

static char dir[4096], marks[4200], path[4300], other[4300];

static void cleanup(void)
{
	unlink(path);
	unlink(other);
	rmdir(marks);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/fuzz-mark-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	FUZZ_ASSERT(mkdtemp(dir));
	snprintf(marks, sizeof(marks), "%s/" COMPONENT_MARK_DIR, dir);
	FUZZ_ASSERT(mkdir(marks, 0755) == 0);
	snprintf(path, sizeof(path), "%s/%u:%u", marks, major(DEV), minor(DEV));
	snprintf(other, sizeof(other), "%s/%u:%u", marks, major(OTHER), minor(OTHER));
	atexit(cleanup);
	return 0;
}

/* Every line of the input is one of the two, each once, and says what was read. */
static void check_lines(const char *text, const char *volume, uint64_t seq)
{
	int names = 0, seqs = 0;

	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		const char *value;
		uint64_t v;
		char *copy;

		if (len > 0) {
			copy = strndup(line, len);
			FUZZ_ASSERT(copy);
			if (startswith(copy, "BASICDM_VOLUME=")) {
				value = copy + strlen("BASICDM_VOLUME=");
				FUZZ_ASSERT(streq(value, volume));
				names++;
			} else {
				FUZZ_ASSERT(startswith(copy, "DISKSEQ="));
				value = copy + strlen("DISKSEQ=");
				FUZZ_ASSERT(parse_uint64(value, &v) == 0 && v == seq);
				seqs++;
			}
			free(copy);
		}
		line += len + (line[len] == '\n');
	}
	FUZZ_ASSERT(names == 1 && seqs <= 1);
	FUZZ_ASSERT(seqs == 1 || seq == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *volume = NULL, *back = NULL, *text, *written, expected[MARK_SIZE];
	uint64_t seq = 0xa5a5, seq2 = 0x5a5a;
	int r;

	FUZZ_ASSERT(write_file(path, data, size, 0644) == 0);
	r = component_mark_read(dir, DEV, &volume, &seq);
	if (r < 0) {
		FUZZ_ASSERT(r == -EINVAL || r == -ENOMEM);
		FUZZ_ASSERT(!volume && seq == 0xa5a5);
		return 0;
	}
	FUZZ_ASSERT(r == 0);
	FUZZ_ASSERT(size < MARK_SIZE - 1 && !memchr(data, '\0', size));
	FUZZ_ASSERT(volume_name_valid(volume));
	text = strndup((const char *)data, size);
	FUZZ_ASSERT(text);
	check_lines(text, volume, seq);
	free(text);

	/* written again, the canonical text, read back the same */
	unlink(other);
	FUZZ_ASSERT(component_mark_write(dir, OTHER, volume, seq) == 1);
	written = read_file(other);
	FUZZ_ASSERT(written);
	if (seq)
		snprintf(expected, sizeof(expected), "BASICDM_VOLUME=%s\nDISKSEQ=%" PRIu64 "\n",
			 volume, seq);
	else
		snprintf(expected, sizeof(expected), "BASICDM_VOLUME=%s\n", volume);
	FUZZ_ASSERT(streq(written, expected));
	free(written);
	FUZZ_ASSERT(component_mark_read(dir, OTHER, &back, &seq2) == 0);
	FUZZ_ASSERT(streq(back, volume) && seq2 == seq);
	/* the same again: nothing to write */
	FUZZ_ASSERT(component_mark_write(dir, OTHER, volume, seq) == 0);

	free(back);
	free(volume);
	return 0;
}
