/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket: a listening AF_UNIX stream socket served from the
 * sd-event loop without ever blocking it.  Each connection carries one
 * request (control-protocol.h) and gets one reply; a connection that is
 * too slow, too big or malformed is answered with an error and closed,
 * and nothing else changes.
 */
#pragma once

#include <json-c/json.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "control-protocol.h"

/* At most this many clients at once; more get "busy". */
#define CONTROL_CONNECTIONS_MAX 32
/* A connection that makes no progress for this long is closed. */
#define CONTROL_IDLE_USEC (10ULL * 1000000)

/*
 * Answers one well-formed request from PEER; returns the reply (ownership
 * passes to the caller), or NULL when out of memory.
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
/* Closes every connection and removes the socket file. */
struct control *control_free(struct control *c);
