/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Logging: to the journal with structured fields when stderr is connected
 * to it (systemd sets JOURNAL_STREAM), otherwise readable lines on stderr;
 * in the initramfs, where no journal runs yet, to the kernel's log, which
 * the journal takes in once it starts.
 */
#pragma once

#include <stdbool.h>
#include <syslog.h>

void log_setup(void);
/* The kernel's log (/dev/kmsg) instead, as "basicdmd[PID]: ..."; stderr if it cannot be opened. */
void log_to_kmsg(void);
void log_set_max_level(int level);
int log_get_max_level(void);

/* Returns -|error| (or 0 when error is 0); "%m" in FMT names the error. */
int log_full(int level, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_error(...) log_full(LOG_ERR, 0, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, 0, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_full(LOG_DEBUG, 0, __VA_ARGS__)
#define log_error_errno(r, ...) log_full(LOG_ERR, (r), __VA_ARGS__)
#define log_warning_errno(r, ...) log_full(LOG_WARNING, (r), __VA_ARGS__)

/*
 * One line per volume event with the fields BASICDM_VOLUME, BASICDM_EVENT,
 * MESSAGE_ID (the event's, log-events.h) and BASICDM_BACKING (omitted when
 * BACKING is NULL).
 */
void log_volume_event(int level, const char *volume, const char *event, const char *backing,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * The end of a reload, with BASICDM_RELOAD=1, BASICDM_RELOAD_RESULT=applied|refused
 * and the MESSAGE_ID of "reload-applied" or "reload-refused".
 */
void log_reload_result(bool applied, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
