// SPDX-License-Identifier: GPL-2.0-only
#include "log.h"
#include "log-events.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

static int max_level = LOG_INFO;
static bool to_journal;
static int kmsg_fd = -1;

/* JOURNAL_STREAM is "dev:ino" of the stream systemd connected stderr to. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_setup(void)
{
	const char *level = getenv("BASICDM_LOG_LEVEL");

	to_journal = stderr_is_journal();
	if (level && !strcmp(level, "debug"))
		max_level = LOG_DEBUG;
}

void log_to_kmsg(void)
{
	kmsg_fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
}

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

static const char *level_prefix(int level)
{
	switch (level) {
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	default:
		return "";
	}
}

/* FIELDS: "KEY=value" strings, journal only; stderr gets the message alone. */
static void emit(int level, const char *const *fields, size_t n_fields, const char *msg)
{
	char message[2100], priority[16];
	struct iovec iov[8];
	size_t n = 0;

	if (kmsg_fd >= 0) {
		/*
		 * One write, one record.  A facility other than the kernel's:
		 * journald takes the identifier from the text.
		 */
		int len = snprintf(message, sizeof(message), "<%d>basicdmd[%d]: %s\n",
				   LOG_DAEMON | level, (int)getpid(), msg);

		if (len > (int)sizeof(message) - 1)
			len = sizeof(message) - 1;
		if (len > 0)
			(void)!write(kmsg_fd, message, len);
		return;
	}
	if (!to_journal) {
		fprintf(stderr, "basicdmd: %s%s\n", level_prefix(level), msg);
		return;
	}
	snprintf(message, sizeof(message), "MESSAGE=%s", msg);
	snprintf(priority, sizeof(priority), "PRIORITY=%d", level);
	iov[n++] = (struct iovec){ message, strlen(message) };
	iov[n++] = (struct iovec){ priority, strlen(priority) };
	for (size_t i = 0; i < n_fields && n < sizeof(iov) / sizeof(iov[0]); i++)
		iov[n++] = (struct iovec){ (void *)fields[i], strlen(fields[i]) };
	sd_journal_sendv(iov, n);
}

int log_full(int level, int error, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (error < 0)
		error = -error;
	if (level > max_level)
		return -error;

	errno = error; /* for %m */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(level, NULL, 0, msg);
	return -error;
}

void log_volume_event(int level, const char *volume, const char *event, const char *backing,
		      const char *fmt, ...)
{
	char msg[2048], f_volume[128], f_event[64], f_id[64], f_backing[PATH_MAX + 64];
	const char *fields[4] = { f_volume, f_event, f_id, f_backing };
	const char *id = log_event_message_id(event);
	int n;
	va_list ap;

	if (level > max_level)
		return;
	n = snprintf(msg, sizeof(msg), "%s: ", volume);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	snprintf(f_volume, sizeof(f_volume), "BASICDM_VOLUME=%s", volume);
	snprintf(f_event, sizeof(f_event), "BASICDM_EVENT=%s", event);
	/* every event has one (log-events.c); an unlisted one goes without */
	snprintf(f_id, sizeof(f_id), "MESSAGE_ID=%s", id ? id : "");
	snprintf(f_backing, sizeof(f_backing), "BASICDM_BACKING=%s", backing ? backing : "");
	if (!id)
		fields[2] = f_backing;
	emit(level, fields, (id ? 3 : 2) + (backing ? 1 : 0), msg);
}

void log_reload_result(bool applied, const char *fmt, ...)
{
	char f_id[64];
	const char *fields[3] = { "BASICDM_RELOAD=1",
				  applied ? "BASICDM_RELOAD_RESULT=applied" : "BASICDM_RELOAD_RESULT=refused",
				  f_id };
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(f_id, sizeof(f_id), "MESSAGE_ID=%s",
		 log_event_message_id(applied ? "reload-applied" : "reload-refused"));
	emit(applied ? LOG_INFO : LOG_ERR, fields, 3, msg);
}
