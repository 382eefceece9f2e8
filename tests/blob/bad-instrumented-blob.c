// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A deliberately broken blob that carries a sanitizer runtime symbol, as if ASan
 * instrumentation had reached blob code together with a piece of its runtime.
 * blobgen must refuse it by name.
 */
#include "pie.h"

void __asan_report_load8(unsigned long addr);

__attribute__((used, noinline)) void __asan_report_load8(unsigned long addr)
{
	asm volatile("" : : "r"(addr));
}

PIE_ENTRY void bad_entry(unsigned long addr)
{
	__asan_report_load8(addr);
}
