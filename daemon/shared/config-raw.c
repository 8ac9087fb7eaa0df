// SPDX-License-Identifier: GPL-2.0-only
/* Settings as written: config-raw.h. */

#include <stdlib.h>
#include <string.h>

#include "config-raw.h"

struct raw_setting *raw_setting_append(struct raw_setting *group, const char *key,
				       enum raw_kind kind, const char *file, int line)
{
	struct raw_setting *members, *s;

	members = reallocarray(group->members, group->n_members + 1, sizeof(*members));
	if (!members)
		return NULL;
	group->members = members;

	s = &members[group->n_members];
	*s = (struct raw_setting){ .kind = kind, .where.line = line };
	s->key = key ? strdup(key) : NULL;
	s->where.file = strdup(file);
	if ((key && !s->key) || !s->where.file) {
		free(s->key);
		free(s->where.file);
		return NULL;
	}

	group->n_members++;
	return s;
}

void raw_setting_done(struct raw_setting *s)
{
	for (size_t i = 0; i < s->n_members; i++)
		raw_setting_done(&s->members[i]);
	free(s->members);
	free(s->key);
	free(s->text);
	free(s->where.file);
	*s = (struct raw_setting){};
}
