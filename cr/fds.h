/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File descriptors: collect the fd table of a stopped task (a duplicate of
 * each fd from the parasite or pidfd_getfd, /proc/PID/fdinfo most kernel
 * state), write it as images, and recreate it in the current
 * process.
 *
 * Two images: files.img holds one file_entry per open file description
 * (its id is the sharing key: every fd, in any task, that refers to the same
 * description names the same id) and fds-PID.img one fd_entry per fd.
 *
 * Each kind of file is one fd-KIND.c file exporting one struct fd_kind_ops,
 * listed once in the table in fds-kinds.c.
 */
#ifndef CRYO_FDS_H
#define CRYO_FDS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include "proto/fd.pb-c.h"

struct img_dir;

/* What the driver learns about one fd before choosing its kind. */
struct fd_probe {
	int pid;		/* the task */
	int fd;			/* fd number in the task */
	int local_fd;		/* our duplicate (fd_source): same open file description */
	struct stat st;		/* fstat of local_fd */
	char link[4096];	/* readlink of /proc/PID/fd/N */
	const char *fdinfo;	/* text of /proc/PID/fdinfo/N */
	unsigned flags;		/* O_* from fdinfo, without O_CLOEXEC */
	bool cloexec;
	uint64_t pos;
	int sk_family, sk_type, sk_protocol;	/* sockets only (else -1) */
};

struct fd_opts {
	uint64_t ghost_limit;		/* max bytes of an unlinked file's content (0: default 1 MiB) */
	bool skip_validation;		/* restore: accept files that differ from the dumped ones */
	bool inherit_tty_stdio;		/* dump (--shell-job): fds 0-2 on a terminal are not
					 * collected; restore gives the caller's instead */
	bool file_locks;		/* dump: record file locks (else refuse them); restore: take them */
	bool tcp_established;		/* dump and restore established TCP connections
					 * (--tcp-established); without it they are refused */
	bool ext_unix_sk;		/* dump: a unix dgram socket connected to a bound socket
					 * outside the dump connects to that name again at
					 * restore (--ext-unix-sk); without it it is refused */
	/* dump: files outside the dump, by what /proc/PID/fd/N reads
	 * ("pipe:[123]"): every fd on one of them is saved as inherited */
	const char *const *external;
	size_t nr_external;
	/* restore: the caller's fds for the inherited files (--inherit-fd) */
	const struct fd_inherit *inherit;
	size_t nr_inherit;
};

/* --inherit-fd fd[N]:KEY: the caller's fd N stands for the inherited file KEY. */
struct fd_inherit {
	int fd;
	const char *key;
};

struct fd_ctx;

#define FD_STAGES 9

struct fd_kind_ops {
	const char *name;
	FdKind kind;
	/*
	 * Restore stage (0 .. FD_STAGES - 1): every file of a stage is at its
	 * final numbers before the next stage starts.  0: files that need
	 * nothing else; 1: connected unix sockets (fds in flight may be fds of
	 * stage 0, shared), established TCP; 2: bound unix sockets and
	 * listeners (after the connections accepted from them, which borrow
	 * their name); 3: unix clients waiting in a listener's accept queue,
	 * dgram sockets connected to a bound one; 4: epoll (watches are keyed
	 * by fd number); 5..8: epolls watching epolls, by nesting depth.
	 * This is the kind's dependency declaration for a restore plan.  file_stage, if set, decides per file.
	 */
	int stage;
	int (*file_stage)(const FileEntry *e);
	bool (*match)(const struct fd_probe *p);
	/* Fill e's kind-specific part (all malloc'ed); flags and pos are already set. */
	int (*collect)(struct fd_ctx *ctx, const struct fd_probe *p, FileEntry *e);
	/* Optional: once every task is collected (before the images are
	 * written), refuse what needs something outside the dump; pid/fd: where
	 * the file was first seen. */
	int (*check)(struct fd_ctx *ctx, const FileEntry *e, int pid, int fd);
	/* Open a new file equal to e in the current process; *ret_fd anywhere. */
	int (*restore)(struct fd_ctx *ctx, const FileEntry *e, int *ret_fd);
	/* Restored by fds_restore_task_late(), once every task of the tree
	 * exists (a pidfd of a task of the tree), not inherited by children. */
	bool late;
};

/* The table (fds-kinds.c). */
const struct fd_kind_ops *fd_kind_by_probe(const struct fd_probe *p);
const struct fd_kind_ops *fd_kind_by_id(FdKind kind);
/* The restore stage of a file (its kind's, or the kind's file_stage()). */
int fd_file_stage(const FileEntry *fe);
/* A short name for an fd no kind handles ("fanotify", "tty", "unix socket"). */
void fd_probe_describe(const struct fd_probe *p, char *buf, size_t len);

/* ---- driver ---------------------------------------------------------- */

int fd_ctx_new(const struct fd_opts *opts, struct fd_ctx **ret);
void fd_ctx_free(struct fd_ctx *ctx);
const struct fd_opts *fd_ctx_opts(const struct fd_ctx *ctx);

/*
 * Collect every fd of pid (which must be stopped: SIGSTOP, ptrace or
 * freezer) into ctx.  Sharing with fds already collected, in this or an
 * earlier task, is found with kcmp(KCMP_FILE).  The task is left exactly as
 * it was.  An fd of an unsupported kind fails the whole call with an error
 * naming pid, fd and kind.
 */
int fds_collect_task(struct fd_ctx *ctx, int pid);
/*
 * Where the duplicates of a task's fds come from.  fds_collect_task() takes
 * them with pidfd_getfd (the fallback, for tasks without a parasite); the
 * dump takes them from its parasite (SCM_RIGHTS, parasite-host.h).
 */
struct fd_source {
	void *opaque;
	/* Duplicates (O_CLOEXEC) of fds[0..nr) of the task, in order, into
	 * ret_local[]; nr <= FD_SOURCE_BATCH.  On failure none are left open. */
	int (*take)(void *opaque, const int *fds, size_t nr, int *ret_local);
	int skip_fd;		/* an fd of the task that is not its own (the parasite's), or -1 */
};
#define FD_SOURCE_BATCH 256
int fds_collect_task_from(struct fd_ctx *ctx, int pid, const struct fd_source *src);
/* Write files.img and fds-PID.img for every task collected, after the
 * checks that need the whole dump (a unix socket's peer must be in it). */
int fds_write_images(struct fd_ctx *ctx, struct img_dir *d);

/*
 * After a dump that kills the tasks: put every established TCP socket
 * collected in ctx in repair mode, so that the kill sends neither FIN nor
 * RST (the connections live on in the restore).  Call with the network
 * locked, before the kill.  On failure none is left in repair mode.
 */
int fds_prepare_kill(struct fd_ctx *ctx);

/* Restore side: load files.img into a new ctx. */
int fds_load_images(struct img_dir *d, const struct fd_opts *opts, struct fd_ctx **ret);
/* Read fds-PID.img into ctx (checked against files.img).  Close the image
 * directory afterwards if its fd could sit at a number the task uses. */
int fds_read_task(struct fd_ctx *ctx, struct img_dir *d, int pid);
/*
 * Recreate every fd of the task read last (fds_read_task) in the current
 * process, each at its number with its status flags, FD_CLOEXEC, offset
 * and sharing (fds of this task that share a description get one
 * description).  Fds of the current process at those numbers are replaced;
 * others are left alone.
 *
 * Sharing across processes: restore the parent, fork, and call
 * fds_read_task + fds_restore_task for the child with the same ctx (the
 * child's copy): files the child shares with the parent are taken from the
 * inherited fds (same open file description), and inherited fds the child
 * does not have are closed.  Restore every task of the tree this way, from
 * the root down (a plan dependency: a shared file's owner first).
 */
int fds_restore_task(struct fd_ctx *ctx);
/*
 * In the same task, once every task of the tree exists with its session
 * and process group: the files of "late" kinds (pidfds), and the
 * controlling terminal of a session leader with its foreground group.
 */
int fds_restore_task_late(struct fd_ctx *ctx);

/*
 * The POSIX record locks the last fds_restore_task took (the task's own),
 * each through one of its fds.  Closing any fd of a file drops them, and the
 * restorer blob closes the fds it mapped files through after: it takes these
 * again once it did (restorer/restorer-args.h: rst_lock).  Valid until the
 * next fds_restore_task or fd_ctx_free.
 */
struct fd_posix_lock {
	int fd;
	bool write;
	uint64_t start;
	uint64_t len;	/* 0: to EOF and beyond */
};
size_t fds_task_posix_locks(const struct fd_ctx *ctx, const struct fd_posix_lock **ret);

/* For kinds: task_fd if that fd of the task being restored is already at
 * its number (its file belongs to an earlier stage), else < 0. */
int fd_ctx_task_fd_restored(struct fd_ctx *ctx, int task_fd);
/* Collect of a socket: collect a file found in flight (SCM_RIGHTS), local_fd
 * being our copy of it; its id (shared with the task's fds if it is one of
 * theirs). */
int fd_ctx_collect_in_flight(struct fd_ctx *ctx, int local_fd, uint32_t *ret_id);
/* Restore of a socket: an fd for file id to send in flight: the task's own
 * if it has one in place already (shared description), else a new one.
 * *ret_owned: the caller closes it. */
int fd_ctx_file_for_send(struct fd_ctx *ctx, uint32_t id, int *ret_fd, bool *ret_owned);
/* Restore of a pipe: the other end of pipe ino if it was made already
 * (taken: the caller owns it), else -1; and leaving an end for later. */
int fd_ctx_take_pipe_end(struct fd_ctx *ctx, uint64_t ino, bool want_write);
int fd_ctx_put_pipe_end(struct fd_ctx *ctx, uint64_t ino, bool is_write, int fd);
/* Collect of a pipe: true the first time ino is seen (that end carries the data). */
bool fd_ctx_pipe_first_seen(struct fd_ctx *ctx, uint64_t ino);

/* The file entries (index 0..n-1, id = index + 1): files.img on the restore
 * side, the files collected so far on the dump side. */
size_t fd_ctx_nr_files(const struct fd_ctx *ctx);
const FileEntry *fd_ctx_file(const struct fd_ctx *ctx, size_t idx);

/* fdinfo helpers: the value after "key:" as a number (base 0 unless given). */
int fdinfo_u64(const char *fdinfo, const char *key, int base, uint64_t *ret);
/* fdinfo's f_handle: n bytes in hex into ret (malloc'ed). */
int fdinfo_hex_bytes(const char *s, size_t n, ProtobufCBinaryData *ret);
/* A directory fd on a mount of the filesystem whose device fdinfo prints as
 * sdev (major << 20 | minor); an O_PATH fd of the inode with that handle on it. */
int fd_open_mount_of_sdev(uint32_t sdev);
int fd_open_by_handle(uint32_t sdev, int handle_type, const ProtobufCBinaryData *handle);

/* fd-inherit.c: true if p is on a file ctx's options name as outside the dump. */
bool fd_inherit_is_external(const struct fd_ctx *ctx, const struct fd_probe *p);
/* "fd[N]:KEY" split in place; -EINVAL (logged) when malformed. */
int fd_inherit_parse(char *arg, struct fd_inherit *ret);
/* "fd[KEY]" (dump: --external fd[KEY]): 1 with *key set, 0 when arg is
 * another kind of external, -EINVAL (logged) when malformed. */
int fd_external_parse(char *arg, const char **key);

/* The kinds. */
extern const struct fd_kind_ops fd_reg_ops, fd_pipe_ops, fd_fifo_ops, fd_eventfd_ops,
	fd_signalfd_ops, fd_timerfd_ops, fd_epoll_ops, fd_memfd_ops, fd_pidfd_ops, fd_inet_ops, fd_unix_ops, fd_inotify_ops;
extern const struct fd_kind_ops fd_inherit_ops;
extern const struct fd_kind_ops fd_tty_ops, fd_fanotify_ops;

#endif
