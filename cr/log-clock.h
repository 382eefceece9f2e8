/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Timestamps of log records: nanoseconds since the log started.
 *
 * On x86 with an invariant TSC the clock reads the TSC and converts it with a
 * rate measured against CLOCK_MONOTONIC, re-anchoring on CLOCK_MONOTONIC every
 * 10 ms; reading the TSC costs a fraction of clock_gettime(), which was a good
 * part of the cost of a binary record.  Elsewhere it reads CLOCK_MONOTONIC.
 * Not thread-safe: the log engine calls it under its lock.
 */
#ifndef CRYO_LOG_CLOCK_H
#define CRYO_LOG_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct log_clock {
	uint64_t start_ns;              /* CLOCK_MONOTONIC at the restart */
	uint64_t last_ns;               /* never go back */
	bool tsc;                       /* the TSC is used */
	uint64_t base_tsc, base_ns;     /* first anchor, for the rate */
	uint64_t anchor_tsc, anchor_ns; /* last anchor */
	uint64_t mult;                  /* ns per tick << 32, 0 until measured */
	uint64_t max_ticks;             /* ticks after an anchor before the next one */
};

/* Start counting from now. */
void log_clock_restart(struct log_clock *c);

/* Nanoseconds since the restart; never less than the previous reading. */
uint64_t log_clock_now(struct log_clock *c);

#endif
