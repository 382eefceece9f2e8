// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * blobgen: turn a blob linked with pie.lds into a C header (bytes, sizes, entry
 * offsets), or with --check only verify it. A native build tool; see docs/blob.md.
 *
 * The blob must be loadable by copying its bytes to any page-aligned address:
 *  - an x86_64 ELF64 PIE (ET_DYN), no interpreter, no TLS, no needed libraries;
 *  - no dynamic relocations at all (the linker emits one for each place that would
 *    need fixing up at load time, e.g. a pointer stored in static data);
 *  - no undefined dynamic symbols;
 *  - every allocated section inside the image [__blob_start, __blob_end), except the
 *    linker's dynamic-linking metadata, which pie.lds puts after the image;
 *  - no sanitizer or coverage instrumentation symbols;
 *  - each requested entry is a defined function in the code part;
 *  - the image (bytes + bss) is at most --max-size bytes.
 * Any violation is an error naming the file and the offending thing.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE_SIZE_ 4096UL
#define MAX_ENTRIES 32

struct options {
	const char *input;
	const char *output;
	const char *name;
	const char *entries[MAX_ENTRIES];
	size_t n_entries;
	uint64_t max_size;
	bool check_only;
};

struct elf_file {
	const char *path;
	const uint8_t *data;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *shdrs;
	const char *shstrtab;
	size_t shstrtab_size;
	const Elf64_Sym *syms;
	size_t n_syms;
	const char *strtab;
	size_t strtab_size;
};

/* The image bounds from pie.lds's symbols, and how much of it has file content. */
struct layout {
	uint64_t data_start;
	uint64_t bss_start;
	uint64_t end;
	/* Bytes to copy: up to the end of the last file content. Everything after it
	 * (.bss, and the padding before .data's page when there is no .data) is zero. */
	uint64_t copy_size;
};

static const char *input_path = "?";
static unsigned n_errors;

static void __attribute__((format(printf, 1, 2))) error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "blobgen: %s: ", input_path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	n_errors++;
}

static bool range_ok(const struct elf_file *f, uint64_t off, uint64_t len)
{
	return off <= f->size && len <= f->size - off;
}

static const char *string_at(const char *tab, size_t tab_size, uint32_t off)
{
	if (!tab || off >= tab_size || !memchr(tab + off, '\0', tab_size - off))
		return "<bad name>";
	return tab + off;
}

static const char *section_name(const struct elf_file *f, const Elf64_Shdr *sh)
{
	return string_at(f->shstrtab, f->shstrtab_size, sh->sh_name);
}

static const char *symbol_name(const struct elf_file *f, const Elf64_Sym *sym)
{
	return string_at(f->strtab, f->strtab_size, sym->st_name);
}

static const char *const x86_64_reloc_names[] = {
	[R_X86_64_NONE] = "R_X86_64_NONE",
	[R_X86_64_64] = "R_X86_64_64",
	[R_X86_64_PC32] = "R_X86_64_PC32",
	[R_X86_64_GOT32] = "R_X86_64_GOT32",
	[R_X86_64_PLT32] = "R_X86_64_PLT32",
	[R_X86_64_COPY] = "R_X86_64_COPY",
	[R_X86_64_GLOB_DAT] = "R_X86_64_GLOB_DAT",
	[R_X86_64_JUMP_SLOT] = "R_X86_64_JUMP_SLOT",
	[R_X86_64_RELATIVE] = "R_X86_64_RELATIVE",
	[R_X86_64_GOTPCREL] = "R_X86_64_GOTPCREL",
	[R_X86_64_32] = "R_X86_64_32",
	[R_X86_64_32S] = "R_X86_64_32S",
	[R_X86_64_16] = "R_X86_64_16",
	[R_X86_64_PC16] = "R_X86_64_PC16",
	[R_X86_64_8] = "R_X86_64_8",
	[R_X86_64_PC8] = "R_X86_64_PC8",
	[R_X86_64_DTPMOD64] = "R_X86_64_DTPMOD64",
	[R_X86_64_DTPOFF64] = "R_X86_64_DTPOFF64",
	[R_X86_64_TPOFF64] = "R_X86_64_TPOFF64",
	[R_X86_64_TLSGD] = "R_X86_64_TLSGD",
	[R_X86_64_TLSLD] = "R_X86_64_TLSLD",
	[R_X86_64_DTPOFF32] = "R_X86_64_DTPOFF32",
	[R_X86_64_GOTTPOFF] = "R_X86_64_GOTTPOFF",
	[R_X86_64_TPOFF32] = "R_X86_64_TPOFF32",
	[R_X86_64_PC64] = "R_X86_64_PC64",
	[R_X86_64_GOTOFF64] = "R_X86_64_GOTOFF64",
	[R_X86_64_GOTPC32] = "R_X86_64_GOTPC32",
	[R_X86_64_GOT64] = "R_X86_64_GOT64",
	[R_X86_64_GOTPCREL64] = "R_X86_64_GOTPCREL64",
	[R_X86_64_GOTPC64] = "R_X86_64_GOTPC64",
	[R_X86_64_GOTPLT64] = "R_X86_64_GOTPLT64",
	[R_X86_64_PLTOFF64] = "R_X86_64_PLTOFF64",
	[R_X86_64_SIZE32] = "R_X86_64_SIZE32",
	[R_X86_64_SIZE64] = "R_X86_64_SIZE64",
	[R_X86_64_GOTPC32_TLSDESC] = "R_X86_64_GOTPC32_TLSDESC",
	[R_X86_64_TLSDESC_CALL] = "R_X86_64_TLSDESC_CALL",
	[R_X86_64_TLSDESC] = "R_X86_64_TLSDESC",
	[R_X86_64_IRELATIVE] = "R_X86_64_IRELATIVE",
	[R_X86_64_RELATIVE64] = "R_X86_64_RELATIVE64",
	[R_X86_64_GOTPCRELX] = "R_X86_64_GOTPCRELX",
	[R_X86_64_REX_GOTPCRELX] = "R_X86_64_REX_GOTPCRELX",
};

static const char *reloc_name(uint32_t type, char *buf, size_t len)
{
	if (type < sizeof(x86_64_reloc_names) / sizeof(x86_64_reloc_names[0]) &&
	    x86_64_reloc_names[type])
		return x86_64_reloc_names[type];
	snprintf(buf, len, "relocation type %" PRIu32, type);
	return buf;
}

static int map_file(struct elf_file *f, const char *path)
{
	struct stat st;
	void *p;
	int fd;

	f->path = path;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		error("cannot open: %m");
		return -errno;
	}
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		error("not an ELF file (too small or unreadable)");
		close(fd);
		return -EINVAL;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		error("cannot map: %m");
		return -errno;
	}
	f->data = p;
	f->size = st.st_size;
	f->eh = p;
	return 0;
}

static int check_header(const struct elf_file *f)
{
	const Elf64_Ehdr *eh = f->eh;

	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) {
		error("not an ELF file");
		return -EINVAL;
	}
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64) {
		error("not a little-endian x86_64 ELF64 file");
		return -EINVAL;
	}
	if (eh->e_type != ET_DYN) {
		error("ELF type %u, expected a PIE (ET_DYN): link with pie_link_args", eh->e_type);
		return -EINVAL;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !range_ok(f, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)) ||
	    !range_ok(f, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)) ||
	    eh->e_shnum == 0 || eh->e_shstrndx >= eh->e_shnum) {
		error("malformed ELF header (program or section header table out of bounds)");
		return -EINVAL;
	}
	return 0;
}

static int load_tables(struct elf_file *f)
{
	const Elf64_Shdr *strsh;

	f->shdrs = (const Elf64_Shdr *)(f->data + f->eh->e_shoff);
	strsh = &f->shdrs[f->eh->e_shstrndx];
	if (!range_ok(f, strsh->sh_offset, strsh->sh_size)) {
		error("section name table out of bounds");
		return -EINVAL;
	}
	f->shstrtab = (const char *)f->data + strsh->sh_offset;
	f->shstrtab_size = strsh->sh_size;

	for (unsigned i = 0; i < f->eh->e_shnum; i++) {
		const Elf64_Shdr *sh = &f->shdrs[i], *link;

		if (sh->sh_type != SHT_SYMTAB)
			continue;
		if (sh->sh_link >= f->eh->e_shnum || sh->sh_entsize != sizeof(Elf64_Sym) ||
		    !range_ok(f, sh->sh_offset, sh->sh_size)) {
			error("malformed symbol table");
			return -EINVAL;
		}
		link = &f->shdrs[sh->sh_link];
		if (!range_ok(f, link->sh_offset, link->sh_size)) {
			error("symbol name table out of bounds");
			return -EINVAL;
		}
		f->syms = (const Elf64_Sym *)(f->data + sh->sh_offset);
		f->n_syms = sh->sh_size / sizeof(Elf64_Sym);
		f->strtab = (const char *)f->data + link->sh_offset;
		f->strtab_size = link->sh_size;
		return 0;
	}
	error("no symbol table (was the blob stripped?)");
	return -ENOENT;
}

/* The one defined symbol called name; NULL (with an error) if none or several. */
static const Elf64_Sym *find_symbol(const struct elf_file *f, const char *name, bool want_func)
{
	const Elf64_Sym *found = NULL;

	for (size_t i = 1; i < f->n_syms; i++) {
		const Elf64_Sym *s = &f->syms[i];

		if (s->st_shndx == SHN_UNDEF || strcmp(symbol_name(f, s), name) != 0)
			continue;
		if (want_func && ELF64_ST_TYPE(s->st_info) != STT_FUNC)
			continue;
		if (found) {
			error("symbol '%s' is defined more than once; entry names must be unique", name);
			return NULL;
		}
		found = s;
	}
	if (!found)
		error("%s '%s' not found", want_func ? "entry function" : "symbol", name);
	return found;
}

/* "symbol+0xoff" for the symbol covering (or preceding) addr, for error messages. */
static void describe_address(const struct elf_file *f, uint64_t addr, char *buf, size_t len)
{
	const Elf64_Sym *best = NULL;

	for (size_t i = 1; i < f->n_syms; i++) {
		const Elf64_Sym *s = &f->syms[i];
		int type = ELF64_ST_TYPE(s->st_info);

		if (s->st_shndx == SHN_UNDEF || (type != STT_OBJECT && type != STT_FUNC) ||
		    s->st_value > addr)
			continue;
		if (!best || s->st_value > best->st_value)
			best = s;
	}
	if (!best)
		snprintf(buf, len, "no symbol");
	else if (best->st_size && addr >= best->st_value + best->st_size)
		/* Often a compiler-made initialiser template: name it for what it is. */
		snprintf(buf, len, "unnamed data 0x%" PRIx64 " after the end of %s",
			 addr - best->st_value - best->st_size, symbol_name(f, best));
	else
		snprintf(buf, len, "%s+0x%" PRIx64, symbol_name(f, best), addr - best->st_value);
}

static const char *section_at(const struct elf_file *f, uint64_t addr)
{
	for (unsigned i = 0; i < f->eh->e_shnum; i++) {
		const Elf64_Shdr *sh = &f->shdrs[i];

		if ((sh->sh_flags & SHF_ALLOC) && addr >= sh->sh_addr &&
		    addr < sh->sh_addr + sh->sh_size)
			return section_name(f, sh);
	}
	return "no section";
}

static int read_layout(const struct elf_file *f, struct layout *l)
{
	const Elf64_Sym *start, *data, *bss, *end;

	start = find_symbol(f, "__blob_start", false);
	data = find_symbol(f, "__blob_data_start", false);
	bss = find_symbol(f, "__blob_bss_start", false);
	end = find_symbol(f, "__blob_end", false);
	if (!start || !data || !bss || !end) {
		error("missing layout symbols: was the blob linked with pie.lds (pie_link_args)?");
		return -EINVAL;
	}
	if (start->st_value != 0 || data->st_value > bss->st_value ||
	    bss->st_value > end->st_value || data->st_value % PAGE_SIZE_) {
		error("inconsistent layout symbols (start 0x%" PRIx64 ", data 0x%" PRIx64
		      ", bss 0x%" PRIx64 ", end 0x%" PRIx64 ")",
		      start->st_value, data->st_value, bss->st_value, end->st_value);
		return -EINVAL;
	}
	l->data_start = data->st_value;
	l->bss_start = bss->st_value;
	l->end = end->st_value;
	return 0;
}

static int check_segments(const struct elf_file *f, struct layout *l)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(f->data + f->eh->e_phoff);

	for (unsigned i = 0; i < f->eh->e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP)
			error("has an interpreter (PT_INTERP): link with --no-dynamic-linker");
		if (ph[i].p_type == PT_TLS)
			error("uses thread-local storage (PT_TLS), which blobs cannot have");
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (!range_ok(f, ph[i].p_offset, ph[i].p_filesz) || ph[i].p_filesz > ph[i].p_memsz)
			error("segment %u out of file bounds", i);
		else if (ph[i].p_vaddr < l->end && ph[i].p_vaddr + ph[i].p_filesz > l->bss_start &&
			 ph[i].p_filesz)
			error("segment %u has file data inside .bss (0x%" PRIx64 "..0x%" PRIx64 ")",
			      i, ph[i].p_vaddr, ph[i].p_vaddr + ph[i].p_filesz);
		else if (ph[i].p_vaddr < l->end && ph[i].p_vaddr + ph[i].p_memsz > l->end)
			error("segment %u crosses the end of the image", i);
		else if (ph[i].p_vaddr < l->end && ph[i].p_filesz &&
			 ph[i].p_vaddr + ph[i].p_filesz > l->copy_size)
			l->copy_size = ph[i].p_vaddr + ph[i].p_filesz;
	}
	return n_errors ? -EINVAL : 0;
}

/* What the linker adds to any PIE, placed by pie.lds after the image. */
static bool is_link_metadata(const char *name)
{
	static const char *const names[] = {
		".dynsym", ".dynstr", ".hash", ".gnu.hash", ".dynamic",
		".rela.dyn", ".rel.dyn", ".relr.dyn",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

static void report_relocations(const struct elf_file *f, const Elf64_Shdr *sh)
{
	size_t entsize = sh->sh_type == SHT_RELA ? sizeof(Elf64_Rela) :
			 sh->sh_type == SHT_REL	 ? sizeof(Elf64_Rel) : sizeof(Elf64_Relr);
	size_t n = sh->sh_size / entsize;

	if (!range_ok(f, sh->sh_offset, sh->sh_size)) {
		error("relocation section %s out of bounds", section_name(f, sh));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = f->data + sh->sh_offset + i * entsize;
		char where[256], tbuf[64];
		uint64_t off;
		const char *type;

		if (sh->sh_type == SHT_RELR) {
			error("packed relative relocations (%s) at entry %zu: blobs must have "
			      "no load-time relocations", section_name(f, sh), i);
			continue;
		}
		if (sh->sh_type == SHT_RELA) {
			Elf64_Rela r;

			memcpy(&r, p, sizeof(r));
			off = r.r_offset;
			type = reloc_name(ELF64_R_TYPE(r.r_info), tbuf, sizeof(tbuf));
		} else {
			Elf64_Rel r;

			memcpy(&r, p, sizeof(r));
			off = r.r_offset;
			type = reloc_name(ELF64_R_TYPE(r.r_info), tbuf, sizeof(tbuf));
		}
		describe_address(f, off, where, sizeof(where));
		error("unsupported relocation %s at offset 0x%" PRIx64 " (%s, %s): blobs must "
		      "have no load-time relocations; is an address stored in static data or in an "
		      "initialiser (see PIE_ADDR in pie.h)?",
		      type, off, section_at(f, off), where);
	}
}

static void check_dynamic_symbols(const struct elf_file *f, const Elf64_Shdr *sh)
{
	const Elf64_Shdr *strsh;
	size_t n = sh->sh_size / sizeof(Elf64_Sym);

	if (sh->sh_link >= f->eh->e_shnum || !range_ok(f, sh->sh_offset, sh->sh_size)) {
		error("malformed dynamic symbol table");
		return;
	}
	strsh = &f->shdrs[sh->sh_link];
	if (!range_ok(f, strsh->sh_offset, strsh->sh_size)) {
		error("malformed dynamic symbol names");
		return;
	}
	for (size_t i = 1; i < n; i++) {
		const Elf64_Sym *s = (const Elf64_Sym *)(f->data + sh->sh_offset) + i;

		if (s->st_shndx == SHN_UNDEF)
			error("undefined symbol '%s': blobs cannot call libc or other libraries",
			      string_at((const char *)f->data + strsh->sh_offset, strsh->sh_size,
					s->st_name));
	}
}

static void check_dynamic_section(const struct elf_file *f, const Elf64_Shdr *sh)
{
	size_t n = sh->sh_size / sizeof(Elf64_Dyn);

	if (!range_ok(f, sh->sh_offset, sh->sh_size)) {
		error("malformed .dynamic");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const Elf64_Dyn *d = (const Elf64_Dyn *)(f->data + sh->sh_offset) + i;

		if (d->d_tag == DT_NULL)
			break;
		if (d->d_tag == DT_NEEDED)
			error("needs a shared library (DT_NEEDED)");
		if (d->d_tag == DT_TEXTREL || (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_TEXTREL)))
			error("has text relocations (DT_TEXTREL)");
		if ((d->d_tag == DT_RELASZ || d->d_tag == DT_RELSZ || d->d_tag == DT_PLTRELSZ ||
		     d->d_tag == DT_RELRSZ) && d->d_un.d_val)
			error("dynamic section lists relocations (tag %" PRId64 ", %" PRIu64 " bytes)",
			      (int64_t)d->d_tag, (uint64_t)d->d_un.d_val);
	}
}

static void check_sections(const struct elf_file *f, const struct layout *l)
{
	for (unsigned i = 0; i < f->eh->e_shnum; i++) {
		const Elf64_Shdr *sh = &f->shdrs[i];
		const char *name = section_name(f, sh);

		if (sh->sh_type == SHT_DYNSYM)
			check_dynamic_symbols(f, sh);
		if (sh->sh_type == SHT_DYNAMIC)
			check_dynamic_section(f, sh);
		if (!(sh->sh_flags & SHF_ALLOC) || sh->sh_size == 0)
			continue;
		if (sh->sh_type == SHT_RELA || sh->sh_type == SHT_REL || sh->sh_type == SHT_RELR)
			report_relocations(f, sh);
		if (sh->sh_addralign > PAGE_SIZE_)
			error("section %s wants %" PRIu64 "-byte alignment, more than a page",
			      name, (uint64_t)sh->sh_addralign);
		if (sh->sh_addr + sh->sh_size <= l->end)
			continue;
		if (sh->sh_addr >= l->end && is_link_metadata(name))
			continue;
		error("section %s (0x%" PRIx64 "..0x%" PRIx64 ") is outside the blob image "
		      "(0..0x%" PRIx64 "): pie.lds does not place it", name, (uint64_t)sh->sh_addr,
		      (uint64_t)(sh->sh_addr + sh->sh_size), l->end);
	}
}

/*
 * Sanitizer, coverage and profiling runtimes must never reach blob code (their flags
 * are overridden for blob targets). An undefined reference already fails the link;
 * this also catches instrumentation that came with its runtime pieces defined.
 */
static void check_instrumentation(const struct elf_file *f)
{
	static const char *const prefixes[] = {
		"__asan_", "__ubsan_", "__tsan_", "__msan_", "__hwasan_", "__sanitizer_",
		"__gcov_", "__llvm_profile_", "__llvm_gcov", "__sancov_",
	};

	for (size_t i = 1; i < f->n_syms; i++) {
		const char *name = symbol_name(f, &f->syms[i]);

		for (size_t j = 0; j < sizeof(prefixes) / sizeof(prefixes[0]); j++)
			if (strncmp(name, prefixes[j], strlen(prefixes[j])) == 0) {
				error("instrumentation symbol '%s': sanitizer or coverage code in a "
				      "blob (use pie_override_options)", name);
				break;
			}
	}
}

static int find_entries(const struct elf_file *f, const struct options *o, const struct layout *l,
			uint64_t *offsets)
{
	for (size_t i = 0; i < o->n_entries; i++) {
		const Elf64_Sym *s = find_symbol(f, o->entries[i], true);

		if (!s)
			continue;
		if (s->st_value >= l->data_start)
			error("entry '%s' at 0x%" PRIx64 " is not in the code part (0..0x%" PRIx64 ")",
			      o->entries[i], (uint64_t)s->st_value, l->data_start);
		offsets[i] = s->st_value;
	}
	return n_errors ? -EINVAL : 0;
}

/* The copied part of the image: [0, copy_size), zeros where no segment has file data. */
static uint8_t *build_image(const struct elf_file *f, const struct layout *l)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(f->data + f->eh->e_phoff);
	uint8_t *img = calloc(1, l->copy_size ? l->copy_size : 1);

	if (!img) {
		error("out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < f->eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_vaddr >= l->end || !ph[i].p_filesz)
			continue;
		memcpy(img + ph[i].p_vaddr, f->data + ph[i].p_offset, ph[i].p_filesz);
	}
	return img;
}

static int write_header(const struct options *o, const struct layout *l, const uint8_t *img,
			const uint64_t *offsets)
{
	FILE *out = fopen(o->output, "we");
	const char *n = o->name;

	if (!out) {
		error("cannot create %s: %m", o->output);
		return -errno;
	}
	fprintf(out, "/* Generated by blobgen from %s: do not edit. See docs/blob.md. */\n", o->input);
	fprintf(out, "#ifndef CRYO_BLOB_%s_H\n#define CRYO_BLOB_%s_H\n\n", n, n);
	fprintf(out, "/* Bytes to copy to a page-aligned address; then zero %s_blob_bss_size bytes after them\n   (.bss, and any padding before it). */\n", n);
	fprintf(out, "#define %s_blob_size %" PRIu64 "UL\n", n, l->copy_size);
	fprintf(out, "#define %s_blob_bss_size %" PRIu64 "UL\n", n, l->end - l->copy_size);
	fprintf(out, "/* Whole image in memory (bytes + bss). */\n");
	fprintf(out, "#define %s_blob_mem_size %" PRIu64 "UL\n", n, l->end);
	fprintf(out, "/* [0, rx_size) is code and read-only data; writable data starts there (page aligned). */\n");
	fprintf(out, "#define %s_blob_rx_size %" PRIu64 "UL\n\n", n, l->data_start);
	for (size_t i = 0; i < o->n_entries; i++)
		fprintf(out, "#define %s_%s_OFF 0x%" PRIx64 "UL\n", n, o->entries[i], offsets[i]);
	fprintf(out, "\nstatic const unsigned char %s_blob[%" PRIu64 "] __attribute__((aligned(16), unused)) = {",
		n, l->copy_size ? l->copy_size : 1);
	for (uint64_t i = 0; i < l->copy_size; i++)
		fprintf(out, "%s0x%02x,", i % 12 ? " " : "\n\t", img[i]);
	fprintf(out, "\n};\n\n#endif\n");
	if (fclose(out) != 0) {
		error("cannot write %s: %m", o->output);
		unlink(o->output);
		return -EIO;
	}
	return 0;
}

static bool is_identifier(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static void usage(FILE *to)
{
	fprintf(to,
		"Usage: blobgen [--check] --name NAME --entry SYMBOL... [--max-size BYTES] [-o OUT.h] BLOB.elf\n"
		"Verify a blob linked with pie.lds and write a C header with its bytes and entry offsets.\n"
		"  --name NAME      prefix of the generated identifiers (a C identifier)\n"
		"  --entry SYMBOL   an entry function; emits NAME_SYMBOL_OFF (repeatable)\n"
		"  --max-size N     fail if the image (bytes + bss) exceeds N bytes (default 1 MiB)\n"
		"  --check          only verify, write nothing; prints a summary\n"
		"  -o, --output F   header to write (required without --check)\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "entry", required_argument, NULL, 'e' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char *end;
	int c;

	o->max_size = 1 << 20;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->check_only = true; break;
		case 'n': o->name = optarg; break;
		case 'o': o->output = optarg; break;
		case 'e':
			if (o->n_entries == MAX_ENTRIES || !is_identifier(optarg)) {
				fprintf(stderr, "blobgen: bad or too many --entry: '%s'\n", optarg);
				return -EINVAL;
			}
			o->entries[o->n_entries++] = optarg;
			break;
		case 'm':
			errno = 0;
			o->max_size = strtoull(optarg, &end, 0);
			if (errno || *end || !*optarg) {
				fprintf(stderr, "blobgen: bad --max-size: '%s'\n", optarg);
				return -EINVAL;
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc - 1 || !o->name || !is_identifier(o->name) || o->n_entries == 0 ||
	    (!o->check_only && !o->output)) {
		fprintf(stderr, "blobgen: need one BLOB.elf, a --name that is a C identifier, "
			"at least one --entry, and -o unless --check\n");
		usage(stderr);
		return -EINVAL;
	}
	o->input = argv[optind];
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {};
	struct elf_file f = {};
	struct layout l = {};
	uint64_t offsets[MAX_ENTRIES];
	uint8_t *img;

	if (parse_options(argc, argv, &o) < 0)
		return 2;
	input_path = o.input;
	if (map_file(&f, o.input) < 0 || check_header(&f) < 0 || load_tables(&f) < 0 ||
	    read_layout(&f, &l) < 0 || check_segments(&f, &l) < 0)
		return 1;
	check_sections(&f, &l);
	check_instrumentation(&f);
	if (find_entries(&f, &o, &l, offsets) < 0 || n_errors)
		return 1;
	if (l.end > o.max_size) {
		error("image is %" PRIu64 " bytes (code, data and bss), over the limit of %" PRIu64
		      " (--max-size)", l.end, o.max_size);
		return 1;
	}
	if (o.check_only) {
		printf("%s: blob '%s' ok: %" PRIu64 " bytes + %" PRIu64 " bss (limit %" PRIu64 "), "
		       "no relocations", o.input, o.name, l.copy_size, l.end - l.copy_size, o.max_size);
		for (size_t i = 0; i < o.n_entries; i++)
			printf(", %s at 0x%" PRIx64, o.entries[i], offsets[i]);
		printf("\n");
		return 0;
	}
	img = build_image(&f, &l);
	if (!img || write_header(&o, &l, img, offsets) < 0)
		return 1;
	free(img);
	return 0;
}
