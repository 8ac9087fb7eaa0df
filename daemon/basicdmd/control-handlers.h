/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What each basicdmctl request does to the daemon: status from the volumes
 * and the kernel, changes through the manager, and who may ask for which.
 */
#pragma once

#include <json-c/json.h>
#include <sys/socket.h>

#include "control-protocol.h"

/*
 * The reply to REQ from PEER (the caller owns it); NULL when out of memory.
 * USERDATA is the struct manager: a control_handler_fn for manager_new().
 */
struct json_object *control_handle_request(const struct control_request *req,
					   const struct ucred *peer, void *userdata);
