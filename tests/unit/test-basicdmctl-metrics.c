// SPDX-License-Identifier: GPL-2.0-only
/*
 * basicdmctl metrics: a status and a stats reply, as the daemon sends
 * them, into the Prometheus text format: names, HELP and TYPE before each
 * family's series, counters as counters, the latency histogram cumulative
 * with +Inf, _sum and _count; and the textfile written whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "basicdmctl.h"
#include "scratch-dir.h"
#include "util.h"

static const char status_json[] =
	"[{\"name\":\"slow\",\"state\":\"active\",\"counters\":{\"reads\":12,\"read_sectors\":96,"
	"\"writes\":3,\"write_sectors\":24,\"flushes\":1,\"discards\":0,\"discard_sectors\":0,"
	"\"write_zeroes\":0,\"write_zeroes_sectors\":0,\"secure_erases\":0}},"
	"{\"name\":\"gone\",\"state\":\"waiting\",\"counters\":null}]";
static const char stats_json[] =
	"[{\"name\":\"slow\",\"stats\":{\"read_ios\":12,\"write_ios\":3,\"read_bytes\":49152,"
	"\"write_bytes\":12288,\"read_latency_sum_ns\":240000000,\"write_latency_sum_ns\":60000000,"
	"\"histogram\":[{\"le_ms\":1.0,\"ios\":0},{\"le_ms\":25.0,\"ios\":14},{\"le_ms\":null,\"ios\":1}]},"
	"\"stats_missing\":null},"
	"{\"name\":\"gone\",\"stats\":null,\"stats_missing\":\"no map\"}]";

static char *render(void)
{
	struct json_object *status = json_tokener_parse(status_json);
	struct json_object *stats = json_tokener_parse(stats_json);
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_non_null(status);
	assert_non_null(stats);
	assert_non_null(f);
	metrics_print(f, status, stats);
	fclose(f);
	json_object_put(status);
	json_object_put(stats);
	return text;
}

static void assert_line(const char *text, const char *line)
{
	_cleanup_(freep) char *needle = NULL;

	assert_true(asprintf(&needle, "\n%s\n", line) > 0);
	if (!strstr(text, needle))
		fail_msg("missing line: %s\n%s", line, text);
}

static void test_series(void **state)
{
	_cleanup_(freep) char *text = render();

	assert_line(text, "basicdm_up 1");
	assert_line(text, "# TYPE basicdm_volume_state gauge");
	assert_line(text, "basicdm_volume_state{volume=\"slow\",state=\"active\"} 1");
	assert_line(text, "basicdm_volume_state{volume=\"gone\",state=\"waiting\"} 1");
	assert_line(text, "# TYPE basicdm_target_reads_total counter");
	assert_line(text, "basicdm_target_reads_total{volume=\"slow\"} 12");
	assert_line(text, "basicdm_target_read_bytes_total{volume=\"slow\"} 49152");
	assert_line(text, "basicdm_target_flushes_total{volume=\"slow\"} 1");
	assert_null(strstr(text, "basicdm_target_reads_total{volume=\"gone\"}"));
	assert_line(text, "# TYPE basicdm_io_write_time_seconds_total counter");
	assert_line(text, "basicdm_io_write_time_seconds_total{volume=\"slow\"} 0.06");
	assert_line(text, "# TYPE basicdm_io_latency_seconds histogram");
	assert_line(text, "basicdm_io_latency_seconds_bucket{volume=\"slow\",le=\"0.001\"} 0");
	assert_line(text, "basicdm_io_latency_seconds_bucket{volume=\"slow\",le=\"0.025\"} 14");
	assert_line(text, "basicdm_io_latency_seconds_bucket{volume=\"slow\",le=\"+Inf\"} 15");
	assert_line(text, "basicdm_io_latency_seconds_sum{volume=\"slow\"} 0.3");
	assert_line(text, "basicdm_io_latency_seconds_count{volume=\"slow\"} 15");
	assert_null(strstr(text, "volume=\"gone\",le="));
}

/* Every series follows its family's HELP and TYPE; every name begins with basicdm_. */
static void test_format(void **state)
{
	_cleanup_(freep) char *text = render();
	char family[128] = "";
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];

		if (startswith(line, "# HELP ")) {
			sscanf(line, "# HELP %127s", family);
			continue;
		}
		if (startswith(line, "# TYPE ")) {
			sscanf(line, "# TYPE %127s", name);
			assert_string_equal(name, family);
			continue;
		}
		assert_true(startswith(line, "basicdm_"));
		sscanf(line, "%127[^{ ]", name);
		assert_true(startswith(name, family));
	}
}

static void test_file_is_replaced_whole(void **state)
{
	char dir[] = "/tmp/test-metrics-XXXXXX", path[64], line[64];
	struct json_object *status = json_tokener_parse(status_json);
	struct json_object *stats = json_tokener_parse(stats_json);
	struct stat st;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/basicdm.prom", dir);
	assert_int_equal(metrics_write_file(path, status, stats), 0);
	assert_int_equal(metrics_write_file(path, NULL, NULL), 0);	/* the daemon is down */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	f = fopen(path, "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!startswith(line, "#"))
			assert_string_equal(line, "basicdm_up 0\n");
	fclose(f);
	/* no temporary file left behind */
	assert_int_equal(dir_entries(dir), 1);
	unlink(path);
	rmdir(dir);
	/* a directory that is not there: an error, nothing written */
	assert_int_equal(metrics_write_file("/nonexistent/basicdm.prom", status, stats), -ENOENT);
	json_object_put(status);
	json_object_put(stats);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_series),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_file_is_replaced_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
