/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kerndat probes once: a second kerndat_init() returns the same table without
 * probing again.  Seen two ways: the library's own counter, and SIGCHLD
 * (probing forks children; a second probe would fork again).  Also checks the
 * table is complete and the name lookups round-trip.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "kerndat.h"

static volatile sig_atomic_t sigchld_seen;
static int failures;

static void on_sigchld(int sig)
{
	(void)sig;
	sigchld_seen++;
}

#define CHECK(cond, ...)                                   \
	do {                                               \
		if (!(cond)) {                             \
			printf("FAIL: " __VA_ARGS__);      \
			printf("\n");                      \
			failures++;                        \
		}                                          \
	} while (0)

static void check_table_complete(const struct kerndat *kd)
{
	for (int f = 0; f < KD_NR_FEATURES; f++) {
		const char *name = kerndat_feature_name(f);
		const char *cost = kerndat_feature_cost(f);

		CHECK(name && *name, "feature %d has no name", f);
		if (!name)
			continue;
		CHECK(cost && *cost, "%s has no cost text", name);
		CHECK(kerndat_feature_by_name(name) == f, "%s does not look up to itself", name);
		CHECK(kd->result[f] == KD_YES || kd->result[f] == KD_NO || kd->result[f] == KD_ERROR,
		      "%s was not probed (result %d)", name, kd->result[f]);
		CHECK(kd->detail[f][0], "%s has no detail", name);
		CHECK(kerndat_has(f) == (kd->result[f] == KD_YES), "kerndat_has(%s) disagrees", name);
		if (kd->result[f] == KD_ERROR)
			printf("note: %s could not be probed: %s\n", name, kd->detail[f]);
	}
	CHECK(kerndat_feature_by_name("no-such-feature") == -ENOENT, "unknown name not refused");
	CHECK(kerndat_feature_name(KD_NR_FEATURES) == NULL, "name past the table");
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_sigchld, .sa_flags = SA_RESTART };
	const struct kerndat *first, *second;
	struct kerndat copy;
	int r;

	sigaction(SIGCHLD, &sa, NULL);

	CHECK(kerndat_probe_runs() == 0, "probed before kerndat_init()");
	r = kerndat_init();
	CHECK(r == 0, "first kerndat_init() = %d", r);
	CHECK(kerndat_probe_runs() == 1, "first init probed %u times", kerndat_probe_runs());
	CHECK(sigchld_seen > 0, "first init forked no probe children");
	first = kerndat();
	CHECK(first != NULL, "kerndat() is NULL after init");
	if (!first)
		return 1;
	memcpy(&copy, first, sizeof(copy));

	sigchld_seen = 0;
	r = kerndat_init();
	CHECK(r == 0, "second kerndat_init() = %d", r);
	second = kerndat();
	CHECK(kerndat_probe_runs() == 1, "second init probed again (%u runs)", kerndat_probe_runs());
	CHECK(sigchld_seen == 0, "second init forked %d probe children", (int)sigchld_seen);
	CHECK(second == first, "kerndat() moved");
	CHECK(!memcmp(&copy, second, sizeof(copy)), "the table changed on the second init");
	/* Consulting must not probe either. */
	(void)kerndat_has(KD_SOFT_DIRTY);
	(void)kerndat_detail(KD_UFFD_WP);
	CHECK(sigchld_seen == 0 && kerndat_probe_runs() == 1, "consulting the table probed");

	check_table_complete(first);
	printf("%s: %d features, probed %u time(s)\n", failures ? "FAIL" : "PASS",
	       KD_NR_FEATURES, kerndat_probe_runs());
	return failures ? 1 : 0;
}
