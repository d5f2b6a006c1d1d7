// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Names of the drop reasons, so that applications and tests can print and
 * look them up.
 */
#include <stddef.h>

#include "bypass_counters.h"

static const char *const drop_names[BYPASS_DROP_NR] = {
#define BYPASS_DROP_NAME(name, str) [BYPASS_DROP_##name] = str,
	BYPASS_DROP_REASONS(BYPASS_DROP_NAME)
#undef BYPASS_DROP_NAME
};

const char *bypass_drop_name(unsigned int reason)
{
	return reason < BYPASS_DROP_NR ? drop_names[reason] : NULL;
}

uint64_t bypass_drops_total(const struct bypass_counters *c)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < BYPASS_DROP_NR; i++)
		sum += c->drops[i];
	return sum;
}
