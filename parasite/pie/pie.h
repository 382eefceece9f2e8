/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Base header of blob code (parasite, restorer, test blobs): freestanding types and the
 * few attributes blobs use. Blob code includes no libc header; the compiler's own
 * freestanding headers (stddef.h, stdint.h, stdbool.h) and the kernel's uapi headers
 * (linux/..., asm/...) are fine.
 */
#ifndef CRYO_PIE_H
#define CRYO_PIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PIE_ALWAYS_INLINE inline __attribute__((always_inline))
#define PIE_NORETURN __attribute__((noreturn))

/*
 * An entry point the host jumps to. blobgen finds it by name and emits its offset
 * (NAME_SYMBOL_OFF). Entries follow the SysV x86_64 calling convention: arguments in
 * rdi, rsi, ..., and at entry (rsp + 8) is 16-byte aligned, as after a call.
 */
#define PIE_ENTRY __attribute__((used, noinline))

/*
 * The address of a function or static object, computed at run time (RIP-relative).
 * Use it when putting such an address into a struct or array initialiser, even a
 * local one: clang may otherwise turn the initialiser into a static template holding
 * the address, which needs a load-time relocation and fails the blob check.
 */
#define PIE_ADDR(x)                                  \
	({                                           \
		__typeof__(&(x)) pie_addr_ = &(x);   \
		asm("" : "+r"(pie_addr_));           \
		pie_addr_;                           \
	})

#define PIE_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The compiler may emit calls to these; pie/string.c provides them. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* -ffreestanding turns builtins off; keep small constant-size copies inline anyway. */
#define memcpy(d, s, n) __builtin_memcpy(d, s, n)
#define memmove(d, s, n) __builtin_memmove(d, s, n)
#define memset(d, c, n) __builtin_memset(d, c, n)
#define memcmp(a, b, n) __builtin_memcmp(a, b, n)

#endif
