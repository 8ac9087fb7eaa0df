// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket's server, in one process: clients are non-blocking
 * sockets, the server runs one sd-event iteration at a time, so a test can
 * stop reading, hold connections open or flood, and check that the server
 * neither blocks nor changes anything it should not.  Who connected is the
 * kernel's word, faked here (getsockopt wrapped) to play other users.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "control-server.h"
#include "test-files.h"

#define BIG_REPLY (1024 * 1024)
#define BUSY "{\"ok\":false,\"error\":\"busy\",\"message\":\"too many clients at once, try again\"}\n"
#define USER_BUSY                                                                          \
	"{\"ok\":false,\"error\":\"busy\",\"message\":\"too many clients of this user at " \
	"once, try again\"}\n"

static char dir[64], path[128];
static sd_event *event;
static struct control *control;
static int handled;
static struct control_request last;
static struct ucred last_peer;
static bool big;
/* When not -1, the uid SO_PEERCRED tells the server of the connections it accepts. */
static uid_t fake_uid = (uid_t)-1;

int __real_getsockopt(int fd, int level, int name, void *value, socklen_t *len);

int __wrap_getsockopt(int fd, int level, int name, void *value, socklen_t *len)
{
	int r = __real_getsockopt(fd, level, name, value, len);

	if (r == 0 && level == SOL_SOCKET && name == SO_PEERCRED && fake_uid != (uid_t)-1)
		((struct ucred *)value)->uid = fake_uid;
	return r;
}

static struct json_object *handler(const struct control_request *req, const struct ucred *peer,
				   void *userdata)
{
	struct json_object *reply = control_reply_new();

	handled++;
	last = *req;
	last_peer = *peer;
	if (big) {
		char *s = malloc(BIG_REPLY);

		memset(s, 'x', BIG_REPLY - 1);
		s[BIG_REPLY - 1] = '\0';
		json_add(reply, "big", json_object_new_string(s));
		free(s);
	}
	return reply;
}

/* Runs the server until it has nothing more to do right now. */
static void pump(void)
{
	while (sd_event_run(event, 0) > 0)
		;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Runs the server for USEC, timers included. */
static void run_for(uint64_t usec)
{
	uint64_t end = now_usec() + usec, t;

	while ((t = now_usec()) < end)
		assert_true(sd_event_run(event, end - t) >= 0);
}

/* Short deadlines, in microseconds, for the connections accepted from now on. */
static void set_timeouts(uint64_t request, uint64_t idle, uint64_t reply)
{
	struct control_timeouts t = { .request_usec = request, .idle_usec = idle, .reply_usec = reply };

	control_set_timeouts(control, &t);
}

static int client(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(addr.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	return fd;
}

/* A client of user UID, accepted (or refused) by the time it is returned. */
static int client_as(uid_t uid)
{
	int fd;

	fake_uid = uid;
	fd = client();
	pump();
	fake_uid = (uid_t)-1;
	return fd;
}

/* FD's connection is open and waits for its request: nothing came back. */
static void assert_held(int fd)
{
	char c;

	pump();
	assert_int_equal(recv(fd, &c, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

/* Other users in every shared slot: CONTROL_CONNECTIONS_PER_USER each, from uid 1000 on. */
static void fill_shared_slots(int held[CONTROL_CONNECTIONS_MAX])
{
	for (int i = 0; i < CONTROL_CONNECTIONS_MAX; i++)
		held[i] = client_as(1000 + i / CONTROL_CONNECTIONS_PER_USER);
	for (int i = 0; i < CONTROL_CONNECTIONS_MAX; i++)
		assert_held(held[i]);
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
	pump();
}

static void send_bytes(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Everything the server sends until it closes; malloc'ed, NUL-terminated. */
static char *reply_of(int fd, size_t *ret_len)
{
	size_t len = 0, size = BIG_REPLY * 2;
	char *buf = malloc(size);

	assert_non_null(buf);
	for (int idle = 0; idle < 1000;) {
		ssize_t n;

		pump();
		n = recv(fd, buf + len, size - len - 1, 0);
		if (n == 0)
			break;
		if (n < 0) {
			assert_true(errno == EAGAIN || errno == ECONNRESET);
			if (errno == ECONNRESET)
				break;
			idle++;
			continue;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	close(fd);
	return buf;
}

static void assert_reply(int fd, const char *expected)
{
	char *text = reply_of(fd, NULL);

	assert_string_equal(text, expected);
	free(text);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test-control-server.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/control", dir);
	assert_int_equal(sd_event_new(&event), 0);
	assert_int_equal(control_new(event, path, handler, NULL, &control), 0);
	handled = 0;
	big = false;
	fake_uid = (uid_t)-1;
	return 0;
}

static int teardown(void **state)
{
	control = control_free(control);
	/* the socket file goes with the server */
	assert_int_equal(access(path, F_OK), -1);
	event = sd_event_unref(event);
	rmdir(dir);
	return 0;
}

static void test_a_request_and_its_reply(void **state)
{
	struct stat st;
	int fd;

	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0666);

	fd = client();
	send_bytes(fd, "trace data on\n", 14);
	assert_reply(fd, "{\"ok\":true}\n");
	assert_int_equal(handled, 1);
	assert_int_equal(last.command, CONTROL_TRACE);
	assert_string_equal(last.name, "data");
	assert_true(last.on);
	/* the kernel's word on who asked */
	assert_int_equal(last_peer.uid, getuid());
	assert_int_equal(last_peer.pid, getpid());
}

static void test_request_in_pieces_and_at_eof(void **state)
{
	int fd = client();

	send_bytes(fd, "sta", 3);
	pump();
	assert_int_equal(handled, 0);
	send_bytes(fd, "tus da", 6);
	pump();
	send_bytes(fd, "ta", 2);
	/* no newline: the end of the client's side ends the request */
	shutdown(fd, SHUT_WR);
	assert_reply(fd, "{\"ok\":true}\n");
	assert_int_equal(handled, 1);
	assert_string_equal(last.name, "data");
}

static void test_malformed_and_oversized(void **state)
{
	char *big_request = malloc(3 * CONTROL_REQUEST_MAX);
	int fd;

	fd = client();
	send_bytes(fd, "stat\0us\n", 8);
	assert_reply(fd, "{\"ok\":false,\"error\":\"bad-request\",\"message\":\"NUL byte in the request\"}\n");

	fd = client();
	send_bytes(fd, "frobnicate\n", 11);
	assert_reply(fd, "{\"ok\":false,\"error\":\"unknown-command\",\"message\":\"unknown command\"}\n");

	memset(big_request, 'x', 3 * CONTROL_REQUEST_MAX);
	fd = client();
	send_bytes(fd, big_request, 3 * CONTROL_REQUEST_MAX);
	assert_reply(fd, "{\"ok\":false,\"error\":\"too-large\",\"message\":\"request longer than 4096 bytes\"}\n");
	free(big_request);

	/* a client that leaves without a word gets nothing, and nothing breaks */
	fd = client();
	shutdown(fd, SHUT_WR);
	assert_reply(fd, "");
	fd = client();
	close(fd);
	pump();

	assert_int_equal(handled, 0);
	fd = client();
	send_bytes(fd, "status\n", 7);
	assert_reply(fd, "{\"ok\":true}\n");
	assert_int_equal(handled, 1);
}

static void test_too_many_clients(void **state)
{
	int held[CONTROL_CONNECTIONS_MAX], fd;

	fill_shared_slots(held);
	/* a user with none yet: the shared slots are full all the same */
	fd = client_as(2000);
	assert_reply(fd, BUSY);
	/* the ones held are still served */
	send_bytes(held[0], "status\n", 7);
	assert_reply(held[0], "{\"ok\":true}\n");
	/* and their slot is free again */
	fd = client_as(2000);
	send_bytes(fd, "reload\n", 7);
	assert_reply(fd, "{\"ok\":true}\n");
	assert_int_equal(last_peer.uid, 2000);
	close_all(held + 1, CONTROL_CONNECTIONS_MAX - 1);
}

static void test_one_user_takes_a_share(void **state)
{
	int held[CONTROL_CONNECTIONS_PER_USER], fd;

	for (int i = 0; i < CONTROL_CONNECTIONS_PER_USER; i++)
		held[i] = client_as(1000);
	for (int i = 0; i < CONTROL_CONNECTIONS_PER_USER; i++)
		assert_held(held[i]);
	/* one more of the same user: refused, though there is room */
	fd = client_as(1000);
	assert_reply(fd, USER_BUSY);
	/* another user is served meanwhile */
	fd = client_as(1001);
	send_bytes(fd, "status\n", 7);
	assert_reply(fd, "{\"ok\":true}\n");
	assert_int_equal(last_peer.uid, 1001);
	/* the user's own held ones are served, and one gone leaves room for one */
	send_bytes(held[0], "status\n", 7);
	assert_reply(held[0], "{\"ok\":true}\n");
	fd = client_as(1000);
	assert_held(fd);
	held[0] = fd;
	fd = client_as(1000);
	assert_reply(fd, USER_BUSY);
	assert_int_equal(handled, 2);
	close_all(held, CONTROL_CONNECTIONS_PER_USER);
}

static void test_root_gets_through_a_crowd(void **state)
{
	int held[CONTROL_CONNECTIONS_MAX], mine[CONTROL_ROOT_RESERVED], fd;

	fill_shared_slots(held);
	assert_reply(client_as(2000), BUSY);
	/* root, while others hold every shared slot */
	fd = client_as(0);
	send_bytes(fd, "reload\n", 7);
	assert_reply(fd, "{\"ok\":true}\n");
	assert_int_equal(last_peer.uid, 0);
	/* its slots are its own: as many at once as are kept for it */
	for (int i = 0; i < CONTROL_ROOT_RESERVED; i++)
		mine[i] = client_as(0);
	for (int i = 0; i < CONTROL_ROOT_RESERVED; i++)
		assert_held(mine[i]);
	assert_reply(client_as(0), BUSY);
	/* what root leaves is not for the others: they still have every shared slot */
	close_all(mine, CONTROL_ROOT_RESERVED);
	assert_reply(client_as(2000), BUSY);
	send_bytes(held[0], "status\n", 7);
	assert_reply(held[0], "{\"ok\":true}\n");
	assert_int_equal(handled, 2);
	close_all(held + 1, CONTROL_CONNECTIONS_MAX - 1);
}

static void test_root_past_its_own_crowd(void **state)
{
	enum { N = CONTROL_CONNECTIONS_MAX + CONTROL_ROOT_RESERVED };
	int held[N], fd;

	/* root is not limited as a user: it may take every shared slot, then its own */
	for (int i = 0; i < CONTROL_CONNECTIONS_MAX; i++)
		held[i] = client_as(0);
	assert_reply(client_as(1000), BUSY);
	for (int i = CONTROL_CONNECTIONS_MAX; i < N; i++)
		held[i] = client_as(0);
	for (int i = 0; i < N; i++)
		assert_held(held[i]);
	fd = client_as(0);
	assert_reply(fd, BUSY);
	assert_int_equal(handled, 0);
	close_all(held, N);
}

static void test_a_slow_reader_blocks_nobody(void **state)
{
	int slow = client(), fd;
	size_t len;
	char *text;

	big = true;
	send_bytes(slow, "status\n", 7);
	/* the reply is far bigger than the socket buffers and nobody reads it */
	pump();
	assert_int_equal(handled, 1);

	big = false;
	fd = client();
	send_bytes(fd, "status x\n", 9);
	assert_reply(fd, "{\"ok\":true}\n");
	assert_int_equal(handled, 2);

	text = reply_of(slow, &len);
	assert_true(len > BIG_REPLY);
	assert_true(strncmp(text, "{\"ok\":true,\"big\":\"xxx", 21) == 0);
	assert_string_equal(text + len - 3, "\"}\n");
	free(text);
}

static void test_a_trickle_is_cut_at_the_deadline(void **state)
{
	uint64_t start, took;
	int fd, sent = 0;
	char c;

	set_timeouts(300 * 1000, CONTROL_IDLE_USEC, CONTROL_REPLY_USEC);
	start = now_usec();
	fd = client();
	/* a byte every 50 ms: each would have restarted a timer of idleness */
	for (; sent < 60; sent++) {
		if (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) >= 0)
			break;	/* answered, or closed */
		assert_int_equal(errno, EAGAIN);
		send_bytes(fd, "x", 1);
		run_for(50 * 1000);
	}
	took = now_usec() - start;
	/* cut off while still sending, at the deadline counted from the accept */
	assert_true(sent < 60);
	assert_true(took >= 300 * 1000);
	assert_true(took < 2000 * 1000);
	assert_reply(fd, "{\"ok\":false,\"error\":\"timeout\",\"message\":\"no request within 300 ms\"}\n");
	assert_int_equal(handled, 0);

	/* a whole request within the deadline, in pieces, is served */
	fd = client();
	send_bytes(fd, "stat", 4);
	run_for(100 * 1000);
	send_bytes(fd, "us\n", 3);
	assert_reply(fd, "{\"ok\":true}\n");
	assert_int_equal(handled, 1);
}

/* Takes the reply on FD, CHUNK bytes every EVERY usec, to the end; its length. */
static size_t read_slowly(int fd, size_t chunk, uint64_t every, uint64_t *ret_took)
{
	uint64_t start = now_usec();
	char *buf = malloc(chunk);
	size_t len = 0;

	assert_non_null(buf);
	for (;;) {
		ssize_t n;

		run_for(every);
		n = recv(fd, buf, chunk, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
		if (n < 0) {
			assert_int_equal(errno, EAGAIN);
			continue;
		}
		len += (size_t)n;
		/* never more than a few seconds: the whole reply would take far longer */
		assert_true(now_usec() - start < 8000 * 1000);
	}
	*ret_took = now_usec() - start;
	free(buf);
	close(fd);
	return len;
}

static void test_a_slow_reader_is_cut_at_the_reply_deadline(void **state)
{
	uint64_t took;
	size_t len;
	int fd;

	big = true;
	/*
	 * 16 KiB every 30 ms: 2 s for all of it, the server making progress
	 * well within every 500 ms of idleness allowed (some 350 ms at worst,
	 * as the socket buffer drains).
	 */
	set_timeouts(CONTROL_REQUEST_USEC, 500 * 1000, 600 * 1000);
	fd = client();
	send_bytes(fd, "status\n", 7);
	pump();
	assert_int_equal(handled, 1);
	len = read_slowly(fd, 16384, 30 * 1000, &took);
	/* the whole reply's deadline stopped it short, progress or not */
	assert_true(len > 0);
	assert_true(len < BIG_REPLY);
	assert_true(took < 4000 * 1000);

	/* one who stops taking it at all is cut at the first idle timeout */
	set_timeouts(CONTROL_REQUEST_USEC, 200 * 1000, CONTROL_REPLY_USEC);
	fd = client();
	send_bytes(fd, "status\n", 7);
	run_for(1000 * 1000);
	len = read_slowly(fd, BIG_REPLY, 0, &took);
	assert_true(len > 0);
	assert_true(len < BIG_REPLY);
	assert_int_equal(handled, 2);
}

static void test_stale_and_live_sockets(void **state)
{
	struct control *second = NULL;
	int fd;

	/* a live server owns the path */
	assert_int_equal(control_new(event, path, handler, NULL, &second), -EADDRINUSE);
	fd = client();
	send_bytes(fd, "status\n", 7);
	assert_reply(fd, "{\"ok\":true}\n");

	/* a stale file (a crashed daemon's) is replaced */
	control = control_free(control);
	assert_int_equal(write_text(path, "", 0600), 0);
	assert_int_equal(control_new(event, path, handler, NULL, &control), 0);
	fd = client();
	send_bytes(fd, "status\n", 7);
	assert_reply(fd, "{\"ok\":true}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_request_and_its_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_in_pieces_and_at_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_and_oversized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_user_takes_a_share, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_gets_through_a_crowd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_past_its_own_crowd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_slow_reader_blocks_nobody, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_trickle_is_cut_at_the_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_slow_reader_is_cut_at_the_reply_deadline, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stale_and_live_sockets, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
