/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What each basicdmctl request does to the daemon: status from the volumes
 * and the kernel, changes through the manager, and who may ask for which.
 */
#pragma once

#include <json-c/json.h>
#include <sys/socket.h>

#include "control-protocol.h"

struct manager;

/* The reply to REQ from PEER (the caller owns it); NULL when out of memory. */
struct json_object *control_commands_handle(struct manager *m, const struct control_request *req,
					    const struct ucred *peer);
