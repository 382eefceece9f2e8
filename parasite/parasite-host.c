/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cr/infect.h"
#include "cr/log.h"
#include "parasite-blob.h"
#include "parasite/parasite-host.h"

struct parasite_ctl {
	struct infect inf;
};

int parasite_infect(pid_t pid, const pid_t *tids, size_t nr_tids, struct parasite_ctl **ret)
{
	static const struct infect_blob blob = {
		.image = parasite_blob, .size = parasite_blob_size, .mem_size = parasite_blob_mem_size,
	};
	struct parasite_ctl *ctl = calloc(1, sizeof(*ctl));
	int r;

	if (!ctl)
		return -ENOMEM;
	r = infect_start(&ctl->inf, pid, tids, nr_tids, &blob);
	*ret = ctl;	/* also on failure: the caller cures what was done */
	if (r < 0)
		return r;
	log_debug("parasite in %d at %#llx", pid, (unsigned long long)(ctl->inf.scratch + ctl->inf.blob_off));
	return 0;
}

/* Write args, run the command in tid, read the answer back. */
static int run_cmd(struct parasite_ctl *ctl, pid_t tid, struct parasite_args *a)
{
	int64_t res = 0;
	int r;

	a->magic = PARASITE_ARGS_MAGIC;
	a->status = -1;
	_Static_assert(sizeof(*a) <= INFECT_ARGS_SIZE, "args fit the args area");
	r = infect_write(&ctl->inf, ctl->inf.args_off, a, sizeof(*a));
	if (r >= 0)
		r = infect_call(&ctl->inf, tid, parasite_parasite_cmd_OFF, ctl->inf.scratch + ctl->inf.args_off, &res);
	if (r >= 0)
		r = infect_read(&ctl->inf, ctl->inf.args_off, a, sizeof(*a));
	if (r < 0)
		return r;
	if (a->status < 0 || res < 0)
		return log_error_errno(a->status < 0 ? a->status : (int)res, "parasite command %u in %d", a->cmd, tid);
	return 0;
}

int parasite_task_state(struct parasite_ctl *ctl, struct parasite_task_state *ret)
{
	struct parasite_args a = { .cmd = PARASITE_CMD_TASK_STATE };
	int r = run_cmd(ctl, ctl->inf.pid, &a);

	if (r >= 0)
		*ret = a.task;
	return r;
}

/* tid as the thread itself sees it: the last NSpid of its status (its own pid namespace). */
static pid_t tid_in_own_ns(pid_t pid, pid_t tid)
{
	char path[96], line[256];
	pid_t last = tid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	f = fopen(path, "re");
	if (!f)
		return tid;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "NSpid:", 6)) {
			for (char *p = line + 6, *end; ; p = end) {
				long v = strtol(p, &end, 10);
				if (end == p)
					break;
				last = (pid_t)v;
			}
			break;
		}
	fclose(f);
	return last;
}

int parasite_thread_state(struct parasite_ctl *ctl, pid_t tid, struct parasite_thread_state *ret)
{
	struct parasite_args a = { .cmd = PARASITE_CMD_THREAD_STATE };
	int r = run_cmd(ctl, tid, &a);

	if (r >= 0) {
		if (a.thread.tid != tid && a.thread.tid != tid_in_own_ns(ctl->inf.pid, tid)) {
			log_error("parasite ran in thread %d, asked for %d", a.thread.tid, tid);
			return -EPROTO;
		}
		*ret = a.thread;
	}
	return r;
}

struct infect *parasite_infection(struct parasite_ctl *ctl)
{
	return &ctl->inf;
}

const struct user_regs_struct *parasite_saved_regs(struct parasite_ctl *ctl, pid_t tid)
{
	return infect_saved_regs(&ctl->inf, tid);
}

uint64_t parasite_saved_sigmask(struct parasite_ctl *ctl, pid_t tid)
{
	return infect_saved_sigmask(&ctl->inf, tid);
}

int parasite_cure(struct parasite_ctl *ctl)
{
	int r;

	if (!ctl)
		return 0;
	r = infect_stop(&ctl->inf);
	free(ctl);
	return r;
}
