/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vDSO images: read, list the exported functions, patch into trampolines.
 * The images come from outside (an image file, a kernel): every offset and
 * size is checked against the buffer before it is used.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "vdso.h"

int vdso_read_task(pid_t pid, uint64_t start, uint64_t end, uint8_t **ret)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len = end - start;

	if (end <= start || len > VDSO_MAX_SIZE)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	for (size_t got = 0; got < len;) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)(start + got));
		if (n < 0)
			return negative_errno();
		if (n == 0)
			return -EIO;
		got += (size_t)n;
	}
	*ret = TAKE_PTR(buf);
	return 0;
}

static bool in_image(size_t len, uint64_t off, uint64_t size)
{
	return off <= len && size <= len - off;
}

/* The image offset of a virtual address, through the PT_LOAD segment that holds it. */
static int vaddr_to_off(const uint8_t *img, size_t len, const Elf64_Ehdr *eh, uint64_t vaddr, uint64_t *ret)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, img + eh->e_phoff + (uint64_t)i * eh->e_phentsize, sizeof(ph));
		if (ph.p_type != PT_LOAD || vaddr < ph.p_vaddr || vaddr - ph.p_vaddr >= ph.p_filesz)
			continue;
		uint64_t off = ph.p_offset + (vaddr - ph.p_vaddr);
		if (off >= len)
			return -EBADMSG;
		*ret = off;
		return 0;
	}
	return -EBADMSG;
}

static int check_header(const uint8_t *img, size_t len, Elf64_Ehdr *eh)
{
	if (len < sizeof(*eh))
		return -EBADMSG;
	memcpy(eh, img, sizeof(*eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64 || eh->e_type != ET_DYN)
		return -EBADMSG;
	if (eh->e_phentsize < sizeof(Elf64_Phdr) || eh->e_shentsize < sizeof(Elf64_Shdr) ||
	    !in_image(len, eh->e_phoff, (uint64_t)eh->e_phnum * eh->e_phentsize) ||
	    !in_image(len, eh->e_shoff, (uint64_t)eh->e_shnum * eh->e_shentsize))
		return -EBADMSG;
	return 0;
}

static int find_dynsym(const uint8_t *img, size_t len, const Elf64_Ehdr *eh, Elf64_Shdr *sym, Elf64_Shdr *str)
{
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		memcpy(sym, img + eh->e_shoff + (uint64_t)i * eh->e_shentsize, sizeof(*sym));
		if (sym->sh_type != SHT_DYNSYM)
			continue;
		if (sym->sh_link >= eh->e_shnum || sym->sh_entsize < sizeof(Elf64_Sym) ||
		    !in_image(len, sym->sh_offset, sym->sh_size))
			return -EBADMSG;
		memcpy(str, img + eh->e_shoff + (uint64_t)sym->sh_link * eh->e_shentsize, sizeof(*str));
		if (str->sh_type != SHT_STRTAB || !in_image(len, str->sh_offset, str->sh_size) || !str->sh_size ||
		    img[str->sh_offset + str->sh_size - 1] != 0)
			return -EBADMSG;
		return 0;
	}
	return -EBADMSG;
}

int vdso_parse_syms(const uint8_t *img, size_t len, struct vdso_syms *ret)
{
	Elf64_Ehdr eh;
	Elf64_Shdr symh, strh;
	struct vdso_syms s = { 0 };
	int r = check_header(img, len, &eh);
	if (r >= 0)
		r = find_dynsym(img, len, &eh, &symh, &strh);
	if (r < 0)
		return r;
	size_t n = symh.sh_size / symh.sh_entsize;
	s.v = calloc(n ? n : 1, sizeof(*s.v));
	if (!s.v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		Elf64_Sym e;
		uint64_t off;
		memcpy(&e, img + symh.sh_offset + i * symh.sh_entsize, sizeof(e));
		unsigned bind = ELF64_ST_BIND(e.st_info);
		if (ELF64_ST_TYPE(e.st_info) != STT_FUNC || e.st_shndx == SHN_UNDEF ||
		    (bind != STB_GLOBAL && bind != STB_WEAK))
			continue;
		if (e.st_name >= strh.sh_size || vaddr_to_off(img, len, &eh, e.st_value, &off) < 0 ||
		    !in_image(len, off, e.st_size)) {
			free(s.v);
			return -EBADMSG;
		}
		s.v[s.n++] = (struct vdso_sym){ (const char *)img + strh.sh_offset + e.st_name, off, e.st_size };
	}
	*ret = s;
	return 0;
}

void vdso_syms_free(struct vdso_syms *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

const struct vdso_sym *vdso_sym_find(const struct vdso_syms *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

static bool patched_before(const struct vdso_syms *s, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (s->v[j].off == s->v[i].off)
			return true;
	return false;
}

int vdso_patch(uint8_t *copy, size_t copy_len, uint64_t copy_addr, const uint8_t *live, size_t live_len,
	       uint64_t live_addr, struct vdso_patch_report *rep)
{
	struct vdso_syms cs = { 0 }, ls = { 0 };
	int r = vdso_parse_syms(copy, copy_len, &cs);
	if (r >= 0)
		r = vdso_parse_syms(live, live_len, &ls);
	memset(rep, 0, sizeof(*rep));
	for (size_t i = 0; r >= 0 && i < cs.n; i++) {
		const struct vdso_sym *d = &cs.v[i];
		if (patched_before(&cs, i))
			continue;
		/* An alias may be missing while another name of the same entry is there. */
		const struct vdso_sym *l = NULL;
		for (size_t j = i; !l && j < cs.n; j++)
			if (cs.v[j].off == d->off)
				l = vdso_sym_find(&ls, cs.v[j].name);
		if (!l) {
			if (rep->missing < ARRAY_SIZE(rep->missing_names))
				rep->missing_names[rep->missing] = d->name;
			rep->missing++;
			continue;
		}
		if (d->size < VDSO_JMP_LEN) {
			r = -EBADMSG;
			break;
		}
		int64_t rel = (int64_t)(live_addr + l->off) - (int64_t)(copy_addr + d->off + VDSO_JMP_LEN);
		if (rel > INT32_MAX || rel < INT32_MIN) {
			r = -ERANGE;
			break;
		}
		int32_t rel32 = (int32_t)rel;
		copy[d->off] = 0xe9;
		memcpy(copy + d->off + 1, &rel32, 4);
		rep->patched++;
	}
	vdso_syms_free(&cs);
	vdso_syms_free(&ls);
	return r;
}
