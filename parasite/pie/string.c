// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mem* for blob code. The compiler emits calls to these for struct copies and
 * zeroing even in freestanding code. The bodies are string instructions, not C
 * loops, so the optimizer cannot turn them back into calls to themselves.
 * The SysV ABI guarantees the direction flag is clear on function entry.
 */
#include "pie.h"

#undef memcpy
#undef memmove
#undef memset
#undef memcmp

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;

	asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	const unsigned char *s = src;
	unsigned char *d = dst;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	if (n == 0)
		return dst;
	/* Overlap with dst above src: copy backwards, then restore the direction flag. */
	s += n - 1;
	d += n - 1;
	asm volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	}
	return 0;
}
