/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The log's clock: TSC between CLOCK_MONOTONIC anchors (see log-clock.h). */
#include <time.h>
#include "log-clock.h"
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <x86intrin.h>
#define HAVE_TSC 1
#endif

/* The rate is measured over at least this long, and the clock re-anchored as often. */
#define TSC_ANCHOR_NS 10000000u
/* Two TSC reads around clock_gettime() further apart than this (a few
 * microseconds at any TSC rate) mean a preemption in between. */
#define TSC_PAIR_MAX_TICKS 20000

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t since_start_ns(const struct log_clock *c)
{
	return monotonic_ns() - c->start_ns;
}

#ifdef HAVE_TSC
static bool tsc_invariant(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000007)
		return false;
	__get_cpuid(0x80000007, &a, &b, &c, &d);
	return d & (1u << 8);
}

/*
 * A (TSC, clock) pair read close together: a preemption between the two reads
 * would skew every timestamp extrapolated from the pair, so the TSC is read on
 * both sides and the pair kept only when they are close.
 */
static bool tsc_pair(const struct log_clock *c, uint64_t *tick, uint64_t *ns)
{
	for (int i = 0; i < 4; i++) {
		uint64_t t1 = __rdtsc(), n = since_start_ns(c), t2 = __rdtsc();

		if (t2 - t1 < TSC_PAIR_MAX_TICKS) {
			*tick = t1 + (t2 - t1) / 2;
			*ns = n;
			return true;
		}
	}
	return false;
}

static uint64_t tsc_now(struct log_clock *c)
{
	uint64_t tick = __rdtsc(), ns;

	if (c->mult && tick - c->anchor_tsc < c->max_ticks)
		return c->anchor_ns + (uint64_t)(((unsigned __int128)(tick - c->anchor_tsc) * c->mult) >> 32);
	if (!tsc_pair(c, &tick, &ns)) {
		c->mult = 0; /* read the clock until a good anchor comes */
		return since_start_ns(c);
	}
	if (ns - c->base_ns >= TSC_ANCHOR_NS && tick > c->base_tsc) {
		double ns_per_tick = (double)(ns - c->base_ns) / (double)(tick - c->base_tsc);

		c->mult = (uint64_t)(ns_per_tick * 4294967296.0);
		c->max_ticks = (uint64_t)(TSC_ANCHOR_NS / ns_per_tick);
	}
	c->anchor_ns = ns;
	c->anchor_tsc = tick;
	return ns;
}
#endif

void log_clock_restart(struct log_clock *c)
{
	*c = (struct log_clock){ .start_ns = monotonic_ns() };
#ifdef HAVE_TSC
	c->tsc = tsc_invariant() && tsc_pair(c, &c->base_tsc, &c->base_ns);
	c->anchor_tsc = c->base_tsc;
	c->anchor_ns = c->base_ns;
#endif
}

uint64_t log_clock_now(struct log_clock *c)
{
	uint64_t ns;

#ifdef HAVE_TSC
	ns = c->tsc ? tsc_now(c) : since_start_ns(c);
#else
	ns = since_start_ns(c);
#endif
	/* an extrapolation may overshoot the next anchor by a few ns */
	if (ns < c->last_ns)
		ns = c->last_ns;
	c->last_ns = ns;
	return ns;
}
