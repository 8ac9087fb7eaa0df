/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The journal events of basicdmd and their MESSAGE_IDs: the one list.
 * catalog/basicdm.catalog explains each ID (journalctl -x), and the unit
 * test test-log-events checks the two agree.  An ID never changes meaning.
 */
#pragma once

#include <stddef.h>

struct log_event_id {
	const char *event;	/* BASICDM_EVENT, or "reload-applied" / "reload-refused" */
	const char *id;		/* MESSAGE_ID: 32 lowercase hex digits */
};

extern const struct log_event_id log_event_ids[];
extern const size_t log_n_event_ids;

/* The MESSAGE_ID of EVENT, or NULL for an event not in the list. */
const char *log_event_message_id(const char *event);
