/* SPDX-License-Identifier: GPL-2.0-only */
/* basicdmctl's parts: the command line and the daemon (basicdmctl.c), status output. */
#pragma once

#include <json-c/json.h>

/* Exit codes, documented in basicdmctl(8): scripts rely on them. */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* the command was tried and failed, or check found problems */
	EXIT_USAGE = 2,		/* wrong command line */
	EXIT_UNREACHABLE = 3,	/* no daemon on the socket, or no answer from it */
	EXIT_DENIED = 4,	/* a change asked by a user other than root */
	EXIT_NO_VOLUME = 5,	/* no volume of that name is configured */
};

/* The "volumes" array of a status reply as a table, one volume a line. */
void status_print_table(struct json_object *volumes);
/* One volume of a status reply, every field on its own line. */
void status_print_details(struct json_object *volume);
