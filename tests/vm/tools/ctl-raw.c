// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctl-raw [--trickle SECONDS] [SOCKET]: a raw client of basicdmd's control
 * socket (default: the daemon's), for the VM scenarios that test its
 * defences (ctl-robustness.sh, ctl-permissions.sh, ctl-trickle.sh); built
 * for the tests only.
 *
 * Copies stdin to the socket verbatim (NULs, no newline, any size) while
 * printing whatever the daemon sends, until the daemon closes.  When stdin
 * ends, or the daemon stops reading, it shuts down its sending side and
 * waits for the reply.  Exit 0 when the daemon closed; 1 when there is no
 * daemon to connect to, or no word from it within 120 s (basicdmctl's
 * reply timeout).
 *
 * With --trickle, stdin goes one byte every SECONDS, the first at once: a
 * client that keeps its connection busy without ever finishing.  When the
 * daemon closes, "ctl-raw: closed after MS ms" on stderr says how long
 * after the connect (from just before it); exit 1 when it has not closed within 120 s, however
 * the bytes went.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control-protocol.h"

/* basicdmctl's: a reload maps and unmaps synchronously. */
#define REPLY_TIMEOUT_MS (120 * 1000)

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	const char *path = BASICDM_RUNTIME_DIR "/" CONTROL_SOCKET_NAME;
	int64_t trickle_ms = 0, connected = 0, next_byte = 0, give_up = 0;
	bool in_open = true;
	char buf[65536];
	int fd;

	if (argc >= 3 && strcmp(argv[1], "--trickle") == 0) {
		char *end;
		unsigned long seconds = strtoul(argv[2], &end, 10);

		if (*end || end == argv[2] || seconds == 0 || seconds > INT_MAX / 1000) {
			fprintf(stderr, "ctl-raw: --trickle takes whole seconds, not '%s'\n", argv[2]);
			return EXIT_FAILURE;
		}
		trickle_ms = (int64_t)seconds * 1000;
		argc -= 2;
		argv += 2;
	}
	if (argc > 2) {
		fputs("Usage: ctl-raw [--trickle SECONDS] [SOCKET] < REQUEST-BYTES\n", stderr);
		return EXIT_FAILURE;
	}
	if (argc == 2)
		path = argv[1];
	/* before the connect: the daemon's accept, and its deadline, are later */
	connected = now_ms();
	fd = connect_to(path);
	if (fd < 0) {
		fprintf(stderr, "ctl-raw: cannot connect to %s: %m\n", path);
		return EXIT_FAILURE;
	}
	if (trickle_ms) {
		next_byte = now_ms();
		give_up = connected + REPLY_TIMEOUT_MS;
	}
	for (;;) {
		int64_t now = now_ms();
		/* trickling: stdin is looked at only when its next byte is due */
		bool due = in_open && (!trickle_ms || now >= next_byte);
		struct pollfd p[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = due ? STDIN_FILENO : -1, .events = POLLIN },
		};
		int timeout = REPLY_TIMEOUT_MS, r;
		ssize_t n;

		if (trickle_ms) {
			if (now >= give_up) {
				fprintf(stderr, "ctl-raw: %s did not close within %d s of a trickle\n",
					path, REPLY_TIMEOUT_MS / 1000);
				return EXIT_FAILURE;
			}
			/* until the next byte is due, or until giving up */
			timeout = (int)((in_open && !due ? next_byte : give_up) - now);
		}
		r = poll(p, 2, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && trickle_ms)
			continue;	/* a byte is due, or it is time to give up */
		if (r <= 0) {
			if (r == 0)
				errno = ETIMEDOUT;
			fprintf(stderr, "ctl-raw: waiting on %s: %m\n", path);
			return EXIT_FAILURE;
		}
		if (p[0].revents) {
			n = recv(fd, buf, sizeof(buf), 0);
			if (n < 0 && errno != ECONNRESET)
				return EXIT_FAILURE;
			if (n <= 0) {
				if (trickle_ms)
					fprintf(stderr, "ctl-raw: closed after %lld ms\n",
						(long long)(now_ms() - connected));
				return EXIT_SUCCESS;
			}
			fwrite(buf, 1, (size_t)n, stdout);
			fflush(stdout);
			continue;
		}
		n = read(STDIN_FILENO, buf, trickle_ms ? 1 : sizeof(buf));
		if (n > 0 && send_all(fd, buf, (size_t)n) >= 0) {
			next_byte = now_ms() + trickle_ms;
			continue;
		}
		/* stdin is done, or the daemon stopped listening: its reply follows */
		in_open = false;
		(void)shutdown(fd, SHUT_WR);
	}
}
