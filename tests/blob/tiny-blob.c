// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The smallest useful blob: code, read-only data and .bss but no .data, so blobgen
 * copies only the code page's content and the loader zeroes the rest up to and
 * including .bss. blob-run tiny checks that layout works.
 */
#include "pie.h"
#include "pie-syscall.h"

static const uint64_t tiny_table[4] = { 3, 5, 7, 11 };
static uint64_t tiny_calls;	/* .bss: must start at zero */

PIE_ENTRY uint64_t tiny_entry(uint64_t x)
{
	tiny_calls++;
	return tiny_table[x % 4] * 1000 + tiny_calls * 100 + (sys_getpid() > 0);
}
