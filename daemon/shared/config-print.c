// SPDX-License-Identifier: GPL-2.0-only
/* The verdict of a configuration check: config-print.h. */

#include <stdio.h>

#include "config-print.h"

void config_print_check(const char *path, int r, const struct config *c,
			const struct config_errors *errors)
{
	for (size_t i = 0; i < errors->n; i++)
		fprintf(stderr, "%s\n", errors->messages[i]);
	if (r >= 0 && c)
		printf("%s: %zu volume%s, configuration valid\n", path, c->n_volumes,
		       c->n_volumes == 1 ? "" : "s");
}

void config_print_warnings(const struct config_errors *warnings)
{
	for (size_t i = 0; i < warnings->n; i++)
		fprintf(stderr, "warning: %s\n", warnings->messages[i]);
}
