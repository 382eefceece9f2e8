/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cr/vdso.c on this process's own vDSO: its functions are found, a copy
 * patched against the live vDSO placed elsewhere jumps to the same function,
 * a function the live vDSO lacks is reported and left alone, and bytes that
 * are not a well-formed vDSO (truncated, bad offsets, garbage) are refused
 * without reading outside the buffer (run under ASan in sanitized builds).
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "vdso.h"

static int failures;
#define CHECK(c, ...)                                      \
	do {                                               \
		if (!(c)) {                                \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);      \
			fputc('\n', stderr);               \
			failures++;                        \
		}                                          \
	} while (0)

static uint8_t *live;
static size_t live_len;

static void read_live(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	unsigned long s = 0, e = 0;
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[vdso]") && sscanf(line, "%lx-%lx", &s, &e) == 2)
			break;
	if (f)
		fclose(f);
	if (!s) {
		printf("no [vdso] in this process: skipped\n");
		exit(77);
	}
	live_len = e - s;
	live = malloc(live_len);
	memcpy(live, (void *)s, live_len);
	CHECK(s == getauxval(AT_SYSINFO_EHDR), "[vdso] at %#lx, AT_SYSINFO_EHDR %#lx", s, getauxval(AT_SYSINFO_EHDR));
}

static void test_syms(void)
{
	struct vdso_syms s;
	CHECK(vdso_parse_syms(live, live_len, &s) == 0, "the live vDSO does not parse");
	const struct vdso_sym *cg = vdso_sym_find(&s, "__vdso_clock_gettime");
	const struct vdso_sym *alias = vdso_sym_find(&s, "clock_gettime");
	CHECK(cg && cg->size >= VDSO_JMP_LEN, "no __vdso_clock_gettime");
	CHECK(!alias || (cg && alias->off == cg->off), "clock_gettime is not an alias of __vdso_clock_gettime");
	CHECK(!vdso_sym_find(&s, "LINUX_2.6"), "the version symbol (not a function) is listed");
	vdso_syms_free(&s);
}

static void test_patch(void)
{
	uint8_t *copy = malloc(live_len);
	struct vdso_syms s;
	struct vdso_patch_report rep;
	uint64_t copy_at = 0x7f0000000000, live_at = 0x7f0000100000;

	memcpy(copy, live, live_len);
	CHECK(vdso_patch(copy, live_len, copy_at, live, live_len, live_at, &rep) == 0, "patch failed");
	CHECK(rep.missing == 0 && rep.patched > 0, "patched %zu, missing %zu", rep.patched, rep.missing);
	vdso_parse_syms(copy, live_len, &s);
	for (size_t i = 0; i < s.n; i++) {
		int32_t rel;
		memcpy(&rel, copy + s.v[i].off + 1, 4);
		uint64_t to = copy_at + s.v[i].off + 5 + (int64_t)rel;
		CHECK(copy[s.v[i].off] == 0xe9 && to == live_at + s.v[i].off, "%s: byte %#x, jumps to %#lx", s.v[i].name,
		      copy[s.v[i].off], (unsigned long)to);
		/* Beyond the jump the body is untouched. */
		CHECK(!memcmp(copy + s.v[i].off + 5, live + s.v[i].off + 5, s.v[i].size - 5), "%s: body changed",
		      s.v[i].name);
	}
	vdso_syms_free(&s);

	/* Out of rel32 reach. */
	memcpy(copy, live, live_len);
	CHECK(vdso_patch(copy, live_len, 0x1000000, live, live_len, 0x7f0000000000, &rep) == -ERANGE,
	      "a target 127 TiB away was accepted");
	free(copy);
}

/* A live vDSO without __vdso_time: the dumped entry is reported and left as it was. */
static void test_missing(void)
{
	uint8_t *l2 = malloc(live_len), *copy = malloc(live_len);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)live;
	memcpy(l2, live, live_len);
	memcpy(copy, live, live_len);
	/* Rename every "time" symbol in the live copy's string table. */
	for (int i = 0; i < eh->e_shnum; i++) {
		Elf64_Shdr *sh = (Elf64_Shdr *)(l2 + eh->e_shoff + (size_t)i * eh->e_shentsize);
		if (sh->sh_type != SHT_STRTAB)
			continue;
		for (size_t k = 0; k + 4 < sh->sh_size; k++) {
			char *p = (char *)l2 + sh->sh_offset + k;
			if ((k == 0 || p[-1] == 0 || p[-1] == '_') && !strcmp(p, "time"))
				p[0] = 'T';
		}
	}
	struct vdso_syms s;
	struct vdso_patch_report rep;
	CHECK(vdso_patch(copy, live_len, 0x7f0000000000, l2, live_len, 0x7f0000100000, &rep) == 0, "patch failed");
	vdso_parse_syms(copy, live_len, &s);
	const struct vdso_sym *t = vdso_sym_find(&s, "__vdso_time");
	if (t) {
		CHECK(rep.missing == 1 && !strcmp(rep.missing_names[0] + strlen(rep.missing_names[0]) - 4, "time"),
		      "missing %zu (%s)", rep.missing, rep.missing ? rep.missing_names[0] : "");
		CHECK(!memcmp(copy + t->off, live + t->off, t->size), "__vdso_time was patched");
	}
	vdso_syms_free(&s);
	free(l2);
	free(copy);
}

static void test_bad_input(void)
{
	struct vdso_syms s;
	uint8_t junk[256];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	CHECK(vdso_parse_syms(junk, sizeof(junk), &s) == -EBADMSG, "garbage parsed");
	/* Every truncation of the real image is either refused or parses within it. */
	for (size_t len = 0; len < live_len; len += 61) {
		uint8_t *t = malloc(len ? len : 1);
		memcpy(t, live, len);
		if (vdso_parse_syms(t, len, &s) == 0)
			vdso_syms_free(&s);
		free(t);
	}
	/* Section headers pointing outside. */
	uint8_t *b = malloc(live_len);
	memcpy(b, live, live_len);
	((Elf64_Ehdr *)b)->e_shoff = live_len - 8;
	CHECK(vdso_parse_syms(b, live_len, &s) == -EBADMSG, "section headers outside the image accepted");
	memcpy(b, live, live_len);
	((Elf64_Ehdr *)b)->e_ident[EI_CLASS] = ELFCLASS32;
	CHECK(vdso_parse_syms(b, live_len, &s) == -EBADMSG, "a 32-bit ELF accepted");
	free(b);
}

int main(void)
{
	read_live();
	test_syms();
	test_patch();
	test_missing();
	test_bad_input();
	free(live);
	if (failures)
		return 1;
	printf("vdso: ok\n");
	return 0;
}
