/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The restore driver: read images -> build a plan -> execute -> restorer -> resume. */
#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "fds.h"
#include "log.h"
#include "restore.h"

/* A zombie, or killed and on its way out: the pid will be free soon. */
static bool dying(pid_t id)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", id);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return true;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long mask;
		char st;
		if (sscanf(line, "State: %c", &st) == 1 && (st == 'Z' || st == 'X'))
			return true;
		if ((sscanf(line, "ShdPnd: %llx", &mask) == 1 || sscanf(line, "SigPnd: %llx", &mask) == 1) &&
		    (mask & (1ull << (SIGKILL - 1))))
			return true;
	}
	return false;
}

static pid_t first_id_in_use(struct restore_ctx *rc, pid_t *ret_task)
{
	for (size_t i = 0; i < rc->n_tasks; i++) {
		struct rst_task *t = &rc->tasks[i];
		/* Below our pid namespace its pids here are whatever the kernel gives. */
		if (!rst_in_own_pidns(rc, t))
			continue;
		size_t n = t->n_tids ? t->n_tids : 1;
		for (size_t j = 0; j < n; j++) {
			pid_t id = t->n_tids ? (pid_t)t->tids[j] : t->pid;
			if (kill(id, 0) == 0 || errno != ESRCH) {
				*ret_task = t->pid;
				return id;
			}
		}
	}
	return 0;
}

/*
 * Every pid and tid of the image must be free: find out before creating anything.
 * The dumped tree may still be dying (killed after dump, zombies not yet reaped
 * by their new parent), so give it a moment.
 */
static int check_ids_free(struct restore_ctx *rc)
{
	pid_t id, task = 0;
	for (int i = 0; i < 250 && (id = first_id_in_use(rc, &task)) && dying(id); i++)
		usleep(20000);
	if ((id = first_id_in_use(rc, &task))) {
		log_error("pid %d needed by the image (task %d) is already in use", id, task);
		return -EEXIST;
	}
	return 0;
}

static int build_plan(struct restore_ctx *rc)
{
	int r = plan_new(&rc->plan);
	if (r < 0)
		return r;
	for (size_t i = 0; i < restore_kinds_count; i++) {
		if (!restore_kinds[i].add_steps)
			continue;
		r = restore_kinds[i].add_steps(rc);
		if (r < 0)
			return log_error_errno(r, "cannot plan the restore of %s", restore_kinds[i].name);
	}
	r = plan_order(rc->plan);
	if (r < 0)
		return log_error_errno(r, "cannot order the restore plan");
	for (size_t i = 0; i < plan_size(rc->plan); i++)
		log_debug("plan %zu: %s of task %u", i, plan_ordered_kind(rc->plan, i),
			  plan_ordered_owner(rc->plan, i));
	return 0;
}

/* Every task created so far is alive (zombies once they exited are fine). */
static int check_created_alive(void *arg)
{
	struct restore_ctx *rc = arg;

	for (size_t i = 0; i < rc->n_tasks; i++) {
		struct rst_task *t = &rc->tasks[i];
		if (!__atomic_load_n(&rc->created[i], __ATOMIC_SEQ_CST))
			continue;
		if (t->zombie && plan_step_done(rc->plan, t->exit_step))
			continue;
		pid_t pid = rst_host_pid(rc, t);
		if (!pid && t->parent && !restore_task_alive(rst_host_pid(rc, t->parent)))
			pid = -1;	/* cannot be found: its parent is gone */
		if (pid && !restore_task_alive(pid)) {
			/* A zombie publishes its exit step, then exits: it may have done
			 * both between the look above and this one. */
			if (t->zombie && plan_step_done(rc->plan, t->exit_step))
				continue;
			log_error("task %d died during restore", t->pid);
			return -ECHILD;
		}
	}
	return 0;
}

/* cryo-cr's own steps (creating the root, ...), then watch until every step is done. */
static int execute_plan(struct restore_ctx *rc)
{
	plan_set_watch(rc->plan, check_created_alive, rc);
	int r = plan_run(rc->plan, PLAN_OWNER_RESTORER, rc);
	if (r < 0)
		return r;
	for (;;) {
		r = plan_wait_done(rc->plan, 100);
		if (r != -EAGAIN)
			return r;
		r = check_created_alive(rc);
		if (r < 0) {
			plan_abort(rc->plan, r);
			return r;
		}
	}
}

static int restore_prepare(struct restore_ctx *rc)
{
	int r = img_dir_open_read(rc->opts.dir, &rc->dir);
	if (r < 0)
		return log_error_errno(r, "cannot open the image directory %s", rc->opts.dir);
	r = pstree_restore_read(rc);
	if (r < 0)
		return r;
	r = check_ids_free(rc);
	if (r < 0)
		return r;
	rc->created = mmap(NULL, rc->n_tasks * sizeof(int32_t), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (rc->created == MAP_FAILED) {
		rc->created = NULL;
		return negative_errno();
	}
	rc->shell_pgid = getpgid(0);
	rc->shell_sid = getsid(0);
	for (size_t i = 0; i < restore_kinds_count; i++)
		if (restore_kinds[i].prepare) {
			r = restore_kinds[i].prepare(rc);
			if (r < 0)
				return r;
		}
	return build_plan(rc);
}

int restore_run(const struct restore_opts *opts, pid_t *ret_root)
{
	struct restore_ctx rc = { .opts = *opts };
	sigset_t all, old;
	int r;

	/* Tasks inherit a fully blocked mask; the restorer sets the dumped one. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("cannot become a child subreaper: a failed restore may leave orphans");

	r = restore_prepare(&rc);
	if (r >= 0)
		r = execute_plan(&rc);
	if (r >= 0)
		r = restore_resume_all(&rc);
	if (r >= 0)
		r = cgroup_restore_finish(&rc);
	/* The network lock went right before the tasks were let go (restore-finish.c). */
	if (r < 0) {
		netns_restore_relock(&rc);
		restore_kill_all(&rc);
		cgroup_restore_undo(&rc);
	} else
		*ret_root = rst_host_pid(&rc, rc.root);

	mntns_restore_cleanup(&rc);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (rc.hole_start)
		munmap((void *)(uintptr_t)rc.hole_start, rc.hole_len);
	if (rc.dir)
		img_dir_close(rc.dir);
	fd_ctx_free(rc.fds);
	/* Task descriptions are left to process exit: cryo-cr ends right after. */
	return r;
}
