/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsers for /proc/PID files the dumper reads: stat, status, task/, maps, auxv. */
#ifndef CRYO_PROC_PARSE_H
#define CRYO_PROC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The fields of /proc/PID[/task/TID]/stat the dumper uses. */
struct proc_stat {
	char comm[32];
	char state;		/* R S D T t Z X ... */
	pid_t ppid, pgid, sid;
	int num_threads;
	int exit_signal;
	uint64_t start_code, end_code, start_stack;
	uint64_t start_data, end_data, start_brk;
	uint64_t arg_start, arg_end, env_start, env_end;
	int exit_code;		/* wait status of a zombie */
};

struct proc_status {
	pid_t tgid, ppid, tracer;
	uint64_t sig_blocked;
	unsigned umask;
	char uid[64], gid[64];	/* the four ids as in the file: "0\t0\t0\t0" */
	char groups[256];
	int seccomp;		/* 0 none, 1 strict, 2 filter */
	int no_new_privs;
	uint64_t rss_anon;	/* RssAnon in bytes (0 without: a zombie, a kernel thread) */
};

/* VMA from /proc/PID/maps. */
struct proc_vma {
	uint64_t start, end, pgoff;
	unsigned prot;		/* PROT_* */
	bool shared;		/* 's' in the flags column */
	unsigned dev_major, dev_minor;
	uint64_t ino;
	char *path;		/* path or [name] column, NULL if empty */
	/* from /proc/PID/map_files (file-backed areas only) */
	uint64_t mf_dev, mf_ino;
	bool has_map_file;
	/* from /proc/PID/smaps VmFlags (proc_parse_vmflags) */
	unsigned vmflags;	/* PROC_VM_* */
};

#define PROC_VM_GROWSDOWN	(1u << 0)	/* gd */
#define PROC_VM_DONTFORK	(1u << 1)	/* dc */
#define PROC_VM_WIPEONFORK	(1u << 2)	/* wf */
#define PROC_VM_DONTDUMP	(1u << 3)	/* dd */
#define PROC_VM_HUGEPAGE	(1u << 4)	/* hg */
#define PROC_VM_NOHUGEPAGE	(1u << 5)	/* nh */
#define PROC_VM_MERGEABLE	(1u << 6)	/* mg */
#define PROC_VM_LOCKED		(1u << 7)	/* lo */
#define PROC_VM_SEQ_READ	(1u << 8)	/* sr */
#define PROC_VM_RAND_READ	(1u << 9)	/* rr */

struct proc_vmas {
	struct proc_vma *v;
	size_t n;
};

/* tid == 0: the process' stat; otherwise the thread's. */
int proc_parse_stat(pid_t pid, pid_t tid, struct proc_stat *ret);
int proc_parse_status(pid_t pid, pid_t tid, struct proc_status *ret);
/* Sorted list of the TIDs in /proc/PID/task. */
int proc_list_tasks(pid_t pid, pid_t **ret, size_t *ret_n);
/* Sorted list of the processes whose parent is PID (scans /proc: no task/children here). */
int proc_list_children(pid_t pid, pid_t **ret, size_t *ret_n);
int proc_parse_maps(pid_t pid, struct proc_vmas *ret);
/* Fill vmflags of each VMA from /proc/PID/smaps (same address space, task stopped). */
int proc_parse_vmflags(pid_t pid, struct proc_vmas *v);
void proc_vmas_free(struct proc_vmas *v);
/* auxv words (pairs), without the trailing AT_NULL pair. */
int proc_read_auxv(pid_t pid, uint64_t **ret, size_t *ret_n);
/* Read a small /proc file into a NUL-terminated string with trailing newline stripped. */
int proc_read_small(const char *path, char *buf, size_t size);

#endif
