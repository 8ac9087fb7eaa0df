// SPDX-License-Identifier: GPL-2.0-only
/*
 * basicdmd: keeps basic_target maps in step with /etc/basicdm.conf as disks
 * come and go.  Runs in the foreground (systemd Type=notify), never forks.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "backing-check.h"
#include "basicdm-config.h"
#include "config-print.h"
#include "control-handlers.h"
#include "initramfs-copy.h"
#include "initramfs.h"
#include "log.h"
#include "manager.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: basicdmd [--config PATH] [--runtime-dir DIR] [--check] [--debug]\n"
		"       basicdmd [--config PATH] --initramfs-config NAME...\n"
		"       basicdmd [--config PATH] --initramfs [--timeout SECONDS]\n"
		"  -c, --config PATH      configuration file (default %s);\n"
		"                         drop-ins are read from PATH.d/*.conf\n"
		"  -r, --runtime-dir DIR  control socket and state kept across restarts\n"
		"                         (default %s)\n"
		"  -C, --check            validate the configuration, print every problem, exit\n"
		"      --initramfs-config print the definitions of volumes NAME... for the\n"
		"                         initramfs (initramfs-tools' hook runs this)\n"
		"      --initramfs        activate every volume of the configuration, then exit\n"
		"                         (the initramfs's boot script runs this)\n"
		"      --timeout SECONDS  how long --initramfs waits for the volumes (default 30)\n"
		"  -d, --debug            log debug messages too\n"
		"  -h, --help             this text\n",
		BASICDM_CONFIG_PATH, BASICDM_RUNTIME_DIR);
}

static int check_config(const char *path)
{
	struct config_errors errors = {};
	struct config *c = NULL;
	int r;

	struct config_errors warnings = {};

	r = backing_check_load(path, &c, &errors);
	config_print_check(path, r, c, &errors);
	if (r >= 0 && initramfs_check(INITRAMFS_IMAGE_GLOB, c, &warnings) < 0)
		fprintf(stderr, "basicdmd: out of memory comparing the initramfs images\n");
	config_print_warnings(&warnings);
	config_errors_clear(&warnings);
	config_errors_clear(&errors);
	config_free(c);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int parse_seconds(const char *s, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < 1 || v > 86400)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "runtime-dir", required_argument, NULL, 'r' },
		{ "check", no_argument, NULL, 'C' },
		{ "debug", no_argument, NULL, 'd' },
		{ "initramfs-config", no_argument, NULL, 'I' },
		{ "initramfs", no_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *config_path = BASICDM_CONFIG_PATH;
	const char *runtime_dir = BASICDM_RUNTIME_DIR;
	struct manager *m = NULL;
	bool check = false, initramfs = false, initramfs_config = false;
	unsigned timeout = 30;
	sigset_t mask;
	int c, r;

	while ((c = getopt_long(argc, argv, "c:r:Cdh", options, NULL)) >= 0)
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'r':
			runtime_dir = optarg;
			break;
		case 'C':
			check = true;
			break;
		case 'd':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'I':
			initramfs_config = true;
			break;
		case 'i':
			initramfs = true;
			break;
		case 't':
			if (parse_seconds(optarg, &timeout) < 0) {
				fprintf(stderr, "basicdmd: --timeout wants whole seconds, 1 to 86400, "
						"not '%s'\n", optarg);
				return EXIT_FAILURE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	if (check + initramfs + initramfs_config > 1) {
		fprintf(stderr, "basicdmd: --check, --initramfs and --initramfs-config are three "
				"jobs: give one\n");
		return EXIT_FAILURE;
	}
	if (initramfs_config) {
		if (optind == argc) {
			fprintf(stderr, "basicdmd: --initramfs-config wants the names of volumes\n");
			return EXIT_FAILURE;
		}
		return initramfs_print_config(config_path, argv + optind, argc - optind);
	}
	if (optind < argc) {
		fprintf(stderr, "basicdmd: unexpected argument '%s'\n", argv[optind]);
		return EXIT_FAILURE;
	}
	if (check)
		return check_config(config_path);
	log_setup();
	/* sd-event takes these through signalfd */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if (initramfs)
		return initramfs_activate(config_path, timeout);

	r = manager_new(config_path, NULL, runtime_dir, control_handle_request, &m);
	if (r < 0) {
		log_error_errno(r, "Cannot set up the event loop: %m");
		return EXIT_FAILURE;
	}
	r = manager_start(m, NULL);
	if (r >= 0)
		r = manager_run(m);
	if (r < 0)
		sd_notifyf(false, "STATUS=Failed: %s\nERRNO=%d", strerror(-r), -r);
	manager_free(m);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
