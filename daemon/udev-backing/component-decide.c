// SPDX-License-Identifier: GPL-2.0-only
/* Components, the decision: whether udev marks the device one (component-decide.h). */
#include "component-decide.h"

struct component_answer component_decide(const struct component_facts *f)
{
	const struct volume_config *v;
	const struct config *claims;

	/*
	 * The holder's UUID is "BASICDM-" and whatever its maker put after
	 * it, which becomes BASICDM_VOLUME, a udev property: only a volume's
	 * name is ours, as only a volume's name is in a marker.
	 */
	if (f->held_by && volume_name_valid(f->held_by))
		return (struct component_answer){ COMPONENT_MAPPED, f->held_by };
	/* a marker of another disk that had this number is stale */
	if (f->mark_volume && (!f->mark_diskseq || !f->diskseq || f->mark_diskseq == f->diskseq))
		return (struct component_answer){ COMPONENT_MAPPED, f->mark_volume };

	claims = f->claims(f->userdata);
	v = config_backed_by(claims, f->device);
	if (!v)
		return (struct component_answer){ COMPONENT_NONE, NULL };
	if (!f->was_marked(f->userdata) && f->in_use(f->userdata))
		return (struct component_answer){ COMPONENT_NONE, NULL };
	return (struct component_answer){ COMPONENT_CLAIMED, v->name };
}

const char *component_state_to_string(enum component_state s)
{
	switch (s) {
	case COMPONENT_MAPPED:
		return "mapped";
	case COMPONENT_CLAIMED:
		return "claimed";
	case COMPONENT_NONE:
		break;
	}
	return NULL;
}
