/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cryo-image anonymise DIR -o OUTDIR: a copy of an image that can be shared
 * for debugging.  Page contents are dropped (stored pages become zero pages,
 * page files are empty), every string is replaced by a keyed hash (paths
 * component by component, so shared prefixes stay visible), unix socket
 * names (bytes: a path, or '\0' and an abstract name) are hashed the same way,
 * so which sockets share a name stays visible, other bytes fields (the xsave
 * area, queued data, addresses) are zeroed, and fields unknown to this tool
 * are dropped.
 * Kept: numbers (pids, addresses, registers, flags, sizes, statistics), the
 * tool version, kernel release, arch, the CPU description, the list of what was
 * dumped, and kernel-named mappings ([heap], [stack], [vdso], ...).  The hash
 * key is random and thrown away: equal strings hash equally within one copy,
 * but nobody can test guesses against it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "cli.h"
#include "image.h"
#include "image-internal.h"
#include "image-tool.h"
#include "log.h"
#include "proto/pagemap.pb-c.h"

static uint64_t anon_key[2];

/* ---- SipHash-2-4 (Aumasson, Bernstein) ---------------------------------- */

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                            \
	do {                                                                \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);   \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                      \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                      \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);   \
	} while (0)

static uint64_t siphash24(const uint8_t *p, size_t len, const uint64_t k[2])
{
	uint64_t v0 = 0x736f6d6570736575ull ^ k[0], v1 = 0x646f72616e646f6dull ^ k[1];
	uint64_t v2 = 0x6c7967656e657261ull ^ k[0], v3 = 0x7465646279746573ull ^ k[1];
	uint64_t m, b = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		m = 0;
		for (int j = 7; j >= 0; j--)
			m = m << 8 | p[i + j];
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- what to keep -------------------------------------------------------- */

static bool keep_string(const char *msg, const char *field, const char *value)
{
	static const char *const kept_fields[] = {
		"inventory_entry.tool_version", "inventory_entry.kernel_release", "inventory_entry.arch",
		"inventory_entry.dumped", "cpu_info_entry.*",
	};
	static const char *const kernel_names[] = {
		"[heap]", "[stack]", "[vdso]", "[vvar]", "[vvar_vclock]", "[vsyscall]", "[uprobes]",
	};
	size_t ml = strlen(msg);

	for (size_t i = 0; i < ARRAY_SIZE(kept_fields); i++) {
		const char *k = kept_fields[i];
		if (!strncmp(k, msg, ml) && k[ml] == '.' && (!strcmp(k + ml + 1, field) || !strcmp(k + ml + 1, "*")))
			return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(kernel_names); i++)
		if (!strcmp(value, kernel_names[i]))
			return true;
	return false;
}

/* "/usr/lib/x.so" -> "/h1a2b3c4d5e6f/h.../h..." */
static char *anon_string(const char *s)
{
	size_t len = strlen(s);
	char *out = malloc(len * 14 + 16), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		if (*s == '/') {
			*o++ = *s++;
			continue;
		}
		size_t n = strcspn(s, "/");
		uint64_t h = siphash24((const uint8_t *)s, n, anon_key);
		o += sprintf(o, "h%012llx", (unsigned long long)(h >> 16));
		s += n;
	}
	*o = 0;
	return out;
}

/* Bytes fields that hold a unix socket name: hashed, not zeroed. */
static bool is_sock_name(const char *msg, const char *field)
{
	return !strcmp(msg, "unix_file") && (!strcmp(field, "name") || !strcmp(field, "peer_name"));
}

/*
 * A unix socket name: a path (maybe without its final NUL) or '\0' + an
 * abstract name, which may hold any byte; the abstract part is hashed whole.
 */
static int anon_sock_name(ProtobufCBinaryData *b)
{
	_cleanup_free_ char *s = NULL;
	char *n;

	if (b->len == 0)
		return 0;
	if (b->data[0] == 0) {
		uint64_t h = siphash24(b->data + 1, b->len - 1, anon_key);
		if (asprintf(&n, "%ch%012llx", 0, (unsigned long long)(h >> 16)) < 0)
			return -ENOMEM;
		free(b->data);
		b->data = (uint8_t *)n;
		b->len = 14;
		return 0;
	}
	s = strndup((const char *)b->data, b->len);
	if (!s)
		return -ENOMEM;
	n = anon_string(s);
	if (!n)
		return -ENOMEM;
	free(b->data);
	b->data = (uint8_t *)n;
	b->len = strlen(n);
	return 0;
}

static int anon_message(ProtobufCMessage *m);

static int anon_field(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, void *p)
{
	const char *msg = m->descriptor->name;

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		char **sp = p;
		if (!*sp || *sp == f->default_value || keep_string(msg, f->name, *sp))
			return 0;
		char *n = anon_string(*sp);
		if (!n)
			return -ENOMEM;
		free(*sp);
		*sp = n;
		return 0;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = p;
		if (!b->data || (f->default_value && b->data == ((const ProtobufCBinaryData *)f->default_value)->data))
			return 0;
		if (is_sock_name(msg, f->name))
			return anon_sock_name(b);
		memset(b->data, 0, b->len);
		return 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(ProtobufCMessage **)p ? anon_message(*(ProtobufCMessage **)p) : 0;
	default:
		return 0;
	}
}

static int anon_message(ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *desc = m->descriptor;
	uint8_t *base = (uint8_t *)m;
	int r;

	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(size_t *)(base + f->quantifier_offset);
			uint8_t *arr = *(uint8_t **)(base + f->offset);
			size_t es = f->type == PROTOBUF_C_TYPE_BYTES ? sizeof(ProtobufCBinaryData) : sizeof(void *);

			if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_BYTES &&
			    f->type != PROTOBUF_C_TYPE_MESSAGE)
				continue;
			for (size_t k = 0; k < n; k++)
				if ((r = anon_field(m, f, arr + k * es)) < 0)
					return r;
		} else if ((r = anon_field(m, f, base + f->offset)) < 0) {
			return r;
		}
	}
	/* Fields we cannot interpret could hold anything: drop them. */
	for (unsigned i = 0; i < m->n_unknown_fields; i++)
		free(m->unknown_fields[i].data);
	free(m->unknown_fields);
	m->unknown_fields = NULL;
	m->n_unknown_fields = 0;
	return 0;
}

/* Stored pages become zero pages: the layout stays, the contents go. */
static void anon_pagemap_entry(ProtobufCMessage *m)
{
	if (m->descriptor != &pagemap_entry__descriptor)
		return;
	PagemapEntry *pe = (PagemapEntry *)m;
	if (pe->flags & PE_PRESENT) {
		pe->flags = PE_ZERO;
		pe->has_file = false;
		pe->file = 0;
	}
}

static int anon_file(struct img_dir *in, struct img_dir *out, const char *name)
{
	struct img *src, *dst;
	ProtobufCMessage *m;
	int r, r2;

	r = img_open_name(in, name, false, &src);
	if (r < 0)
		return r;
	r = img_open_name(out, name, true, &dst);
	if (r < 0) {
		img_close(src);
		return r;
	}
	while ((r = img_read(src, &m)) > 0) {
		r = anon_message(m);
		anon_pagemap_entry(m);
		if (r == 0)
			r = img_write(dst, m);
		img_free_msg(m);
		if (r < 0)
			break;
	}
	img_close(src);
	r2 = img_close(dst);
	return r < 0 ? r : r2;
}

static int same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int img_anonymise_main(int argc, char **argv)
{
	const char *dir = NULL, *outdir = NULL;
	struct img_dir *in = NULL, *out = NULL;
	struct dirent **names = NULL;
	int n = 0, r;

	r = img_tool_parse_out(argc, argv, "DIR -o OUTDIR", NULL, &outdir, &dir);
	if (r <= 0)
		return r < 0 ? 1 : 0;
	if (!outdir) {
		fprintf(stderr, "Usage: cryo-image anonymise DIR -o OUTDIR\n");
		return 1;
	}
	if (same_dir(dir, outdir)) {
		log_error("%s: the output directory must not be the image itself", outdir);
		return 1;
	}
	if (getrandom(anon_key, sizeof(anon_key), 0) != sizeof(anon_key)) {
		log_error_errno(negative_errno(), "cannot get a random hash key");
		return 1;
	}
	if ((r = img_dir_open_read(dir, &in)) < 0 || (r = img_dir_open_write(outdir, &out)) < 0)
		goto out;
	n = img_tool_list(dir, &names);
	if (n < 0) {
		r = n;
		n = 0;
		goto out;
	}
	for (int i = 0; i < n && r == 0; i++) {
		const char *name = names[i]->d_name;

		if (img_is_pages_file_name(name)) {
			/* An empty page file: every stored page is a zero page now. */
			int fd = img_dir_create_raw(out, name);
			r = fd < 0 ? fd : close(fd);
		} else if (img_kind_by_file_name(name)) {
			r = anon_file(in, out, name);
		}
	}
	if (r == 0)
		r = img_dir_commit(out);
out:
	img_tool_free_list(names, n);
	img_dir_close(out);
	img_dir_close(in);
	return r < 0 ? 1 : 0;
}
