// SPDX-License-Identifier: GPL-2.0-only
/* The journal events and their MESSAGE_IDs: log-events.h. */
#include "log-events.h"

#include "util.h"

const struct log_event_id log_event_ids[] = {
	{ "waiting", "a80a331acc5943e3893e8c1f7808a22a" },
	{ "attached", "5e0a085b5ef34d929760aba490c5989f" },
	{ "adopted", "c69df177bb5c4053a6038f51b155cf30" },
	{ "active", "ecf92cd6d5ad40ca9258ab70fa7f359b" },
	{ "reloaded", "0ae2c83a40fe48b696c5edde35c3cdb8" },
	{ "removed", "48b419fb78354c3e9ff20102a55f9448" },
	{ "failed", "1d3c0487d1a049e68099deb3aefa733b" },
	{ "inactive", "4c63f056e5854672aeee3f147cbd3291" },
	{ "message", "3afc77cb6e3a4c3f96065e0df6b45c3a" },
	/* the events of volumes that follow their backing's size (branch resize) */
	{ "resized", "c74773ee187c4283bcd93fd4e78909c8" },
	{ "shrunk", "cfa084db380b4714b376c5c20cfa9ff6" },
	{ "reload-applied", "d50ebcf0333e436eb72296b2d3f4586d" },
	{ "reload-refused", "03ee388bcc9e48eba9ecc437318a3b7e" },
};

const size_t log_n_event_ids = ELEMENTSOF(log_event_ids);

const char *log_event_message_id(const char *event)
{
	for (size_t i = 0; i < ELEMENTSOF(log_event_ids); i++)
		if (streq(log_event_ids[i].event, event))
			return log_event_ids[i].id;
	return NULL;
}
