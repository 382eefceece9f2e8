/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <elf.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "file-identity.h"
#include "log.h"
#include "util.h"

/* ---- SHA-256 (FIPS 180-4) -------------------------------------------- */

struct sha256 {
	uint32_t h[8];
	uint8_t buf[64];
	uint64_t len;
};

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror32(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], v[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, s->h, sizeof(v));
	for (int i = 0; i < 64; i++) {
		uint32_t S1 = ror32(v[4], 6) ^ ror32(v[4], 11) ^ ror32(v[4], 25);
		uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
		uint32_t t1 = v[7] + S1 + ch + sha256_k[i] + w[i];
		uint32_t S0 = ror32(v[0], 2) ^ ror32(v[0], 13) ^ ror32(v[0], 22);
		uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
		uint32_t t2 = S0 + maj;

		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		s->h[i] += v[i];
}

static void sha256_init(struct sha256 *s)
{
	static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	memcpy(s->h, h0, sizeof(h0));
	s->len = 0;
}

static void sha256_update(struct sha256 *s, const uint8_t *p, size_t n)
{
	while (n) {
		size_t used = s->len % 64, take = 64 - used < n ? 64 - used : n;

		memcpy(s->buf + used, p, take);
		s->len += take;
		p += take;
		n -= take;
		if (s->len % 64 == 0)
			sha256_block(s, s->buf);
	}
}

static void sha256_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->len * 8;
	uint8_t pad = 0x80, zero = 0, lenbuf[8];

	sha256_update(s, &pad, 1);
	while (s->len % 64 != 56)
		sha256_update(s, &zero, 1);
	for (int i = 0; i < 8; i++)
		lenbuf[i] = bits >> (56 - 8 * i);
	sha256_update(s, lenbuf, 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = s->h[i] >> 24;
		out[4 * i + 1] = s->h[i] >> 16;
		out[4 * i + 2] = s->h[i] >> 8;
		out[4 * i + 3] = s->h[i];
	}
}

static int sha256_fd(int fd, uint64_t size, uint8_t out[32])
{
	_cleanup_free_ uint8_t *buf = malloc(1 << 16);
	struct sha256 s;
	uint64_t off = 0;

	if (!buf)
		return -ENOMEM;
	sha256_init(&s);
	while (off < size) {
		ssize_t n = pread(fd, buf, 1 << 16, off);

		if (n < 0)
			return negative_errno();
		if (n == 0)
			break;
		sha256_update(&s, buf, n);
		off += n;
	}
	sha256_final(&s, out);
	return 0;
}

/* ---- ELF build-id ---------------------------------------------------- */

/* Read the NT_GNU_BUILD_ID note of a 64-bit ELF file: length, 0 if none. */
static int elf_build_id(int fd, uint8_t *out, size_t out_len)
{
	Elf64_Ehdr eh;

	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 256)
		return 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint8_t notes[4096];

		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) != sizeof(ph))
			return 0;
		if (ph.p_type != PT_NOTE)
			continue;
		size_t len = ph.p_filesz < sizeof(notes) ? ph.p_filesz : sizeof(notes);
		ssize_t n = pread(fd, notes, len, ph.p_offset);
		if (n <= 0)
			continue;
		for (size_t off = 0; off + sizeof(Elf64_Nhdr) <= (size_t)n;) {
			Elf64_Nhdr nh;

			memcpy(&nh, notes + off, sizeof(nh));
			size_t name_off = off + sizeof(nh);
			size_t desc_off = name_off + ((nh.n_namesz + 3) & ~3u);
			size_t next = desc_off + ((nh.n_descsz + 3) & ~3u);
			if (next > (size_t)n || next <= off)
				break;
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp(notes + name_off, "GNU", 4) && nh.n_descsz <= out_len) {
				memcpy(out, notes + desc_off, nh.n_descsz);
				return nh.n_descsz;
			}
			off = next;
		}
	}
	return 0;
}

static int bytes_dup(ProtobufCBinaryData *b, const uint8_t *p, size_t n)
{
	b->data = malloc(n ? n : 1);
	if (!b->data)
		return -ENOMEM;
	memcpy(b->data, p, n);
	b->len = n;
	return 0;
}

int file_identity_collect(int fd, FileIdentity *id)
{
	struct stat st;
	uint8_t buf[64];
	int n, r;

	file_identity__init(id);
	if (fstat(fd, &st) < 0)
		return negative_errno();
	id->size = st.st_size;
	id->mtime_sec = st.st_mtim.tv_sec;
	id->mtime_nsec = st.st_mtim.tv_nsec;
	if (!S_ISREG(st.st_mode))
		return 0;
	n = elf_build_id(fd, buf, sizeof(buf));
	if (n > 0) {
		id->has_build_id = true;
		return bytes_dup(&id->build_id, buf, n);
	}
	if ((uint64_t)st.st_size > FILE_IDENTITY_DIGEST_MAX)
		return 0;
	r = sha256_fd(fd, st.st_size, buf);
	if (r < 0)
		return r;
	id->has_sha256 = true;
	return bytes_dup(&id->sha256, buf, 32);
}

void file_identity_clear(FileIdentity *id)
{
	free(id->build_id.data);
	free(id->sha256.data);
	id->build_id.data = id->sha256.data = NULL;
}

static bool bytes_equal(bool has_a, const ProtobufCBinaryData *a, bool has_b, const ProtobufCBinaryData *b)
{
	return has_a == has_b && (!has_a || (a->len == b->len && !memcmp(a->data, b->data, a->len)));
}

int file_identity_check(int fd, const FileIdentity *id, const char *path)
{
	_cleanup_(file_identity_clear) FileIdentity now;
	const char *what = NULL;
	int r;

	r = file_identity_collect(fd, &now);
	if (r < 0)
		return log_error_errno(r, "%s: cannot read the file to validate it", path);
	if (now.size != id->size)
		what = "size";
	else if (now.mtime_sec != id->mtime_sec || now.mtime_nsec != id->mtime_nsec)
		what = "modification time";
	else if (id->has_build_id && !bytes_equal(true, &id->build_id, now.has_build_id, &now.build_id))
		what = "ELF build-id";
	else if (id->has_sha256 && !bytes_equal(true, &id->sha256, now.has_sha256, &now.sha256))
		what = "content digest";
	if (!what)
		return 0;
	log_error("%s: not the file that was dumped (%s differs: size %llu, was %llu); "
		  "restore with --skip-file-validation to accept it", path, what,
		  (unsigned long long)now.size, (unsigned long long)id->size);
	return -ESTALE;
}

struct file_id_cache {
	struct file_id_slot {
		uint64_t dev, ino;
		FileIdentity *id;
	} *v;
	size_t n;
};

static int cached_identity(struct file_id_cache *c, int fd, FileIdentity **ret)
{
	struct stat st;
	struct file_id_slot *n;
	FileIdentity *id;
	int r;

	if (fstat(fd, &st) < 0)
		return negative_errno();
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].dev == st.st_dev && c->v[i].ino == st.st_ino) {
			*ret = c->v[i].id;
			return 0;
		}
	id = malloc(sizeof(*id));
	if (!id)
		return -ENOMEM;
	r = file_identity_collect(fd, id);
	n = r < 0 ? NULL : realloc(c->v, (c->n + 1) * sizeof(*n));
	if (!n) {
		file_identity_clear(id);
		free(id);
		return r < 0 ? r : -ENOMEM;
	}
	c->v = n;
	n[c->n++] = (struct file_id_slot){ .dev = st.st_dev, .ino = st.st_ino, .id = id };
	*ret = id;
	return 0;
}

int file_identity_of_mappings(struct file_id_cache **cache, int pid, VmaEntry **vmas, size_t n)
{
	if (!*cache && !(*cache = calloc(1, sizeof(**cache))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		VmaEntry *v = vmas[i];
		char path[96];

		if ((v->kind != VMA_KIND__VMA_FILE_PRIVATE && v->kind != VMA_KIND__VMA_FILE_SHARED) || !v->path)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", pid, (unsigned long long)v->start,
			 (unsigned long long)v->end);
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return log_error_errno(negative_errno(), "pid %d: cannot open %s (%s) to record its identity",
					       pid, path, v->path);
		int r = cached_identity(*cache, fd, &v->identity);
		if (r < 0)
			return log_error_errno(r, "pid %d: cannot record the identity of %s", pid, v->path);
	}
	return 0;
}

void file_identity_cache_free(struct file_id_cache *cache)
{
	if (!cache)
		return;
	for (size_t i = 0; i < cache->n; i++) {
		file_identity_clear(cache->v[i].id);
		free(cache->v[i].id);
	}
	free(cache->v);
	free(cache);
}
