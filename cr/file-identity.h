/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File validation: record enough about a file to refuse, at restore, a
 * different file at the same path (size, mtime, and the ELF build-id or a
 * SHA-256 of the content).  Used for opened files (fd-reg.c) and mapped
 * files (vma_entry.identity: dump_task_mm, restore-mem.c).
 */
#ifndef CRYO_FILE_IDENTITY_H
#define CRYO_FILE_IDENTITY_H

#include <stddef.h>
#include "proto/fd.pb-c.h"
#include "proto/mm.pb-c.h"

/* Files larger than this get size + mtime (+ build-id) only, no digest. */
#define FILE_IDENTITY_DIGEST_MAX	(64ull << 20)

/* Fill id (init'ed here; build_id/sha256 data malloc'ed) from the open file fd. */
int file_identity_collect(int fd, FileIdentity *id);
/* 0 if the open file fd matches id, -ESTALE (logged, naming path) if not. */
int file_identity_check(int fd, const FileIdentity *id, const char *path);
/* Release what collect allocated. */
void file_identity_clear(FileIdentity *id);

/*
 * Mapped files: set vmas[i]->identity of every file mapping of pid, read
 * through /proc/PID/map_files.  The identities live in *cache (one per
 * file, shared by all its mappings in the dump) until
 * file_identity_cache_free(), after the images are written.
 */
struct file_id_cache;
int file_identity_of_mappings(struct file_id_cache **cache, int pid, VmaEntry **vmas, size_t n);
void file_identity_cache_free(struct file_id_cache *cache);

#endif
