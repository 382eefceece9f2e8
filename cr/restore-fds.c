/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fd kind: each task gets its dumped fd table (cr/fds.h) in a step "fds"
 * that runs in the task before its "mm" step and, in a parent, before it
 * forks its children (so files shared down the tree are inherited).
 *
 * The numbers the tasks use must be free of cryo-cr's own fds (log file,
 * image directory, page files, shared objects): restore_fds_reserve() fills
 * every free number up to the highest dumped fd with a placeholder before
 * anything else is opened, so all of those land above.  The fd step replaces
 * the placeholders at the task's numbers; the restorer blob closes every fd
 * the task did not have (the list is rst_args.keep_fds).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fds.h"
#include "log.h"
#include "restore.h"

/* The fd numbers of fds-PID.img, sorted. */
static int read_fd_numbers(struct img_dir *d, pid_t pid, int32_t **ret, size_t *ret_n)
{
	struct img *img;
	ProtobufCMessage *m;
	int32_t *v = NULL;
	size_t n = 0;
	int r = img_open(d, IMG_FDS, false, &img, (int)pid);
	if (r < 0)
		return r;
	while ((r = img_read(img, &m)) > 0) {
		int32_t *nv = reallocarray(v, n + 1, sizeof(*v));
		if (!nv) {
			img_free_msg(m);
			r = -ENOMEM;
			break;
		}
		v = nv;
		v[n++] = ((FdEntry *)m)->fd;
		img_free_msg(m);
	}
	img_close(img);
	if (r < 0) {
		free(v);
		return r;
	}
	for (size_t i = 1; i < n; i++)	/* insertion sort: tables are short */
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			int32_t x = v[j];
			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	*ret = v;
	*ret_n = n;
	return 0;
}

void restore_fds_reserve(const char *dir)
{
	struct img_dir *d;
	struct img *img;
	ProtobufCMessage *m;
	int max = -1;

	/* Errors are reported by the real reads later: here only the numbers matter. */
	if (img_dir_open_read(dir, &d) < 0)
		return;
	if (img_open(d, IMG_PSTREE, false, &img) >= 0) {
		while (img_read(img, &m) > 0) {
			PstreeEntry *e = (PstreeEntry *)m;
			int32_t *v;
			size_t n;
			if (read_fd_numbers(d, (pid_t)e->pid, &v, &n) >= 0) {
				if (n && v[n - 1] > max)
					max = v[n - 1];
				free(v);
			}
			img_free_msg(m);
		}
		img_close(img);
	}
	img_dir_close(d);
	if (max < 3 || max > (1 << 20))
		return;
	/* The tasks' numbers and ours above them must fit: up to the hard limit
	 * (ts-rlimits gives each task its own limit back). */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)max + 256 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (;;) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return;
		if (fd > max) {
			close(fd);
			return;
		}
	}
}

static void log_to_fd(enum log_level level, const char *line, void *userdata)
{
	static const char tag[] = "NEWIDD";
	int fd = *(int *)userdata;
	dprintf(fd, "cryo-cr %c: %s\n", (unsigned)level < sizeof(tag) - 1 ? tag[level] : '?', line);
}

/*
 * Logging to stderr: from the first fds step on, fd 2 is a task's, so what
 * the tasks log until the blob takes over goes to a copy of cryo-cr's stderr
 * above the task's numbers (the blob closes it).  A child inherits the copy
 * and moves it above its own numbers.
 */
static void keep_log_away(struct restore_ctx *rc, struct rst_task *t)
{
	static int err_fd = -1;
	if (!rc->opts.log_to_stderr)
		return;
	int above = t->n_keep_fds ? t->keep_fds[t->n_keep_fds - 1] + 1 : 3;
	int fd = fcntl(err_fd >= 0 ? err_fd : STDERR_FILENO, F_DUPFD_CLOEXEC, above);
	if (fd < 0)
		return;
	if (err_fd >= 0)
		close(err_fd);
	err_fd = fd;
	log_set_sink(log_to_fd, &err_fd);
}

static int step_fds(void *ctx, void *data)
{
	struct restore_ctx *rc = ctx;
	struct rst_task *t = data;
	keep_log_away(rc, t);
	int r = fds_read_task(rc->fds, rc->dir, t->pid);
	if (r < 0)
		return log_error_errno(r, "task %d: cannot read its fds", t->pid);
	/* restore_fds_reserve() kept our own fds out of the task's numbers. */
	for (size_t i = 0; i < t->n_keep_fds; i++)
		if (t->keep_fds[i] == img_dir_fd(rc->dir)) {
			log_error("task %d: its fd %d is cryo-cr's image directory", t->pid, t->keep_fds[i]);
			return -EBUSY;
		}
	r = fds_restore_task(rc->fds);
	if (r < 0)
		return log_error_errno(r, "task %d: cannot restore its fds", t->pid);
	return 0;
}

static int step_fds_late(void *ctx, void *data)
{
	struct restore_ctx *rc = ctx;
	struct rst_task *t = data;
	int r = fds_restore_task_late(rc->fds);
	if (r < 0)
		return log_error_errno(r, "task %d: cannot restore its pidfds or controlling terminal", t->pid);
	return 0;
}

/* "fds-late": after every task exists in its session and group (pidfds of
 * children, a controlling terminal and its foreground group). */
static int add_late_step(struct restore_ctx *rc, struct rst_task *t, unsigned fds_id)
{
	unsigned id;
	int r = restore_step_add(rc, t, "fds-late", step_fds_late, t, &id);
	if (r >= 0)
		r = plan_need(rc->plan, id, fds_id);
	for (size_t i = 0; i < rc->n_tasks && r >= 0; i++) {
		struct rst_task *o = &rc->tasks[i];
		r = plan_need(rc->plan, id, o->fork_step);
		if (r >= 0)
			r = plan_need_kind_optional(rc->plan, id, "setsid", o->owner);
		if (r >= 0)
			r = plan_need_kind_optional(rc->plan, id, "setpgid", o->owner);
	}
	return r;
}

int fds_restore_prepare(struct restore_ctx *rc)
{
	struct fd_opts fo = { .skip_validation = rc->opts.skip_file_validation,
			      .inherit = rc->opts.inherit, .nr_inherit = rc->opts.nr_inherit,
			      .file_locks = rc->opts.file_locks,
			      .tcp_established = rc->opts.tcp_established };
	int r = fds_load_images(rc->dir, &fo, &rc->fds);
	if (r < 0)
		return log_error_errno(r, "cannot read the files of %s", rc->opts.dir);
	for (size_t i = 0; i < rc->n_tasks; i++) {
		struct rst_task *t = &rc->tasks[i];
		if (t->zombie)
			continue;
		r = read_fd_numbers(rc->dir, t->pid, &t->keep_fds, &t->n_keep_fds);
		if (r < 0)
			return log_error_errno(r, "cannot read fds-%d.img", t->pid);
	}
	return 0;
}

int fds_restore_add_steps(struct restore_ctx *rc)
{
	for (size_t i = 0; i < rc->n_tasks; i++) {
		struct rst_task *t = &rc->tasks[i];
		unsigned id;
		if (t->zombie)
			continue;
		int r = restore_step_add(rc, t, "fds", step_fds, t, &id);
		/* The files the blob maps are opened after, at numbers the task does not use. */
		int mm = plan_find(rc->plan, "mm", t->owner);
		if (r >= 0 && mm >= 0)
			r = plan_need(rc->plan, (unsigned)mm, id);
		if (r >= 0)
			r = add_late_step(rc, t, id);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < rc->n_tasks; i++) {
		struct rst_task *t = &rc->tasks[i];
		int r = 0;
		/* Children inherit the restored fds: the parent restores them before the fork. */
		if (t->parent)
			r = plan_need_kind(rc->plan, t->fork_step, "fds", t->parent->owner);
		if (r < 0)
			return r;
	}
	return 0;
}
