/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Collect: walk /proc/PID/fd of a stopped task, take a duplicate of each fd
 * with pidfd_getfd, find sharing with kcmp(KCMP_FILE), hand each new open
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

static int read_ppid(int pid)
{
	char path[64], *buf = NULL, *close_paren;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_text(path, &buf) < 0)
		return 0;
	/* the command name may hold anything: fields start after the last ')' */
	close_paren = strrchr(buf, ')');
	if (!close_paren || sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
		ppid = 0;
	free(buf);
	return ppid;
}

int fds_collect_task(struct fd_ctx *ctx, int pid)
{
	_cleanup_close_ int pidfd = syscall(SYS_pidfd_open, pid, 0);
	_cleanup_free_ int *fds = NULL;
	struct dump_task *t;
	size_t nr = 0;
	int r;

	if (pidfd < 0)
		return log_error_errno(negative_errno(), "pid %d: pidfd_open", pid);
	r = list_task_fds(pid, &fds, &nr);
	if (r < 0)
		return r;
	t = grow(ctx->tasks, ctx->nr_tasks, sizeof(*t));
	if (!t)
		return -ENOMEM;
	ctx->tasks = t;
	t = &ctx->tasks[ctx->nr_tasks++];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->ppid = read_ppid(pid);

	for (size_t i = 0; i < nr; i++) {
		_cleanup_close_ int local = syscall(SYS_pidfd_getfd, pidfd, fds[i], 0);
		_cleanup_free_ char *fdinfo = NULL;
		struct fd_probe p;
		uint32_t id;

		if (local < 0)
			return log_error_errno(negative_errno(), "pid %d fd %d: pidfd_getfd", pid, fds[i]);
		if (fds[i] <= 2 && ctx->opts.inherit_tty_stdio && isatty(local)) {
			log_debug("pid %d fd %d: the shell job's terminal, inherited at restore", pid, fds[i]);
			continue;
		}
		r = probe_fd(pid, fds[i], local, &p, &fdinfo);
		if (r < 0)
			return log_error_errno(r, "pid %d fd %d: cannot read its /proc entries", pid, fds[i]);
		r = collect_file(ctx, &p, &id);
		if (r < 0)
			return r;
		r = add_fd_entry(t, fds[i], id, p.cloexec);
		if (r < 0)
			return r;
		log_debug("pid %d fd %d: file %u (%s)", pid, fds[i], id, p.link);
	}
	return 0;
}

/*
 * What must be created once for the whole tree: a file, or both ends of a
 * pipe (one pipe() makes them), or both ends of a unix socketpair.
 */
static uint64_t sharing_unit(const FileEntry *e)
{
	if (e->pipe)
		return e->pipe->pipe_ino << 1 | 1;
	if (e->unix_sk && e->unix_sk->peer_ino)
		return (e->unix_sk->ino < e->unix_sk->peer_ino ? e->unix_sk->ino : e->unix_sk->peer_ino) << 1 | 1;
	return (uint64_t)e->id << 1;	/* inode numbers and ids never mix: low bit */
}

static bool task_uses(const struct fd_ctx *ctx, const struct dump_task *t, uint64_t unit)
{
	for (size_t i = 0; i < t->nr_fds; i++)
		if (sharing_unit(ctx->files[t->fds[i]->file_id - 1].e) == unit)
			return true;
	return false;
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
		uint64_t unit = sharing_unit(ctx->files[f].e);
		int root = 0;

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
		}
	}
	return 0;
}

/* Checks that need every task collected (a socket's peer in the dump). */
static int check_collected(struct fd_ctx *ctx)
{
	int r = check_sharing_follows_tree(ctx);

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
	int on = TCP_REPAIR_ON, r = 0;

	for (size_t i = 0; i < ctx->nr_files; i++) {
		const FileEntry *e = ctx->files[i].e;

		if (!e->inet || !e->inet->tcp)
			continue;
		/* a socket in repair mode is closed silently */
		if (setsockopt(ctx->files[i].local_fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) < 0)
			r = log_error_errno(negative_errno(), "pid %d fd %d: TCP_REPAIR before the kill",
					    ctx->files[i].pid, ctx->files[i].fd);
	}
	return r;
}
