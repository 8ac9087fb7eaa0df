/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Waiting until a change basicdmd accepted is visible, as a user would
 * check it: the daemon's status of the volume (its state, and the kernel's
 * view of its map) and the nodes /dev/mapper/NAME and /dev/basicdm/NAME,
 * looked at every 100 ms until the change shows or --timeout passes.
 *
 * The decision "is this what we wait for" is wait_verdict(), on what one
 * look saw; the rest is the looking.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum wait_goal {
	WAIT_ACTIVE,	/* activate: active, both nodes lead to its map */
	WAIT_GONE,	/* deactivate, a reload's removal: no map and no node, or removal deferred */
	WAIT_SETTLED,	/* a reload's addition or change: not activating; if active, as WAIT_ACTIVE */
};

enum wait_verdict {
	WAIT_PENDING,	/* not yet */
	WAIT_DONE,
	WAIT_DEFERRED,	/* WAIT_GONE: the map is open and goes at its last close */
	WAIT_FAILED,	/* it will not happen without the administrator */
};

/* What is at a node's path. */
struct node_view {
	bool present;	/* lstat() finds something, a dangling link too */
	dev_t rdev;	/* the block device it leads to (stat()), 0 if none */
};

/* One volume, as one look saw it. */
struct volume_view {
	const char *name;
	struct json_object *status;	/* its object in a status reply; NULL: not configured */
	bool removal_deferred;		/* not configured, and the reload left its map open */
	struct node_view mapper, link;	/* /dev/mapper/NAME, /dev/basicdm/NAME */
};

enum wait_verdict wait_verdict(enum wait_goal goal, const struct volume_view *v);

/*
 * For a verdict other than WAIT_DONE and WAIT_DEFERRED: what has not
 * happened, or why it will not, and what to do; one line that follows
 * "NAME: not active within 5 s: ".
 */
void wait_explain(enum wait_goal goal, const struct volume_view *v, char *buf, size_t size);

/* --timeout, in seconds: how long a wait may take; infinite: no limit. */
extern double arg_timeout;

/*
 * The waits of activate NAME, deactivate NAME and reload, once the daemon
 * accepted the request with REPLY: each prints the outcome (as JSON with
 * --json) and returns the exit code, as basicdmctl(8) documents them.
 */
int wait_activate(const char *name, struct json_object *reply);
int wait_deactivate(const char *name, struct json_object *reply);
int wait_reload(struct json_object *reply);
