/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pseudo-terminals whose both ends are in the dump: the master (/dev/ptmx)
 * and its slave (/dev/pts/N) are tied by the index N, which the restore
 * gets back by opening /dev/ptmx until devpts hands out N (it gives the
 * lowest free index).  The pair's termios and window size travel with
 * each end; the controlling terminal of a session leader and its
 * foreground group (/proc/PID/stat) are set once every task exists
 * (fds_restore_task_late).  Bytes in flight cannot be read without
 * consuming them: a pty with data queued is refused, as is a terminal whose
 * master is outside the dump (--shell-job is for the caller's terminal).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "fds.h"
#include "log.h"
#include "util.h"
#include "fds-internal.h"

#define PTY_SLAVE_MAJOR_FIRST	136
#define PTY_SLAVE_MAJOR_LAST	143
#define PTMX_MAJOR		5
#define PTMX_MINOR		2
/* the key of a master kept in the ctx for a later file (pipe inodes never have it) */
#define MASTER_KEY(index)	((1ull << 63) | (index))

static bool is_master(const struct fd_probe *p)
{
	return S_ISCHR(p->st.st_mode) && major(p->st.st_rdev) == PTMX_MAJOR && minor(p->st.st_rdev) == PTMX_MINOR;
}

static bool is_slave(const struct fd_probe *p)
{
	unsigned maj = major(p->st.st_rdev);
	return S_ISCHR(p->st.st_mode) && maj >= PTY_SLAVE_MAJOR_FIRST && maj <= PTY_SLAVE_MAJOR_LAST;
}

static bool tty_match(const struct fd_probe *p)
{
	return !(p->flags & O_PATH) && (is_master(p) || is_slave(p));
}

static uint32_t slave_index(dev_t rdev)
{
	return (major(rdev) - PTY_SLAVE_MAJOR_FIRST) * 256 + minor(rdev);
}

static int save_bytes(ProtobufCBinaryData *b, const void *data, size_t len)
{
	b->data = malloc(len);
	if (!b->data)
		return -ENOMEM;
	memcpy(b->data, data, len);
	b->len = len;
	return 0;
}

static int tty_collect(struct fd_ctx *ctx _unused_, const struct fd_probe *p, FileEntry *e)
{
	TtyFile *t = calloc(1, sizeof(*t));
	struct termios tio;
	struct winsize ws;
	int queued = 0, r;

	if (!t)
		return -ENOMEM;
	tty_file__init(t);
	e->tty = t;
	e->has_pos = false;
	t->master = is_master(p);
	if (t->master) {
		unsigned n;
		int v = 0;
		if (ioctl(p->local_fd, TIOCGPTN, &n) < 0)
			return negative_errno();
		t->index = n;
		if (ioctl(p->local_fd, TIOCGPTLCK, &v) == 0 && v)
			t->has_locked = t->locked = true;
		v = 0;
		if (ioctl(p->local_fd, TIOCGPKT, &v) == 0 && v)
			t->has_packet = t->packet = true;
	} else {
		t->index = slave_index(p->st.st_rdev);
		t->path = strdup(p->link);
		if (!t->path)
			return -ENOMEM;
	}
	if (ioctl(p->local_fd, FIONREAD, &queued) == 0 && queued > 0) {
		log_error("pid %d fd %d: tty /dev/pts/%u (%s) has %d bytes in flight; not supported", p->pid, p->fd,
			  t->index, t->master ? "master" : "slave", queued);
		return -EOPNOTSUPP;
	}
	/* through the master these are the slave side's, which the line discipline uses */
	if (tcgetattr(p->local_fd, &tio) < 0)
		return negative_errno();
	r = save_bytes(&t->termios, &tio, sizeof(tio));
	if (r < 0)
		return r;
	t->has_termios = true;
	if (ioctl(p->local_fd, TIOCGWINSZ, &ws) < 0)
		return negative_errno();
	t->has_winsize = true;
	return save_bytes(&t->winsize, &ws, sizeof(ws));
}

static bool master_collected(struct fd_ctx *ctx, uint32_t index)
{
	for (size_t i = 0; i < ctx->nr_files; i++) {
		const FileEntry *f = ctx->files[i].e;
		if (f->tty && f->tty->master && f->tty->index == index)
			return true;
	}
	return false;
}

static int tty_check(struct fd_ctx *ctx, const FileEntry *e, int pid, int fd)
{
	if (!e->tty->master && !master_collected(ctx, e->tty->index)) {
		log_error("pid %d fd %d: tty /dev/pts/%u: its master is not in the dump (a terminal from outside the "
			  "tree: see --shell-job); not supported", pid, fd, e->tty->index);
		return -EOPNOTSUPP;
	}
	/* ours: the session whose controlling terminal this pty is (collected per task) */
	TtyFile *t = (TtyFile *)e->tty;
	for (size_t i = 0; i < ctx->nr_cttys; i++) {
		const struct dump_ctty *c = &ctx->cttys[i];
		if (c->tty_nr != makedev(PTY_SLAVE_MAJOR_FIRST + t->index / 256, t->index % 256))
			continue;
		t->has_sid = t->has_fg_pgrp = true;
		t->sid = c->sid;
		t->fg_pgrp = c->fg_pgrp;
	}
	return 0;
}

int fd_tty_check_cttys(struct fd_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nr_cttys; i++) {
		const struct dump_ctty *c = &ctx->cttys[i];
		bool found = false;

		for (size_t f = 0; f < ctx->nr_files && !found; f++) {
			const TtyFile *t = ctx->files[f].e->tty;
			const InheritedFile *in = ctx->files[f].e->inherited;
			found = t && c->tty_nr == makedev(PTY_SLAVE_MAJOR_FIRST + t->index / 256, t->index % 256);
			/* a terminal outside the dump (--external fd[...]): the caller gives the new one */
			found |= in && in->has_rdev && in->rdev == c->tty_nr;
		}
		if (found || ctx->opts.inherit_tty_stdio)
			continue;
		log_error("pid %d: its controlling terminal (device %u:%u) is not a pty of the dump; not supported "
			  "(--shell-job for the caller's terminal)", c->sid, major(c->tty_nr), minor(c->tty_nr));
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * Which devpts instance a pty of the image belongs to: the directory its
 * slave was in at dump (the path is the task's view, so a container's own
 * /dev/pts, or a second instance elsewhere), /dev/pts when the image has no
 * slave of that index.  The instance's ptmx opens ptys of that instance
 * ("/dev/ptmx" for /dev/pts: the kernel takes the devpts mounted on the
 * "pts" next to it).  In a restored mount namespace the instance is a fresh
 * one (cr/mnt-restore.c), which hands out indexes from 0.
 */
static const char *pts_dir(struct fd_ctx *ctx, uint32_t index, char *buf, size_t len)
{
	char name[16];

	snprintf(name, sizeof(name), "/%u", index);
	for (size_t i = 0; i < fd_ctx_nr_files(ctx); i++) {
		const TtyFile *t = fd_ctx_file(ctx, i)->tty;
		size_t pl = t && t->path ? strlen(t->path) : 0, nl = strlen(name);

		if (!t || t->master || t->index != index || pl <= nl || pl - nl >= len || t->path[0] != '/' ||
		    strcmp(t->path + pl - nl, name))
			continue;
		memcpy(buf, t->path, pl - nl);
		buf[pl - nl] = 0;
		return buf;
	}
	snprintf(buf, len, "/dev/pts");
	return buf;
}

static void pts_ptmx(const char *dir, char *buf, size_t len)
{
	if (!strcmp(dir, "/dev/pts"))
		snprintf(buf, len, "/dev/ptmx");
	else
		snprintf(buf, len, "%s/ptmx", dir);
}

/* /dev/ptmx until devpts hands out index (it gives the lowest free one). */
static int open_master_index(const char *ptmx, uint32_t index)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };

	/* the dumped pty may still be held by tasks that are dying: retry a while */
	for (int attempt = 0; attempt < 100; attempt++) {
		int held[256], nr = 0, fd = -1;
		unsigned n = 0;

		for (;;) {
			fd = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
			if (fd < 0 || ioctl(fd, TIOCGPTN, &n) < 0) {
				int r = negative_errno();
				if (fd >= 0)
					close(fd);
				while (nr)
					close(held[--nr]);
				return log_error_errno(r, "cannot open %s", ptmx);
			}
			if (n >= index || nr == (int)ARRAY_SIZE(held))
				break;
			held[nr++] = fd;
		}
		while (nr)
			close(held[--nr]);
		if (n == index)
			return fd;
		close(fd);
		nanosleep(&pause, NULL);
	}
	log_error("pty %u of %s: that index is in use", index, ptmx);
	return -EBUSY;
}

static int set_pair_state(int master, const TtyFile *t)
{
	if (t->has_termios) {
		struct termios tio;
		if (t->termios.len != sizeof(tio))
			return -EBADMSG;
		memcpy(&tio, t->termios.data, sizeof(tio));
		if (tcsetattr(master, TCSANOW, &tio) < 0)
			return negative_errno();
	}
	if (t->has_winsize) {
		struct winsize ws;
		if (t->winsize.len != sizeof(ws))
			return -EBADMSG;
		memcpy(&ws, t->winsize.data, sizeof(ws));
		if (ioctl(master, TIOCSWINSZ, &ws) < 0)
			return negative_errno();
	}
	return 0;
}

/* The master of index: kept by an earlier slave's restore, or a new one. */
static int get_master(struct fd_ctx *ctx, const TtyFile *t, int *ret_fd)
{
	int unlock = 0, fd = fd_ctx_take_pipe_end(ctx, MASTER_KEY(t->index), false), r;

	if (fd >= 0) {
		*ret_fd = fd;
		return 0;
	}
	char dir[PATH_MAX], ptmx[PATH_MAX + 8];
	pts_ptmx(pts_dir(ctx, t->index, dir, sizeof(dir)), ptmx, sizeof(ptmx));
	fd = open_master_index(ptmx, t->index);
	if (fd < 0)
		return fd;
	r = set_pair_state(fd, t);
	if (r >= 0 && ioctl(fd, TIOCSPTLCK, &unlock) < 0)
		r = negative_errno();
	if (r < 0) {
		close(fd);
		return log_error_errno(r, "pty /dev/pts/%u: cannot set its state", t->index);
	}
	*ret_fd = fd;
	return 0;
}

static bool slave_in_image(struct fd_ctx *ctx, uint32_t index)
{
	for (size_t i = 0; i < fd_ctx_nr_files(ctx); i++) {
		const FileEntry *f = fd_ctx_file(ctx, i);
		if (f->tty && !f->tty->master && f->tty->index == index)
			return true;
	}
	return false;
}

static int restore_master(struct fd_ctx *ctx, const FileEntry *e, int *ret_fd)
{
	const TtyFile *t = e->tty;
	int fd, r = get_master(ctx, t, &fd), v;

	if (r < 0)
		return r;
	v = 1;
	if (t->packet && ioctl(fd, TIOCPKT, &v) < 0)
		r = log_error_errno(negative_errno(), "pty /dev/pts/%u: TIOCPKT", t->index);
	/* still locked when dumped: only if no slave had been opened */
	if (r >= 0 && t->locked && !slave_in_image(ctx, t->index) && ioctl(fd, TIOCSPTLCK, &v) < 0)
		r = log_error_errno(negative_errno(), "pty /dev/pts/%u: TIOCSPTLCK", t->index);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static int restore_slave(struct fd_ctx *ctx, const FileEntry *e, int *ret_fd)
{
	const TtyFile *t = e->tty;
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/%u", pts_dir(ctx, t->index, dir, sizeof(dir)), t->index);
	fd = open(path, (e->flags & O_ACCMODE) | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == EIO)) {
		/* its master is not made yet (a later fd, or a child's): make it, keep it for it */
		int master, r = get_master(ctx, t, &master);
		if (r < 0)
			return r;
		fd = open(path, (e->flags & O_ACCMODE) | O_NOCTTY | O_CLOEXEC);
		r = fd_ctx_put_pipe_end(ctx, MASTER_KEY(t->index), false, master);
		if (r < 0) {
			if (fd >= 0)
				close(fd);
			return r;
		}
	}
	if (fd < 0)
		return log_error_errno(negative_errno(), "cannot open %s", path);
	*ret_fd = fd;
	return 0;
}

static int tty_restore(struct fd_ctx *ctx, const FileEntry *e, int *ret_fd)
{
	return e->tty->master ? restore_master(ctx, e, ret_fd) : restore_slave(ctx, e, ret_fd);
}

int fd_tty_restore_ctty(struct fd_ctx *ctx, int pid)
{
	for (size_t i = 0; i < fd_ctx_nr_files(ctx); i++) {
		const FileEntry *f = fd_ctx_file(ctx, i);
		char dir[PATH_MAX], path[PATH_MAX + 16];

		if (!f->tty || !f->tty->has_sid || f->tty->sid != pid)
			continue;
		snprintf(path, sizeof(path), "%s/%u", pts_dir(ctx, f->tty->index, dir, sizeof(dir)), f->tty->index);
		_cleanup_close_ int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			return log_error_errno(negative_errno(), "pid %d: cannot open its controlling terminal %s", pid, path);
		if (ioctl(fd, TIOCSCTTY, 0) < 0)
			return log_error_errno(negative_errno(), "pid %d: cannot make %s its controlling terminal", pid, path);
		/* SIGTTOU is blocked while restoring: a background leader may set it */
		if (f->tty->fg_pgrp > 0 && tcsetpgrp(fd, f->tty->fg_pgrp) < 0)
			return log_error_errno(negative_errno(), "pid %d: cannot give %s to process group %d", pid, path,
					       f->tty->fg_pgrp);
		log_debug("pid %d: controlling terminal %s, foreground group %d", pid, path, f->tty->fg_pgrp);
		return 0;
	}
	return 0;
}

const struct fd_kind_ops fd_tty_ops = {
	.name = "tty",
	.kind = FD_KIND__FDK_TTY,
	.match = tty_match,
	.collect = tty_collect,
	.check = tty_check,
	.restore = tty_restore,
};
