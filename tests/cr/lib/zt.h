/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * zt: the library of C/R test programs (protocol in docs/testing.md).
 *
 *     int main(int argc, char **argv)
 *     {
 *             zt_init(argc, argv);      // close stray fds, read the environment
 *             ... set up state ...
 *             zt_ready();               // tell the runner: dump me now
 *             zt_wait();                // until SIGTERM, through dump and restore
 *             ... check state ...
 *             if (bad) zt_fail("heap byte %zu is %#x", i, p[i]);
 *             zt_pass();
 *     }
 *
 * Environment: ZT_PIDFILE (written with the pid when ready), ZT_OUT (the
 * result file: "PASS" or "FAIL: reason"; opened by path only at the end so
 * the test holds no file open across C/R).
 */
#ifndef CRYO_ZT_H
#define CRYO_ZT_H

#include <stddef.h>
#include <stdint.h>

#define ZT_PRINTF(a, b) __attribute__((format(printf, a, b)))

void zt_init(int argc, char **argv);
void zt_ready(void);
/* Wait for SIGTERM.  Other signals with handlers do not end the wait. */
void zt_wait(void);
__attribute__((noreturn)) void zt_pass(void);
__attribute__((noreturn)) ZT_PRINTF(1, 2) void zt_fail(const char *fmt, ...);
/* Skip: the feature the test needs is missing (runner exits 77). */
__attribute__((noreturn)) ZT_PRINTF(1, 2) void zt_skip(const char *fmt, ...);
/* Debug line to stderr (redirected to a file by the runner). */
ZT_PRINTF(1, 2) void zt_log(const char *fmt, ...);

/* Deterministic fill and check of a buffer: the pattern depends on seed and offset. */
void zt_fill(void *buf, size_t len, uint32_t seed);
/* 0 if buf holds zt_fill(seed); otherwise the offset of the first bad byte + 1. */
size_t zt_check(const void *buf, size_t len, uint32_t seed);

#endif
