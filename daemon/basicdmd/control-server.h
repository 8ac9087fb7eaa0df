/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket's server: a listening AF_UNIX stream socket served
 * from the sd-event loop without ever blocking it.  Each connection carries
 * one request (control-protocol.h), which the handler answers; a
 * connection that is too slow, too big, malformed or one too many is
 * answered with an error and closed, and nothing else changes.  What a
 * request does is the handler's business (control-handlers.h).
 */
#pragma once

#include <json-c/json.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "control-protocol.h"

/*
 * Clients at once: at most CONTROL_CONNECTIONS_MAX for everyone, of which
 * at most CONTROL_CONNECTIONS_PER_USER from any one user other than root,
 * and CONTROL_ROOT_RESERVED more that only root may take, so that other
 * users holding every shared slot never lock root out.  More get "busy".
 */
#define CONTROL_CONNECTIONS_MAX 32
#define CONTROL_CONNECTIONS_PER_USER 8
#define CONTROL_ROOT_RESERVED 4

/*
 * The time a client has.  Its whole request must be in within request_usec
 * of the accept, however it trickles in (what arrives restarts nothing), or
 * it is answered "timeout" and closed.  Once its reply is ready, it must
 * take some of it within every idle_usec, and all of it within reply_usec,
 * or it is closed with its reply cut short.  The daemon's are the
 * CONTROL_*_USEC below.
 */
struct control_timeouts {
	uint64_t request_usec, idle_usec, reply_usec;
};
#define CONTROL_REQUEST_USEC (10ULL * 1000000)
#define CONTROL_IDLE_USEC (10ULL * 1000000)
#define CONTROL_REPLY_USEC (60ULL * 1000000)

/*
 * Answers one well-formed request from PEER (its credentials as the kernel
 * gives them, SO_PEERCRED); returns the reply (ownership passes to the
 * caller), or NULL when out of memory: the connection is then closed.
 */
typedef struct json_object *(*control_handler_fn)(const struct control_request *req,
						  const struct ucred *peer, void *userdata);

struct control;

/*
 * Listens on PATH (mode 0666: read-only commands are for everyone, the
 * handler decides who may change things).  A stale socket file is replaced;
 * one a live daemon answers on is -EADDRINUSE.
 */
int control_new(sd_event *event, const char *path, control_handler_fn handler, void *userdata,
		struct control **ret);
/* For the tests: TIMEOUTS instead of the daemon's from now on (a deadline already set stays). */
void control_set_timeouts(struct control *c, const struct control_timeouts *timeouts);
/* Closes every connection and removes the socket file; returns NULL. */
struct control *control_free(struct control *c);
