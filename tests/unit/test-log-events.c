// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every journal event has a MESSAGE_ID, and catalog/basicdm.catalog
 * explains exactly those: each ID once, with a Subject, none missing, none
 * extra.  (journalctl itself reads the catalog in the VM scenario
 * daemon-stats.)
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "log-events.h"
#include "test-files.h"
#include "util.h"

#define CATALOG UNIT_DATA_DIR "/../../../catalog/basicdm.catalog"
#define DAEMON_SRC UNIT_DATA_DIR "/../../../daemon/basicdmd/"

static bool id_valid(const char *id)
{
	if (strlen(id) != 32)
		return false;
	for (const char *c = id; *c; c++)
		if (!isxdigit((unsigned char)*c) || isupper((unsigned char)*c))
			return false;
	return true;
}

static void test_ids_unique_and_valid(void **state)
{
	for (size_t i = 0; i < log_n_event_ids; i++) {
		assert_true(id_valid(log_event_ids[i].id));
		for (size_t k = 0; k < i; k++) {
			assert_string_not_equal(log_event_ids[i].id, log_event_ids[k].id);
			assert_string_not_equal(log_event_ids[i].event, log_event_ids[k].event);
		}
	}
	assert_string_equal(log_event_message_id("failed"), "1d3c0487d1a049e68099deb3aefa733b");
	assert_null(log_event_message_id("no-such-event"));
}

/* The events the daemon writes (volume.c, manager.c): each has its ID. */
static void test_every_event_has_an_id(void **state)
{
	static const char *const events[] = {
		"waiting", "attached", "adopted", "active", "reloaded", "removed",
		"failed", "inactive", "message", "reload-applied", "reload-refused",
		"resized", "shrunk",
	};

	for (size_t i = 0; i < ELEMENTSOF(events); i++)
		assert_non_null(log_event_message_id(events[i]));
}

/*
 * The events the daemon's sources log: the first string literal of every
 * log_volume_event() call, in the files that make them.  A new event
 * (a merge brings one) fails here until it has its ID and catalog entry.
 */
static void test_sources_log_only_listed_events(void **state)
{
	static const char *const files[] = { "volume.c", "manager.c" };
	size_t calls = 0;

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		char path[512], *text, *p;

		snprintf(path, sizeof(path), "%s%s", DAEMON_SRC, files[i]);
		text = read_file(path);
		assert_non_null(text);
		for (p = strstr(text, "log_volume_event("); p; p = strstr(p, "log_volume_event(")) {
			char event[64];
			char *q = strchr(p, '"'), *end;

			p += strlen("log_volume_event(");
			if (!q || q > strchr(p, ';'))
				continue;	/* the declaration, or a call without a literal */
			end = strchr(q + 1, '"');
			assert_non_null(end);
			assert_true((size_t)(end - q - 1) < sizeof(event));
			snprintf(event, sizeof(event), "%.*s", (int)(end - q - 1), q + 1);
			if (!log_event_message_id(event))
				fail_msg("%s: event \"%s\" has no MESSAGE_ID (log-events.c)", files[i], event);
			calls++;
		}
		free(text);
	}
	assert_true(calls >= 13);	/* the scan saw the calls */
}

static void test_catalog_matches(void **state)
{
	FILE *f = fopen(CATALOG, "re");
	char line[512], entry[33] = "";
	size_t seen[64] = {}, n_entries = 0;
	bool subject = true;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (startswith(line, "-- ")) {
			bool known = false;

			assert_true(subject);	/* the entry before had its Subject */
			assert_true(id_valid(line + 3));
			snprintf(entry, sizeof(entry), "%s", line + 3);
			for (size_t i = 0; i < log_n_event_ids; i++)
				if (streq(log_event_ids[i].id, entry)) {
					seen[i]++;
					known = true;
				}
			if (!known)
				fail_msg("catalog entry %s is no event's", entry);
			subject = false;
			n_entries++;
		} else if (startswith(line, "Subject: ")) {
			subject = true;
		}
	}
	fclose(f);
	assert_true(subject);
	assert_int_equal(n_entries, log_n_event_ids);
	for (size_t i = 0; i < log_n_event_ids; i++)
		if (seen[i] != 1)
			fail_msg("event %s: %zu catalog entries", log_event_ids[i].event, seen[i]);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_unique_and_valid),
		cmocka_unit_test(test_every_event_has_an_id),
		cmocka_unit_test(test_sources_log_only_listed_events),
		cmocka_unit_test(test_catalog_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
