/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Collect: walk /proc/PID/fd of a stopped task, take a duplicate of each fd
 * (from the parasite, or with pidfd_getfd: struct fd_source), find sharing with kcmp(KCMP_FILE), hand each new open
 * file description to its kind; then write files.img and fds-PID.img.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kcmp.h>
#include "fds.h"
#include "image.h"
#include "log.h"
#include "util.h"
#include "fds-internal.h"

static int read_text(const char *path, char **ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return negative_errno();
	for (;;) {
		if (cap - len < 4096) {
			char *n = realloc(buf, cap + 65536);
			if (!n)
				return -ENOMEM;
			buf = n;
			cap += 65536;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0)
			return negative_errno();
		if (r == 0)
			break;
		len += r;
	}
	buf[len] = 0;
	*ret = TAKE_PTR(buf);
	return 0;
}

/* The description of local_fd if one was collected already (kcmp says same file). */
static struct dump_file *find_shared(struct fd_ctx *ctx, int local_fd, const struct stat *st)
{
	pid_t self = getpid();

	for (size_t i = 0; i < ctx->nr_files; i++) {
		struct stat o;

		if (fstat(ctx->files[i].local_fd, &o) < 0 || o.st_ino != st->st_ino || o.st_dev != st->st_dev)
			continue;
		if (syscall(SYS_kcmp, self, self, KCMP_FILE, local_fd, ctx->files[i].local_fd) == 0)
			return &ctx->files[i];
	}
	return NULL;
}

static int probe_fd(int pid, int fd, int local_fd, struct fd_probe *p, char **ret_fdinfo)
{
	char path[64];
	uint64_t v;
	ssize_t n;
	int r;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->fd = fd;
	p->local_fd = local_fd;
	p->sk_family = p->sk_type = p->sk_protocol = -1;
	if (fstat(local_fd, &p->st) < 0)
		return negative_errno();
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	n = readlink(path, p->link, sizeof(p->link) - 1);
	if (n < 0)
		return negative_errno();
	p->link[n] = 0;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	r = read_text(path, ret_fdinfo);
	if (r < 0)
		return r;
	p->fdinfo = *ret_fdinfo;
	if (fdinfo_u64(p->fdinfo, "flags", 8, &v) < 0 || fdinfo_u64(p->fdinfo, "pos", 10, &p->pos) < 0)
		return -EBADMSG;
	p->cloexec = v & O_CLOEXEC;
	p->flags = v & ~(uint64_t)O_CLOEXEC;
	if (S_ISSOCK(p->st.st_mode)) {
		socklen_t len = sizeof(int);
		getsockopt(local_fd, SOL_SOCKET, SO_DOMAIN, &p->sk_family, &len);
		len = sizeof(int);
		getsockopt(local_fd, SOL_SOCKET, SO_TYPE, &p->sk_type, &len);
		len = sizeof(int);
		getsockopt(local_fd, SOL_SOCKET, SO_PROTOCOL, &p->sk_protocol, &len);
	}
	return 0;
}

/* The SIGIO owner and signal belong to the open file description. */
static int collect_owner(const struct fd_probe *p, FileEntry *e)
{
	struct f_owner_ex owner = { 0 };
	int sig;

	if (p->flags & O_PATH)	/* no owner, and fcntl refuses to say so */
		return 0;
	if (fcntl(p->local_fd, F_GETOWN_EX, &owner) < 0)
		return negative_errno();
	sig = fcntl(p->local_fd, F_GETSIG);
	if (sig < 0)
		return negative_errno();
	if (owner.pid) {
		e->has_fown_type = e->has_fown_pid = true;
		e->fown_type = owner.type;
		e->fown_pid = owner.pid;
	}
	if (sig) {
		e->has_fown_signum = true;
		e->fown_signum = sig;
	}
	return 0;
}

static int collect_file(struct fd_ctx *ctx, const struct fd_probe *p, uint32_t *ret_id)
{
	const struct fd_kind_ops *ops = fd_inherit_is_external(ctx, p) ? &fd_inherit_ops : fd_kind_by_probe(p);
	struct dump_file *shared, *nf;
	FileEntry *e;
	char what[128];
	int r;

	shared = find_shared(ctx, p->local_fd, &p->st);
	if (shared) {
		*ret_id = shared->e->id;
		return 0;
	}
	if (!ops) {
		fd_probe_describe(p, what, sizeof(what));
		log_error("pid %d fd %d: %s is not supported", p->pid, p->fd, what);
		return -EOPNOTSUPP;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	file_entry__init(e);
	e->kind = ops->kind;
	e->flags = p->flags;
	e->has_pos = true;
	e->pos = p->pos;
	r = collect_owner(p, e);
	if (r >= 0)
		r = ops->collect(ctx, p, e);
	if (r < 0) {
		protobuf_c_message_free_unpacked(&e->base, NULL);
		if (r == -EOPNOTSUPP)	/* a refusal: the kind said why */
			return r;
		return log_error_errno(r, "pid %d fd %d: cannot collect %s (%s)", p->pid, p->fd, ops->name, p->link);
	}
	nf = grow(ctx->files, ctx->nr_files, sizeof(*nf));
	if (!nf) {
		protobuf_c_message_free_unpacked(&e->base, NULL);
		return -ENOMEM;
	}
	ctx->files = nf;
	/* the id only now: a kind's collect may have collected files itself (fds in flight) */
	e->id = ctx->nr_files + 1;
	nf[ctx->nr_files].e = e;
	nf[ctx->nr_files].pid = p->pid;
	nf[ctx->nr_files].fd = p->fd;
	nf[ctx->nr_files].local_fd = fcntl(p->local_fd, F_DUPFD_CLOEXEC, 3);
	if (nf[ctx->nr_files].local_fd < 0) {
		protobuf_c_message_free_unpacked(&e->base, NULL);
		return negative_errno();
	}
	ctx->nr_files++;
	*ret_id = e->id;
	return 0;
}

int fd_ctx_collect_in_flight(struct fd_ctx *ctx, int local_fd, uint32_t *ret_id)
{
	_cleanup_free_ char *fdinfo = NULL;
	struct fd_probe p;
	int r;

	if (ctx->in_flight_depth > 0) {
		log_error("an fd in flight carries fds in flight itself; not supported");
		return -EOPNOTSUPP;
	}
	r = probe_fd(getpid(), local_fd, local_fd, &p, &fdinfo);
	if (r < 0)
		return r;
	ctx->in_flight_depth++;
	r = collect_file(ctx, &p, ret_id);
	ctx->in_flight_depth--;
	return r;
}

static int add_fd_entry(struct dump_task *t, int fd, uint32_t id, bool cloexec)
{
	FdEntry **n = grow(t->fds, t->nr_fds, sizeof(*n));
	FdEntry *fe;

	if (!n)
		return -ENOMEM;
	t->fds = n;
	fe = calloc(1, sizeof(*fe));
	if (!fe)
		return -ENOMEM;
	fd_entry__init(fe);
	fe->fd = fd;
	fe->file_id = id;
	fe->has_cloexec = true;
	fe->cloexec = cloexec;
	t->fds[t->nr_fds++] = fe;
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The fd numbers of pid, sorted. */
static int list_task_fds(int pid, int **ret, size_t *ret_nr)
{
	_cleanup_closedir_ DIR *dir = NULL;
	_cleanup_free_ int *fds = NULL;
	size_t nr = 0;
	char path[64];
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return log_error_errno(negative_errno(), "pid %d: cannot list %s", pid, path);
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		int *n = grow(fds, nr, sizeof(int));
		if (!n)
			return -ENOMEM;
		fds = n;
		fds[nr++] = atoi(de->d_name);
	}
	qsort(fds, nr, sizeof(int), cmp_int);
	*ret = TAKE_PTR(fds);
	*ret_nr = nr;
	return 0;
}

/* From /proc/PID/stat: the parent, and a session leader's controlling terminal. */
static int read_stat(struct fd_ctx *ctx, int pid, int *ret_ppid)
{
	char path[64], *buf = NULL, *close_paren;
	int ppid = 0, sid = 0, tty_nr = 0, tpgid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_text(path, &buf) < 0)
		return 0;
	/* the command name may hold anything: fields start after the last ')' */
	close_paren = strrchr(buf, ')');
	if (!close_paren || sscanf(close_paren + 1, " %*c %d %*d %d %d %d", &ppid, &sid, &tty_nr, &tpgid) != 4)
		ppid = sid = tty_nr = 0;
	free(buf);
	*ret_ppid = ppid;
	if (sid != pid || !tty_nr)
		return 0;
	struct dump_ctty *n = grow(ctx->cttys, ctx->nr_cttys, sizeof(*n));
	if (!n)
		return -ENOMEM;
	ctx->cttys = n;
	n[ctx->nr_cttys++] = (struct dump_ctty){ .sid = sid, .tty_nr = (dev_t)(unsigned)tty_nr, .fg_pgrp = tpgid };
	return 0;
}

/* The fallback source: pidfd_getfd, which needs no parasite. */
static int take_by_pidfd(void *opaque, const int *fds, size_t nr, int *ret_local)
{
	int pidfd = *(int *)opaque;

	for (size_t i = 0; i < nr; i++) {
		ret_local[i] = (int)syscall(SYS_pidfd_getfd, pidfd, fds[i], 0);
		if (ret_local[i] < 0) {
			int r = negative_errno();
			for (size_t j = 0; j < i; j++)
				close(ret_local[j]);
			return log_error_errno(r, "fd %d: pidfd_getfd", fds[i]);
		}
	}
	return 0;
}

int fds_collect_task(struct fd_ctx *ctx, int pid)
{
	_cleanup_close_ int pidfd = syscall(SYS_pidfd_open, pid, 0);
	struct fd_source src = { .opaque = &pidfd, .take = take_by_pidfd, .skip_fd = -1 };

	if (pidfd < 0)
		return log_error_errno(negative_errno(), "pid %d: pidfd_open", pid);
	return fds_collect_task_from(ctx, pid, &src);
}

static int collect_one(struct fd_ctx *ctx, struct dump_task *t, int fd, int local)
{
	_cleanup_free_ char *fdinfo = NULL;
	struct fd_probe p;
	uint32_t id;
	int r;

	if (fd <= 2 && ctx->opts.inherit_tty_stdio && isatty(local)) {
		log_debug("pid %d fd %d: the shell job's terminal, inherited at restore", t->pid, fd);
		return 0;
	}
	r = probe_fd(t->pid, fd, local, &p, &fdinfo);
	if (r < 0)
		return log_error_errno(r, "pid %d fd %d: cannot read its /proc entries", t->pid, fd);
	r = collect_file(ctx, &p, &id);
	if (r >= 0)
		r = fd_locks_collect(ctx, &p, ctx->files[id - 1].e);
	if (r < 0)
		return r;
	r = add_fd_entry(t, fd, id, p.cloexec);
	if (r < 0)
		return r;
	log_debug("pid %d fd %d: file %u (%s)", t->pid, fd, id, p.link);
	return 0;
}

/* Without the fd that is not the task's own. */
static size_t drop_fd(int *fds, size_t nr, int skip)
{
	size_t n = 0;

	for (size_t i = 0; i < nr; i++)
		if (fds[i] != skip)
			fds[n++] = fds[i];
	return n;
}

int fds_collect_task_from(struct fd_ctx *ctx, int pid, const struct fd_source *src)
{
	_cleanup_free_ int *fds = NULL;
	int local[FD_SOURCE_BATCH];
	struct dump_task *t;
	size_t nr = 0;
	int r;

	r = list_task_fds(pid, &fds, &nr);
	if (r < 0)
		return r;
	nr = drop_fd(fds, nr, src->skip_fd);
	t = grow(ctx->tasks, ctx->nr_tasks, sizeof(*t));
	if (!t)
		return -ENOMEM;
	ctx->tasks = t;
	t = &ctx->tasks[ctx->nr_tasks++];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	r = read_stat(ctx, pid, &t->ppid);
	if (r < 0)
		return r;

	/* In batches: the duplicates of a whole table could exceed our fd limit. */
	for (size_t done = 0; done < nr;) {
		size_t n = nr - done < FD_SOURCE_BATCH ? nr - done : FD_SOURCE_BATCH;

		r = src->take(src->opaque, fds + done, n, local);
		if (r < 0)
			return log_error_errno(r, "pid %d: cannot take its fds", pid);
		r = 0;
		for (size_t i = 0; i < n; i++) {
			if (r >= 0)
				r = collect_one(ctx, t, fds[done + i], local[i]);
			close(local[i]);
		}
		if (r < 0)
			return r;
		done += n;
	}
	return 0;
}

/*
 * What must be created once for the whole tree: a file, or both ends of a
 * pipe (one pipe() makes them), or both ends of a unix socketpair.
 */
static uint64_t sharing_unit(const struct fd_ctx *ctx, const FileEntry *e);

/* A unix client waiting in accept(): made by its listener's restore, so one unit with it. */
static const FileEntry *waiting_listener(const struct fd_ctx *ctx, const FileEntry *e)
{
	if (!e->unix_sk || !e->unix_sk->queued)
		return NULL;
	for (size_t i = 0; i < ctx->nr_files; i++) {
		const UnixFile *l = ctx->files[i].e->unix_sk;
		for (size_t j = 0; l && j < l->n_waiting; j++)
			if (l->waiting[j] == e->unix_sk->ino)
				return ctx->files[i].e;
	}
	return NULL;
}

static uint64_t sharing_unit(const struct fd_ctx *ctx, const FileEntry *e)
{
	const FileEntry *l = waiting_listener(ctx, e);

	if (l)
		return sharing_unit(ctx, l);
	if (e->pipe)
		return e->pipe->pipe_ino << 1 | 1;
	if (e->tty)	/* both ends of a pty: the restore makes the pair once */
		return ((uint64_t)e->tty->index | 1ull << 62) << 1 | 1;
	/* both ends of a socketpair (or accepted connection) are made at once */
	if (e->unix_sk && e->unix_sk->peer_ino && !e->unix_sk->has_peer_name)
		return (e->unix_sk->ino < e->unix_sk->peer_ino ? e->unix_sk->ino : e->unix_sk->peer_ino) << 1 | 1;
	return (uint64_t)e->id << 1;	/* inode numbers and ids never mix: low bit */
}

static bool task_uses(const struct fd_ctx *ctx, const struct dump_task *t, uint64_t unit)
{
	for (size_t i = 0; i < t->nr_fds; i++)
		if (sharing_unit(ctx, ctx->files[t->fds[i]->file_id - 1].e) == unit)
			return true;
	return false;
}

static bool task_has_file(const struct dump_task *t, uint32_t id)
{
	for (size_t i = 0; i < t->nr_fds; i++)
		if (t->fds[i]->file_id == id)
			return true;
	return false;
}

/* The listener's waiting clients are made by its restore: the topmost task
 * of their unit must hold the listener itself. */
static int check_unit_root(const FileEntry *e, const struct dump_task *root)
{
	if (!e->unix_sk || !e->unix_sk->n_waiting || task_has_file(root, e->id))
		return 0;
	log_error("pid %d: has a unix client waiting in accept() on a listener only its descendants have; not supported",
		  root->pid);
	return -EOPNOTSUPP;
}

static const struct dump_task *find_task(const struct fd_ctx *ctx, int pid)
{
	for (size_t i = 0; i < ctx->nr_tasks; i++)
		if (ctx->tasks[i].pid == pid)
			return &ctx->tasks[i];
	return NULL;
}

/*
 * The restore shares a file (or a pipe, or a socketpair) between tasks by
 * inheritance: the topmost task that has it makes it, its children inherit
 * it.  So every task that has a shared one must have a parent that has it
 * too, except one.
 */
static int check_sharing_follows_tree(const struct fd_ctx *ctx)
{
	for (size_t f = 0; f < ctx->nr_files; f++) {
		uint64_t unit = sharing_unit(ctx, ctx->files[f].e);
		int root = 0;
		const struct dump_task *root_task = NULL;

		for (size_t i = 0; i < ctx->nr_tasks; i++) {
			const struct dump_task *t = &ctx->tasks[i], *parent;

			if (!task_uses(ctx, t, unit))
				continue;
			parent = find_task(ctx, t->ppid);
			if (parent && task_uses(ctx, parent, unit))
				continue;
			if (root) {
				log_error("pid %d fd %d: %s shared by pid %d and pid %d, which did not both inherit it from a dumped parent that has it; not supported",
					  ctx->files[f].pid, ctx->files[f].fd, fd_kind_by_id(ctx->files[f].e->kind)->name,
					  root, t->pid);
				return -EOPNOTSUPP;
			}
			root = t->pid;
			root_task = t;
		}
		if (root_task && check_unit_root(ctx->files[f].e, root_task) < 0)
			return -EOPNOTSUPP;
	}
	return 0;
}

/* Checks that need every task collected (a socket's peer in the dump). */
static int check_collected(struct fd_ctx *ctx)
{
	int r = check_sharing_follows_tree(ctx);

	if (r >= 0)
		r = fd_tty_check_cttys(ctx);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ctx->nr_files; i++) {
		const struct fd_kind_ops *ops = fd_kind_by_id(ctx->files[i].e->kind);

		if (!ops->check)
			continue;
		r = ops->check(ctx, ctx->files[i].e, ctx->files[i].pid, ctx->files[i].fd);
		if (r < 0)
			return r;
	}
	return 0;
}

int fds_write_images(struct fd_ctx *ctx, struct img_dir *d)
{
	struct img *img;
	int r;

	r = check_collected(ctx);
	if (r < 0)
		return r;
	r = img_open(d, IMG_FILES, true, &img);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ctx->nr_files && r >= 0; i++)
		r = img_write(img, &ctx->files[i].e->base);
	if (r < 0) {
		img_close(img);
		return r;
	}
	r = img_close(img);
	if (r < 0)
		return r;
	for (size_t t = 0; t < ctx->nr_tasks; t++) {
		r = img_open(d, IMG_FDS, true, &img, ctx->tasks[t].pid);
		if (r < 0)
			return r;
		for (size_t i = 0; i < ctx->tasks[t].nr_fds && r >= 0; i++)
			r = img_write(img, &ctx->tasks[t].fds[i]->base);
		if (r < 0) {
			img_close(img);
			return r;
		}
		r = img_close(img);
		if (r < 0)
			return r;
	}
	return 0;
}


int fds_prepare_kill(struct fd_ctx *ctx)
{
	int on = TCP_REPAIR_ON, off = TCP_REPAIR_OFF;
	size_t i;

	for (i = 0; i < ctx->nr_files; i++) {
		const FileEntry *e = ctx->files[i].e;

		if (!e->inet || !e->inet->tcp)
			continue;
		/* a socket in repair mode is closed silently */
		if (setsockopt(ctx->files[i].local_fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) < 0)
			break;
	}
	if (i == ctx->nr_files)
		return 0;
	int r = log_error_errno(negative_errno(), "pid %d fd %d: TCP_REPAIR before the kill",
				ctx->files[i].pid, ctx->files[i].fd);
	/* the tree runs on: its connections leave repair mode again */
	while (i-- > 0)
		if (ctx->files[i].e->inet && ctx->files[i].e->inet->tcp)
			setsockopt(ctx->files[i].local_fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off));
	return r;
}
