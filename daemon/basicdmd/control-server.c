// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket's server.  Every descriptor is non-blocking and
 * driven by sd-event: a connection reads until it has a line (or
 * CONTROL_REQUEST_MAX bytes, or EOF), is answered by the handler at once,
 * then writes the reply as the client takes it and is closed.  Clients
 * are any local users, so each one is bounded: in bytes read; in time, by
 * deadlines that trickling cannot push back; and in number, for each user
 * and for all, root having slots of its own.
 */
#include "control-server.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "log.h"
#include "util.h"

#define LISTEN_BACKLOG 64
/* Out of descriptors or memory: how long to stop accepting instead of spinning. */
#define ACCEPT_PAUSE_USEC (1000ULL * 1000)

struct connection {
	struct control *control;
	struct connection *next;
	int fd;
	sd_event_source *io, *timer;
	struct ucred peer;
	char in[CONTROL_REQUEST_MAX];
	size_t in_len;
	char *out;		/* the reply, once there is one */
	size_t out_len, out_done;
	uint64_t reply_deadline;	/* CLOCK_MONOTONIC, once there is a reply */
};

struct control {
	sd_event *event;
	sd_event_source *listener, *resume;
	int fd;
	char *path;
	control_handler_fn handler;
	void *userdata;
	struct connection *connections;
	size_t n_connections;
	struct control_timeouts timeouts;
};

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* USEC in a message: "10 s", or "250 ms" when it is not whole seconds. */
static void format_duration(char *buf, size_t size, uint64_t usec)
{
	if (usec % 1000000 == 0)
		snprintf(buf, size, "%llu s", (unsigned long long)(usec / 1000000));
	else
		snprintf(buf, size, "%llu ms", (unsigned long long)(usec / 1000));
}

/*
 * While the reply goes out: the timer is the next moment the client must
 * have taken more of it, never past the deadline of the whole reply.
 */
static void connection_arm_reply_timer(struct connection *conn)
{
	uint64_t t = now_usec() + conn->control->timeouts.idle_usec;

	if (t > conn->reply_deadline)
		t = conn->reply_deadline;
	(void)sd_event_source_set_time(conn->timer, t);
}

static void connection_free(struct connection *conn)
{
	struct control *c = conn->control;

	for (struct connection **p = &c->connections; *p; p = &(*p)->next)
		if (*p == conn) {
			*p = conn->next;
			c->n_connections--;
			break;
		}
	sd_event_source_disable_unref(conn->io);
	sd_event_source_disable_unref(conn->timer);
	if (conn->fd >= 0)
		close(conn->fd);
	free(conn->out);
	free(conn);
}

/* Best effort, for a socket that is closed right after: no buffering. */
static void send_now(int fd, struct json_object *reply)
{
	_cleanup_(freep) char *text = NULL;
	size_t len;

	if (!reply)
		return;
	text = control_reply_to_string(reply, &len);
	if (text)
		(void)send(fd, text, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Writes what the socket takes; 1 when the reply is out, 0 to wait, <0 errno. */
static int connection_flush(struct connection *conn)
{
	while (conn->out_done < conn->out_len) {
		ssize_t n = send(conn->fd, conn->out + conn->out_done,
				 conn->out_len - conn->out_done, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return negative_errno();
		}
		conn->out_done += (size_t)n;
		connection_arm_reply_timer(conn);
	}
	return 1;
}

/* From reading to writing: REPLY (consumed) is sent, then the connection closes. */
static void connection_reply(struct connection *conn, struct json_object *reply)
{
	int r;

	if (reply)
		conn->out = control_reply_to_string(reply, &conn->out_len);
	json_object_put(reply);
	if (!conn->out) {
		log_warning("Out of memory answering a basicdmctl request, closing it");
		connection_free(conn);
		return;
	}
	/* from now, not from the accept: the handler's own time is not the client's */
	conn->reply_deadline = now_usec() + conn->control->timeouts.reply_usec;
	connection_arm_reply_timer(conn);
	r = connection_flush(conn);
	if (r != 0) {
		if (r < 0)
			log_debug("Control client went away before its reply: %s", strerror(-r));
		connection_free(conn);
		return;
	}
	r = sd_event_source_set_io_events(conn->io, EPOLLOUT);
	if (r < 0)
		connection_free(conn);
}

static void connection_handle_request(struct connection *conn)
{
	struct control_request req;
	const char *why;
	int r;

	r = control_request_parse(conn->in, conn->in_len, &req, &why);
	if (r < 0) {
		log_debug("Refusing a control request from uid %u (pid %d): %s",
			  (unsigned)conn->peer.uid, (int)conn->peer.pid, why);
		connection_reply(conn, control_reply_new_error(control_parse_error(r), "%s", why));
		return;
	}
	connection_reply(conn, conn->control->handler(&req, &conn->peer, conn->control->userdata));
}

static int on_connection_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct connection *conn = userdata;
	bool eof = false;
	ssize_t n;
	int r;

	if (conn->out) {
		r = connection_flush(conn);
		if (r != 0)
			connection_free(conn);
		return 0;
	}

	n = recv(fd, conn->in + conn->in_len, sizeof(conn->in) - conn->in_len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		connection_free(conn);
		return 0;
	}
	if (n == 0) {
		/* a client that leaves without sending anything gets nothing */
		if (conn->in_len == 0) {
			connection_free(conn);
			return 0;
		}
		eof = true;
	}
	/* the request's deadline stays where it is: trickling does not push it back */
	conn->in_len += (size_t)n;
	if (eof || conn->in_len == sizeof(conn->in) || memchr(conn->in, '\n', conn->in_len))
		connection_handle_request(conn);
	return 0;
}

static int on_connection_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct connection *conn = userdata;
	char limit[32];

	if (conn->out) {
		log_debug("Closing a control connection from uid %u (pid %d) that did not take its reply in time (%zu of %zu bytes)",
			  (unsigned)conn->peer.uid, (int)conn->peer.pid, conn->out_done,
			  conn->out_len);
	} else {
		struct json_object *reply;

		format_duration(limit, sizeof(limit), conn->control->timeouts.request_usec);
		log_debug("Closing a control connection from uid %u (pid %d): no request within %s",
			  (unsigned)conn->peer.uid, (int)conn->peer.pid, limit);
		reply = control_reply_new_error(CONTROL_ERROR_TIMEOUT, "no request within %s", limit);
		send_now(conn->fd, reply);
		json_object_put(reply);
	}
	connection_free(conn);
	return 0;
}

static int connection_new(struct control *c, int fd, const struct ucred *peer)
{
	struct connection *conn;
	int r;

	conn = calloc(1, sizeof(*conn));
	if (!conn) {
		close(fd);
		return -ENOMEM;
	}
	conn->control = c;
	conn->fd = fd;
	conn->peer = *peer;
	conn->next = c->connections;
	c->connections = conn;
	c->n_connections++;

	r = sd_event_add_io(c->event, &conn->io, fd, EPOLLIN, on_connection_io, conn);
	if (r < 0)
		goto fail;
	/* the whole request's deadline, counted from the accept */
	r = sd_event_add_time(c->event, &conn->timer, CLOCK_MONOTONIC,
			      now_usec() + c->timeouts.request_usec, 0, on_connection_timeout, conn);
	if (r < 0)
		goto fail;
	(void)sd_event_source_set_description(conn->io, "control-connection");
	return 0;
fail:
	connection_free(conn);
	return r;
}

/*
 * Whether PEER may have one more connection; if not, WHY.  Users other than
 * root share CONTROL_CONNECTIONS_MAX, each with CONTROL_CONNECTIONS_PER_USER
 * at most; root may take those and CONTROL_ROOT_RESERVED more.  Others can
 * never hold more than CONTROL_CONNECTIONS_MAX, so root always finds a slot
 * unless it holds them itself.
 */
static bool admits(const struct control *c, const struct ucred *peer, const char **why)
{
	size_t mine = 0;

	*why = "too many clients at once, try again";
	if (peer->uid == 0)
		return c->n_connections < CONTROL_CONNECTIONS_MAX + CONTROL_ROOT_RESERVED;
	if (c->n_connections >= CONTROL_CONNECTIONS_MAX)
		return false;
	for (const struct connection *conn = c->connections; conn; conn = conn->next)
		if (conn->peer.uid == peer->uid)
			mine++;
	*why = "too many clients of this user at once, try again";
	return mine < CONTROL_CONNECTIONS_PER_USER;
}

static int on_resume(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct control *c = userdata;

	(void)sd_event_source_set_enabled(c->listener, SD_EVENT_ON);
	return 0;
}

/* The pending connection stays readable: accepting again at once would spin. */
static void pause_listener(struct control *c, int error)
{
	int r;

	log_warning_errno(error, "Cannot accept control connections, pausing for a second: %m");
	if (sd_event_source_set_enabled(c->listener, SD_EVENT_OFF) < 0)
		return;
	if (c->resume) {
		r = sd_event_source_set_time_relative(c->resume, ACCEPT_PAUSE_USEC);
		if (r >= 0)
			r = sd_event_source_set_enabled(c->resume, SD_EVENT_ONESHOT);
	} else {
		r = sd_event_add_time_relative(c->event, &c->resume, CLOCK_MONOTONIC,
					       ACCEPT_PAUSE_USEC, 0, on_resume, c);
	}
	if (r < 0)
		(void)sd_event_source_set_enabled(c->listener, SD_EVENT_ON);
}

static int on_listener(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct control *c = userdata;

	for (;;) {
		struct ucred peer;
		socklen_t len = sizeof(peer);
		const char *why;
		int conn_fd, r;

		conn_fd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (conn_fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				pause_listener(c, negative_errno());
			return 0;
		}
		/* the kernel's word on who connected: the basis of every permission and limit */
		if (getsockopt(conn_fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0) {
			log_warning_errno(negative_errno(),
					  "Cannot tell who connected to the control socket, closing it: %m");
			close(conn_fd);
			continue;
		}
		if (!admits(c, &peer, &why)) {
			struct json_object *reply = control_reply_new_error(CONTROL_ERROR_BUSY, "%s", why);

			/* debug only: a flood must not flood the journal too */
			log_debug("Refusing a control connection from uid %u (pid %d): %s",
				  (unsigned)peer.uid, (int)peer.pid, why);
			send_now(conn_fd, reply);
			json_object_put(reply);
			close(conn_fd);
			continue;
		}
		r = connection_new(c, conn_fd, &peer);
		if (r < 0)
			log_warning_errno(r, "Cannot serve a control connection, closing it: %m");
	}
}

/* 0 when nobody answers on ADDR, -EADDRINUSE when a daemon does. */
static int check_stale(const struct sockaddr_un *addr)
{
	_cleanup_(closep) int fd = -1;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return negative_errno();
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 || errno == EAGAIN)
		return -EADDRINUSE;
	return 0;
}

static int listen_on(struct control *c)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_(closep) int fd = -1;
	int r;

	if (strlen(c->path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, c->path);

	r = check_stale(&addr);
	if (r < 0)
		return r;
	if (unlink(c->path) < 0 && errno != ENOENT)
		return negative_errno();

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return negative_errno();
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return negative_errno();
	/* the unit's UMask=0077 made it 0600; status is for every local user */
	if (chmod(c->path, 0666) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		r = negative_errno();
		(void)unlink(c->path);
		return r;
	}
	c->fd = TAKE_FD(fd);
	return 0;
}

int control_new(sd_event *event, const char *path, control_handler_fn handler, void *userdata,
		struct control **ret)
{
	struct control *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->timeouts = (struct control_timeouts){
		.request_usec = CONTROL_REQUEST_USEC,
		.idle_usec = CONTROL_IDLE_USEC,
		.reply_usec = CONTROL_REPLY_USEC,
	};
	c->event = sd_event_ref(event);
	c->handler = handler;
	c->userdata = userdata;
	c->path = strdup(path);
	if (!c->path) {
		r = -ENOMEM;
		goto fail;
	}
	r = listen_on(c);
	if (r < 0) {
		free(c->path);
		c->path = NULL;	/* not ours to remove */
		goto fail;
	}
	r = sd_event_add_io(event, &c->listener, c->fd, EPOLLIN, on_listener, c);
	if (r < 0)
		goto fail;
	(void)sd_event_source_set_description(c->listener, "control-listener");
	*ret = c;
	return 0;
fail:
	control_free(c);
	return r;
}

void control_set_timeouts(struct control *c, const struct control_timeouts *timeouts)
{
	c->timeouts = *timeouts;
}

struct control *control_free(struct control *c)
{
	if (!c)
		return NULL;
	while (c->connections)
		connection_free(c->connections);
	sd_event_source_disable_unref(c->listener);
	sd_event_source_disable_unref(c->resume);
	if (c->fd >= 0)
		close(c->fd);
	/* clients then hear "not running", not a refused connection */
	if (c->path)
		(void)unlink(c->path);
	free(c->path);
	sd_event_unref(c->event);
	free(c);
	return NULL;
}
