// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctl-raw [SOCKET]: a raw client of basicdmd's control socket (default:
 * the daemon's), for the VM scenarios that test its defences
 * (ctl-robustness.sh, ctl-permissions.sh); built for the tests only.
 *
 * Copies stdin to the socket verbatim (NULs, no newline, any size) while
 * printing whatever the daemon sends, until the daemon closes.  When stdin
 * ends, or the daemon stops reading, it shuts down its sending side and
 * waits for the reply.  Exit 0 when the daemon closed; 1 when there is no
 * daemon to connect to, or no word from it within 120 s (basicdmctl's
 * reply timeout).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control-protocol.h"

/* basicdmctl's: a reload maps and unmaps synchronously. */
#define REPLY_TIMEOUT_MS (120 * 1000)

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
	bool in_open = true;
	char buf[65536];
	int fd;

	if (argc > 2) {
		fputs("Usage: ctl-raw [SOCKET] < REQUEST-BYTES\n", stderr);
		return EXIT_FAILURE;
	}
	if (argc == 2)
		path = argv[1];
	fd = connect_to(path);
	if (fd < 0) {
		fprintf(stderr, "ctl-raw: cannot connect to %s: %m\n", path);
		return EXIT_FAILURE;
	}
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
		};
		int r = poll(p, 2, REPLY_TIMEOUT_MS);
		ssize_t n;

		if (r <= 0) {
			if (r == 0)
				errno = ETIMEDOUT;
			fprintf(stderr, "ctl-raw: waiting on %s: %m\n", path);
			return EXIT_FAILURE;
		}
		if (p[0].revents) {
			n = recv(fd, buf, sizeof(buf), 0);
			if (n <= 0)
				return n < 0 && errno != ECONNRESET ? EXIT_FAILURE : EXIT_SUCCESS;
			fwrite(buf, 1, (size_t)n, stdout);
			fflush(stdout);
			continue;
		}
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n > 0 && send_all(fd, buf, (size_t)n) >= 0)
			continue;
		/* stdin is done, or the daemon stopped listening: its reply follows */
		in_open = false;
		(void)shutdown(fd, SHUT_WR);
	}
}
