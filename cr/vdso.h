/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vDSO as bytes: read it from a task at dump time, find the functions it
 * exports (its ELF .dynsym), and turn a dumped copy into trampolines into the
 * live vDSO of the restoring kernel.  Pure byte work: no logging, no global
 * state (the callers in mem-dump.c and vdso-restore.c log).  docs/vdso.md.
 */
#ifndef CRYO_VDSO_H
#define CRYO_VDSO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Anything larger is not a vDSO (x86-64: 2 pages). */
#define VDSO_MAX_SIZE (1u << 20)
/* The trampoline written at each entry: jmp rel32. */
#define VDSO_JMP_LEN 5u

/* One exported function: its offset from the start of the image and its size. */
struct vdso_sym {
	const char *name;	/* points into the image's .dynstr */
	uint64_t off;
	uint64_t size;
};

struct vdso_syms {
	struct vdso_sym *v;
	size_t n;
};

/* Read [start, end) of pid's [vdso] from /proc/PID/mem into a malloc'ed buffer. */
int vdso_read_task(pid_t pid, uint64_t start, uint64_t end, uint8_t **ret);

/*
 * The functions an in-memory vDSO image exports: defined STT_FUNC symbols of
 * .dynsym, global or weak, each inside the image.  Names point into img, which
 * must outlive the result.  -EBADMSG for anything that is not a well-formed
 * little-endian ELF64 x86-64 image with a .dynsym.
 */
int vdso_parse_syms(const uint8_t *img, size_t len, struct vdso_syms *ret);
void vdso_syms_free(struct vdso_syms *s);
const struct vdso_sym *vdso_sym_find(const struct vdso_syms *s, const char *name);

/* What vdso_patch did, for the caller's log (names point into the images). */
struct vdso_patch_report {
	size_t patched;		/* entries turned into a jump (aliases count once) */
	size_t missing;		/* exported by the dumped vDSO, not by the live one */
	const char *missing_names[8];	/* the first few of them */
};

/*
 * Write at every exported entry of copy (the dumped vDSO, which will be mapped
 * at copy_addr) a jmp rel32 to the function of the same name in the live vDSO
 * image live, which will be mapped at live_addr.  Functions the live vDSO
 * lacks are left as they are (counted in rep).  -ERANGE when a target is out
 * of rel32 reach, -EBADMSG when an image does not parse or an entry is too
 * short for the jump.
 */
int vdso_patch(uint8_t *copy, size_t copy_len, uint64_t copy_addr, const uint8_t *live, size_t live_len,
	       uint64_t live_addr, struct vdso_patch_report *rep);

#endif
