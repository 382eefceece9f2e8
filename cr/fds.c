/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fd driver: walk /proc/PID/fd of a stopped task, take a duplicate of
 * each fd with pidfd_getfd, find sharing with kcmp(KCMP_FILE), hand each
 * open file description to its kind; and on restore recreate the table.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kcmp.h>
#include "fds.h"
#include "image.h"
#include "log.h"
#include "util.h"

#define FDS_DEFAULT_GHOST_LIMIT	(1ull << 20)
/* Status flags F_SETFL can change after open. */
#define FD_SETFL_MASK	(O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME | O_NONBLOCK)

struct dump_file {
	FileEntry *e;
	int local_fd;		/* kept open so later fds can be kcmp'ed against it */
	int pid, fd;		/* where it was first seen, for error messages */
};

struct dump_task {
	int pid;
	FdEntry **fds;
	size_t nr_fds;
};

struct pipe_end {
	uint64_t ino;
	bool is_write;
	int fd;
};

struct fd_ctx {
	struct fd_opts opts;
	/* dump */
	struct dump_file *files;
	size_t nr_files;
	struct dump_task *tasks;
	size_t nr_tasks;
	uint64_t *pipes_seen;
	size_t nr_pipes_seen;
	/* restore */
	FileEntry **rfiles;
	size_t nr_rfiles;
	struct pipe_end *ends;
	size_t nr_ends;
	FdEntry **cur_fds;	/* the fd table of the task being restored */
	size_t nr_cur_fds;
	int above;		/* every fd number of that task is below this */
	int *placed;		/* file id - 1 -> fd number the last fds_restore_task put it at (or -1) */
	int cur_pid;
	int cur_stage;
};

static void *grow(void *arr, size_t nr, size_t size)
{
	return realloc(arr, (nr + 1) * size);
}

static void free_task_fds(struct fd_ctx *ctx);

int fd_file_stage(const FileEntry *fe)
{
	const struct fd_kind_ops *ops = fd_kind_by_id(fe->kind);
	int stage = ops->file_stage ? ops->file_stage(fe) : ops->stage;

	return stage < 0 ? 0 : stage >= FD_STAGES ? FD_STAGES - 1 : stage;
}

int fd_ctx_new(const struct fd_opts *opts, struct fd_ctx **ret)
{
	struct fd_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -ENOMEM;
	if (opts)
		ctx->opts = *opts;
	if (!ctx->opts.ghost_limit)
		ctx->opts.ghost_limit = FDS_DEFAULT_GHOST_LIMIT;
	*ret = ctx;
	return 0;
}

const struct fd_opts *fd_ctx_opts(const struct fd_ctx *ctx)
{
	return &ctx->opts;
}

void fd_ctx_free(struct fd_ctx *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->nr_files; i++) {
		protobuf_c_message_free_unpacked(&ctx->files[i].e->base, NULL);
		close(ctx->files[i].local_fd);
	}
	free(ctx->files);
	for (size_t i = 0; i < ctx->nr_tasks; i++) {
		for (size_t j = 0; j < ctx->tasks[i].nr_fds; j++)
			free(ctx->tasks[i].fds[j]);
		free(ctx->tasks[i].fds);
	}
	free(ctx->tasks);
	free(ctx->pipes_seen);
	for (size_t i = 0; i < ctx->nr_rfiles; i++)
		img_free_msg(&ctx->rfiles[i]->base);
	free(ctx->rfiles);
	for (size_t i = 0; i < ctx->nr_ends; i++)
		close(ctx->ends[i].fd);
	free(ctx->ends);
	free_task_fds(ctx);
	free(ctx->placed);
	free(ctx);
}

int fdinfo_u64(const char *fdinfo, const char *key, int base, uint64_t *ret)
{
	size_t klen = strlen(key);

	for (const char *l = fdinfo; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, klen) || l[klen] != ':')
			continue;
		char *end;
		errno = 0;
		unsigned long long v = strtoull(l + klen + 1, &end, base);
		if (errno || end == l + klen + 1)
			return -EINVAL;
		*ret = v;
		return 0;
	}
	return -ENOENT;
}

bool fd_ctx_pipe_first_seen(struct fd_ctx *ctx, uint64_t ino)
{
	uint64_t *n;

	for (size_t i = 0; i < ctx->nr_pipes_seen; i++)
		if (ctx->pipes_seen[i] == ino)
			return false;
	n = grow(ctx->pipes_seen, ctx->nr_pipes_seen, sizeof(*n));
	if (!n)
		return true;	/* worst case: data saved twice is caught at restore */
	ctx->pipes_seen = n;
	ctx->pipes_seen[ctx->nr_pipes_seen++] = ino;
	return true;
}

/* ---- collect ----------------------------------------------------------- */

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

static int collect_file(struct fd_ctx *ctx, const struct fd_probe *p, uint32_t *ret_id)
{
	const struct fd_kind_ops *ops = fd_kind_by_probe(p);
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
	e->id = ctx->nr_files + 1;
	e->kind = ops->kind;
	e->flags = p->flags;
	e->has_pos = true;
	e->pos = p->pos;
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

	for (size_t i = 0; i < nr; i++) {
		_cleanup_close_ int local = syscall(SYS_pidfd_getfd, pidfd, fds[i], 0);
		_cleanup_free_ char *fdinfo = NULL;
		struct fd_probe p;
		uint32_t id;

		if (local < 0)
			return log_error_errno(negative_errno(), "pid %d fd %d: pidfd_getfd", pid, fds[i]);
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

/* Checks that need every task collected (a socket's peer in the dump). */
static int check_collected(struct fd_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nr_files; i++) {
		const struct fd_kind_ops *ops = fd_kind_by_id(ctx->files[i].e->kind);
		int r;

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

/* ---- restore ----------------------------------------------------------- */

/* The kind-specific part a file_entry of this kind must carry. */
static bool file_entry_complete(const FileEntry *e)
{
	switch (e->kind) {
	case FD_KIND__FDK_REG: return e->reg;
	case FD_KIND__FDK_PIPE: case FD_KIND__FDK_FIFO: return e->pipe;
	case FD_KIND__FDK_EVENTFD: return e->eventfd;
	case FD_KIND__FDK_SIGNALFD: return e->signalfd;
	case FD_KIND__FDK_TIMERFD: return e->timerfd;
	case FD_KIND__FDK_EPOLL: return e->epoll;
	case FD_KIND__FDK_MEMFD: return e->memfd;
	case FD_KIND__FDK_PIDFD: return e->pidfd;
	case FD_KIND__FDK_INET: return e->inet;
	case FD_KIND__FDK_UNIX: return e->unix_sk;
	case FD_KIND__FDK_INOTIFY: return e->inotify;
	default: return false;
	}
	return false;
}

int fds_load_images(struct img_dir *d, const struct fd_opts *opts, struct fd_ctx **ret)
{
	struct fd_ctx *ctx;
	struct img *img;
	int r;

	r = fd_ctx_new(opts, &ctx);
	if (r < 0)
		return r;
	r = img_open(d, IMG_FILES, false, &img);
	if (r < 0) {
		fd_ctx_free(ctx);
		return r;
	}
	for (;;) {
		ProtobufCMessage *m;
		FileEntry **n;

		r = img_read(img, &m);
		if (r <= 0)
			break;
		FileEntry *e = (FileEntry *)m;
		if (e->id != ctx->nr_rfiles + 1 || !file_entry_complete(e) || !fd_kind_by_id(e->kind)) {
			log_error("%s: record %zu: file id %u, kind %d: %s", img_name(img), ctx->nr_rfiles,
				  e->id, (int)e->kind,
				  e->id != ctx->nr_rfiles + 1 ? "ids must count up from 1"
							      : "the kind's data is missing or the kind unknown");
			img_free_msg(m);
			r = -EBADMSG;
			break;
		}
		n = grow(ctx->rfiles, ctx->nr_rfiles, sizeof(*n));
		if (!n) {
			img_free_msg(m);
			r = -ENOMEM;
			break;
		}
		ctx->rfiles = n;
		ctx->rfiles[ctx->nr_rfiles++] = e;
	}
	img_close(img);
	if (r < 0) {
		fd_ctx_free(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}

size_t fd_ctx_nr_files(const struct fd_ctx *ctx)
{
	return ctx->nr_rfiles ? ctx->nr_rfiles : ctx->nr_files;
}

const FileEntry *fd_ctx_file(const struct fd_ctx *ctx, size_t idx)
{
	if (ctx->nr_rfiles)
		return idx < ctx->nr_rfiles ? ctx->rfiles[idx] : NULL;
	return idx < ctx->nr_files ? ctx->files[idx].e : NULL;
}

int fd_ctx_take_pipe_end(struct fd_ctx *ctx, uint64_t ino, bool want_write)
{
	for (size_t i = 0; i < ctx->nr_ends; i++) {
		if (ctx->ends[i].ino != ino || ctx->ends[i].is_write != want_write)
			continue;
		int fd = ctx->ends[i].fd;
		ctx->ends[i] = ctx->ends[--ctx->nr_ends];
		return fd;
	}
	return -1;
}

int fd_ctx_put_pipe_end(struct fd_ctx *ctx, uint64_t ino, bool is_write, int fd)
{
	struct pipe_end *n = grow(ctx->ends, ctx->nr_ends, sizeof(*n));
	int high;

	if (!n)
		return -ENOMEM;
	ctx->ends = n;
	/* out of the way of the numbers the task's fds will take */
	high = fcntl(fd, F_DUPFD_CLOEXEC, ctx->above);
	if (high < 0)
		return negative_errno();
	close(fd);
	fd = high;
	n[ctx->nr_ends++] = (struct pipe_end){ .ino = ino, .is_write = is_write, .fd = fd };
	return 0;
}

int fd_ctx_task_fd_restored(struct fd_ctx *ctx, int task_fd)
{
	for (size_t i = 0; i < ctx->nr_cur_fds; i++)
		if (ctx->cur_fds[i]->fd == task_fd) {
			const FileEntry *fe = ctx->rfiles[ctx->cur_fds[i]->file_id - 1];
			/* files of this stage (an epoll watching an epoll) are not there yet */
			return fd_file_stage(fe) < ctx->cur_stage ? task_fd : -EOPNOTSUPP;
		}
	return -ENOENT;
}

static int read_task_fds(struct img_dir *d, int pid, FdEntry ***ret, size_t *ret_nr, size_t nr_files)
{
	FdEntry **fds = NULL;
	size_t nr = 0;
	struct img *img;
	int r;

	r = img_open(d, IMG_FDS, false, &img, pid);
	if (r < 0)
		return r;
	for (;;) {
		ProtobufCMessage *m;

		r = img_read(img, &m);
		if (r <= 0)
			break;
		FdEntry *fe = (FdEntry *)m;
		bool dup_fd = false;
		for (size_t i = 0; i < nr; i++)
			dup_fd |= fds[i]->fd == fe->fd;
		if (fe->fd < 0 || fe->file_id < 1 || fe->file_id > nr_files || dup_fd) {
			log_error("%s: record %zu: fd %d, file id %u: %s", img_name(img), nr, fe->fd,
				  fe->file_id, dup_fd ? "fd listed twice" : "bad fd number or unknown file id");
			img_free_msg(m);
			r = -EBADMSG;
			break;
		}
		FdEntry **n = grow(fds, nr, sizeof(*n));
		if (!n) {
			img_free_msg(m);
			r = -ENOMEM;
			break;
		}
		fds = n;
		fds[nr++] = fe;
	}
	img_close(img);
	if (r < 0) {
		for (size_t i = 0; i < nr; i++)
			img_free_msg(&fds[i]->base);
		free(fds);
		return r;
	}
	*ret = fds;
	*ret_nr = nr;
	return 0;
}

/* Open file id (once per task) at a temporary number above every target. */
static int restore_file(struct fd_ctx *ctx, const FileEntry *fe, int above, int *tmp_fd)
{
	const struct fd_kind_ops *ops = fd_kind_by_id(fe->kind);
	int fd, r;

	r = ops->restore(ctx, fe, &fd);
	if (r < 0)
		return log_error_errno(r, "file %u (%s): restore failed", fe->id, ops->name);
	if (fcntl(fd, F_SETFL, fe->flags & FD_SETFL_MASK) < 0) {
		r = negative_errno();
		close(fd);
		return log_error_errno(r, "file %u (%s): cannot set status flags 0%o", fe->id, ops->name, fe->flags);
	}
	*tmp_fd = fcntl(fd, F_DUPFD_CLOEXEC, above);
	r = negative_errno();
	close(fd);
	if (*tmp_fd < 0)
		return log_error_errno(r, "file %u: cannot move it above fd %d", fe->id, above);
	return 0;
}

static int restore_stage(struct fd_ctx *ctx, int pid, int stage, int above, int *tmp)
{
	int r = 0;

	for (size_t i = 0; i < ctx->nr_cur_fds && r >= 0; i++) {
		const FileEntry *fe = ctx->rfiles[ctx->cur_fds[i]->file_id - 1];

		if (fd_file_stage(fe) != stage || tmp[fe->id - 1] >= 0)
			continue;
		r = restore_file(ctx, fe, above, &tmp[fe->id - 1]);
		if (r < 0)
			log_error("pid %d fd %d: not restored", pid, ctx->cur_fds[i]->fd);
	}
	for (size_t i = 0; i < ctx->nr_cur_fds && r >= 0; i++) {
		const FdEntry *fde = ctx->cur_fds[i];
		const FileEntry *fe = ctx->rfiles[fde->file_id - 1];

		if (fd_file_stage(fe) != stage)
			continue;
		if (dup3(tmp[fe->id - 1], fde->fd, fde->cloexec ? O_CLOEXEC : 0) < 0)
			r = log_error_errno(negative_errno(), "pid %d fd %d: cannot put it in place", pid, fde->fd);
	}
	return r;
}

static void free_task_fds(struct fd_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nr_cur_fds; i++)
		img_free_msg(&ctx->cur_fds[i]->base);
	free(ctx->cur_fds);
	ctx->cur_fds = NULL;
	ctx->nr_cur_fds = 0;
}

int fds_read_task(struct fd_ctx *ctx, struct img_dir *d, int pid)
{
	free_task_fds(ctx);
	ctx->cur_pid = pid;
	return read_task_fds(d, pid, &ctx->cur_fds, &ctx->nr_cur_fds, ctx->nr_rfiles);
}

/*
 * A task forked after an earlier fds_restore_task in its parent inherits
 * the parent's fds: a file both share (same id) is taken from there, which
 * is how sharing across processes is restored.
 */
static int take_inherited(struct fd_ctx *ctx, int above, int *tmp)
{
	if (!ctx->placed)
		return 0;
	for (size_t i = 0; i < ctx->nr_cur_fds; i++) {
		uint32_t id = ctx->cur_fds[i]->file_id;

		if (ctx->placed[id - 1] < 0 || tmp[id - 1] >= 0)
			continue;
		tmp[id - 1] = fcntl(ctx->placed[id - 1], F_DUPFD_CLOEXEC, above);
		if (tmp[id - 1] < 0)
			return log_error_errno(negative_errno(), "file %u: the inherited fd %d is gone",
					       id, ctx->placed[id - 1]);
	}
	return 0;
}

/* Close what the parent's restore placed and this task does not have;
 * remember this task's placement for its children. */
static void update_placed(struct fd_ctx *ctx)
{
	bool keep;

	for (size_t f = 0; ctx->placed && f < ctx->nr_rfiles; f++) {
		if (ctx->placed[f] < 0)
			continue;
		keep = false;
		for (size_t i = 0; i < ctx->nr_cur_fds; i++)
			keep |= ctx->cur_fds[i]->fd == ctx->placed[f];
		if (!keep)
			close(ctx->placed[f]);
	}
	if (!ctx->placed)
		ctx->placed = malloc((ctx->nr_rfiles + 1) * sizeof(int));
	if (!ctx->placed)
		return;
	for (size_t f = 0; f < ctx->nr_rfiles; f++)
		ctx->placed[f] = -1;
	for (size_t i = 0; i < ctx->nr_cur_fds; i++)
		if (ctx->placed[ctx->cur_fds[i]->file_id - 1] < 0)
			ctx->placed[ctx->cur_fds[i]->file_id - 1] = ctx->cur_fds[i]->fd;
}

int fds_restore_task(struct fd_ctx *ctx)
{
	_cleanup_free_ int *tmp = NULL;
	int above = 3, r;

	tmp = malloc((ctx->nr_rfiles + 1) * sizeof(int));
	if (!tmp)
		return -ENOMEM;
	for (size_t i = 0; i < ctx->nr_rfiles; i++) {
		tmp[i] = -1;
		if (ctx->placed && ctx->placed[i] >= above)
			above = ctx->placed[i] + 1;
	}
	for (size_t i = 0; i < ctx->nr_cur_fds; i++)
		if (ctx->cur_fds[i]->fd >= above)
			above = ctx->cur_fds[i]->fd + 1;
	ctx->above = above;

	r = take_inherited(ctx, above, tmp);
	for (int stage = 0; stage < FD_STAGES && r >= 0; stage++) {
		ctx->cur_stage = stage;
		r = restore_stage(ctx, ctx->cur_pid, stage, above, tmp);
	}
	for (size_t i = 0; i < ctx->nr_rfiles; i++)
		if (tmp[i] >= 0)
			close(tmp[i]);
	if (r >= 0)
		update_placed(ctx);
	free_task_fds(ctx);
	return r;
}
