/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dump of one process while its parasite is in, and core-TID.img:
 * registers, xstate, signal state and thread state of every thread, plus
 * the per-process state for the main thread.  What only the task can tell
 * (signal actions, alternate stacks, itimers, the clear_child_tid address)
 * comes from the parasite (parasite/): per-thread state as trap commands in
 * each thread, then the daemon answers over its channel, helps the memory
 * dump (zero scan) and hands over the open files (SCM_RIGHTS).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include "dump.h"
#include "fault.h"
#include "fds.h"
#include "infect.h"
#include "parasite/parasite-host.h"
#include "taskstate.h"
#include "kerndat.h"
#include "log.h"
#include "proto/core.pb-c.h"

#ifndef PTRACE_GET_RSEQ_CONFIGURATION
#define PTRACE_GET_RSEQ_CONFIGURATION 0x420f
#endif
#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

/* Kernel restart codes seen in ax when a syscall was interrupted by our stop. */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

#define XSAVE_MAX 16384

struct ptrace_rseq_conf {
	uint64_t rseq_abi_pointer;
	uint32_t rseq_abi_size;
	uint32_t signature;
	uint32_t flags;
	uint32_t pad;
};

/* cr/taskstate.h runs its inside-only collection through our infection; it
 * gets the args area of the scratch mapping (the first page holds our code). */
static int ts_run(void *o, pid_t tid, long nr, const uint64_t a[6], int64_t *ret)
{
	struct infect *inf = o;
	return infect_syscall(inf, tid ? tid : inf->pid, nr, a, ret);
}

static int ts_rd(void *o, uint64_t off, void *b, size_t n)
{
	struct infect *inf = o;
	return infect_read(inf, inf->args_off + off, b, n);
}

static int ts_wr(void *o, uint64_t off, const void *b, size_t n)
{
	struct infect *inf = o;
	return infect_write(inf, inf->args_off + off, b, n);
}

static int taskstate_inside(struct parasite_ctl *ctl, TaskStateEntry *ts)
{
	struct infect *inf = parasite_infection(ctl);
	struct ts_runner run = {
		.opaque = inf, .scratch = inf->scratch + inf->args_off, .scratch_size = INFECT_ARGS_SIZE,
		.syscall = ts_run, .read = ts_rd, .write = ts_wr,
	};
	int r = ts_collect_inside(&run, ts);

	for (size_t i = 0; i < ts->n_threads && r >= 0; i++)
		r = ts_collect_inside_thread(&run, ts->threads[i]);
	if (r < 0)
		log_error_errno(r, "cannot collect the task state of %d inside it", inf->pid);
	return r;
}

/* Open files come from the parasite (SCM_RIGHTS over its channel). */
static int take_from_parasite(void *opaque, const int *fds, size_t nr, int *ret_local)
{
	return parasite_drain_fds(opaque, fds, nr, ret_local);
}

/* While the daemon runs: what the task tells over the channel, its memory,
 * its open files. */
static int collect_with_daemon(struct dump_ctx *c, struct seized_task *k, struct parasite_ctl *ctl,
			       struct task_remote *tr)
{
	struct fd_source src = { .opaque = ctl, .take = take_from_parasite };
	int r = parasite_start_daemon(ctl);

	if (r >= 0)
		r = parasite_task_state(ctl, &tr->task);
	if (r >= 0)
		r = fault_inject("after-parasite-cmd");
	if (r < 0)
		return r;
	c->parasite = ctl;
	r = dump_task_mm(c, k);
	c->parasite = NULL;
	src.skip_fd = parasite_daemon_fd(ctl);
	if (r >= 0)
		r = fds_collect_task_from(c->fds, k->pid, &src);
	return r;
}

/* Infect, ask, dump memory and files, cure.  The task is cured (parasite
 * unmapped, registers and masks back) before this returns, also on failure. */
static int collect_task_remote(struct dump_ctx *c, struct seized_task *k, struct task_remote *tr,
			       struct user_regs_struct *regs, uint64_t *sigmasks, TaskStateEntry *ts)
{
	_cleanup_free_ pid_t *tids = calloc(k->nr_threads, sizeof(pid_t));
	struct parasite_ctl *ctl = NULL;
	int r, q;

	if (!tids)
		return -ENOMEM;
	for (size_t i = 0; i < k->nr_threads; i++)
		tids[i] = k->threads[i].tid;
	r = parasite_infect(k->pid, tids, k->nr_threads, &ctl);
	if (r >= 0)
		r = fault_inject("after-infect");
	/* Per-thread state: in each thread, before the daemon occupies one. */
	for (size_t i = 0; i < k->nr_threads && r >= 0; i++)
		r = parasite_thread_state(ctl, tids[i], &tr->threads[i]);
	if (r >= 0)
		r = taskstate_inside(ctl, ts);
	if (r >= 0)
		r = collect_with_daemon(c, k, ctl, tr);
	for (size_t i = 0; ctl && i < k->nr_threads; i++) {
		const struct user_regs_struct *s = parasite_saved_regs(ctl, tids[i]);
		if (s)
			regs[i] = *s;
		sigmasks[i] = parasite_saved_sigmask(ctl, tids[i]);
	}
	q = parasite_cure(ctl);
	return r < 0 ? r : q;
}

/* Outside part of cr/taskstate.h (before infection: it reads the signal masks). */
static int taskstate_outside(struct seized_task *k, TaskStateEntry **ret)
{
	struct ts_collect_ctx tc = { .tracer = getpid(), .stopped_known = true,
				     .stopped = k->threads[0].group_stopped };
	_cleanup_free_ pid_t *tids = calloc(k->nr_threads, sizeof(pid_t));
	TaskStateEntry *ts = NULL;
	int r;

	if (!tids)
		return -ENOMEM;
	for (size_t i = 0; i < k->nr_threads; i++)
		tids[i] = k->threads[i].tid;
	r = ts_entry_new(k->pid, tids, k->nr_threads, &ts);
	if (r >= 0)
		r = ts_collect(&tc, k->pid, ts);
	if (r < 0) {
		ts_entry_free(ts);
		return log_error_errno(r, "cannot collect the task state of %d", k->pid);
	}
	*ret = ts;
	return 0;
}

/* Registers as they must be on restore: an interrupted syscall rewound. */
static void regs_for_restart(struct user_regs_struct *r)
{
	int64_t ax = (int64_t)r->rax;

	if ((int64_t)r->orig_rax < 0)
		return;
	switch (-ax) {
	case ERESTARTSYS:
	case ERESTARTNOINTR:
	case ERESTARTNOHAND:
		r->rax = r->orig_rax;
		r->rip -= 2;
		break;
	case ERESTART_RESTARTBLOCK:
		r->rax = SYS_restart_syscall;
		r->rip -= 2;
		break;
	}
}

#define PEEK_BATCH 32

/* Queued signals (thread's own queue, or the process' shared one) as raw siginfos. */
static int peek_pending(pid_t tid, bool shared, ProtobufCBinaryData **ret, size_t *ret_n)
{
	struct { uint64_t off; uint32_t flags; int32_t nr; } args = { 0, shared ? 1 : 0, PEEK_BATCH };
	siginfo_t batch[PEEK_BATCH];
	ProtobufCBinaryData *out = NULL;
	size_t n = 0;

	for (;;) {
		long got = ptrace(PTRACE_PEEKSIGINFO, tid, &args, batch);
		ProtobufCBinaryData *no;
		if (got < 0) {
			free(out);
			return log_error_errno(negative_errno(), "PTRACE_PEEKSIGINFO of %d", tid);
		}
		if (got == 0)
			break;
		no = realloc(out, (n + (size_t)got) * sizeof(*out));
		if (!no) {
			free(out);
			return -ENOMEM;
		}
		out = no;
		for (long i = 0; i < got; i++) {
			out[n].len = sizeof(siginfo_t);
			out[n].data = malloc(sizeof(siginfo_t));
			if (!out[n].data) {
				for (size_t j = 0; j < n; j++)
					free(out[j].data);
				free(out);
				return -ENOMEM;
			}
			memcpy(out[n++].data, &batch[i], sizeof(siginfo_t));
		}
		args.off += (uint64_t)got;
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

static void free_pending(ProtobufCBinaryData *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].data);
	free(p);
}

/* The intercepted signal (if any) goes first: it was dequeued before the rest. */
static int add_intercepted(const struct seized_thread *th, ProtobufCBinaryData **p, size_t *n)
{
	ProtobufCBinaryData *np;

	if (!th->pending_sig)
		return 0;
	np = realloc(*p, (*n + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	memmove(np + 1, np, *n * sizeof(*np));
	np[0].len = sizeof(siginfo_t);
	np[0].data = malloc(sizeof(siginfo_t));
	if (!np[0].data) {
		memmove(np, np + 1, *n * sizeof(*np));
		*p = np;
		return -ENOMEM;
	}
	memcpy(np[0].data, &th->pending_info, sizeof(siginfo_t));
	*p = np;
	(*n)++;
	return 0;
}

static void fill_regs(UserRegsX86Entry *e, const struct user_regs_struct *r)
{
	e->r15 = r->r15; e->r14 = r->r14; e->r13 = r->r13; e->r12 = r->r12;
	e->bp = r->rbp; e->bx = r->rbx; e->r11 = r->r11; e->r10 = r->r10;
	e->r9 = r->r9; e->r8 = r->r8; e->ax = r->rax; e->cx = r->rcx;
	e->dx = r->rdx; e->si = r->rsi; e->di = r->rdi; e->orig_ax = r->orig_rax;
	e->ip = r->rip; e->cs = r->cs; e->flags = r->eflags; e->sp = r->rsp;
	e->ss = r->ss; e->fs_base = r->fs_base; e->gs_base = r->gs_base;
	e->ds = r->ds; e->es = r->es; e->fs = r->fs; e->gs = r->gs;
}

static int write_thread_core(struct dump_ctx *c, struct seized_task *k, size_t idx,
			     const struct user_regs_struct *regs, uint64_t sigmask,
			     const struct task_remote *tr)
{
	pid_t tid = k->threads[idx].tid;
	const struct parasite_thread_state *rem = &tr->threads[idx];
	ThreadCoreEntry tc = THREAD_CORE_ENTRY__INIT;
	UserRegsX86Entry gp = USER_REGS_X86_ENTRY__INIT;
	RseqEntry rs = RSEQ_ENTRY__INIT;
	SigaltstackEntry alt = SIGALTSTACK_ENTRY__INIT;
	struct user_regs_struct rr = *regs;
	struct ptrace_rseq_conf rc;
	_cleanup_free_ uint8_t *xsave = malloc(XSAVE_MAX);
	struct iovec iov = { xsave, XSAVE_MAX };
	char path[64], comm[32];
	uint64_t head = 0, len = 0;
	struct img *img = NULL;
	int r, q;

	if (!xsave)
		return -ENOMEM;
	tc.tid = (uint32_t)tid;
	tc.has_syscall_nr = true;
	tc.syscall_nr = (int64_t)regs->orig_rax;
	regs_for_restart(&rr);
	fill_regs(&gp, &rr);
	tc.gpregs = &gp;
	if (ptrace(PTRACE_GETREGSET, tid, NT_X86_XSTATE, &iov) < 0)
		return log_error_errno(negative_errno(), "PTRACE_GETREGSET(NT_X86_XSTATE) of %d", tid);
	tc.has_xsave = true;
	tc.xsave.data = xsave;
	tc.xsave.len = iov.iov_len;
	tc.has_blocked_sigset = true;
	tc.blocked_sigset = sigmask;
	tc.has_clear_child_tid = true;
	tc.clear_child_tid = rem->clear_child_tid;
	if (syscall(SYS_get_robust_list, tid, &head, &len) < 0)
		return log_error_errno(negative_errno(), "get_robust_list of %d", tid);
	tc.has_robust_list = tc.has_robust_list_len = true;
	tc.robust_list = head;
	tc.robust_list_len = len;
	if (kerndat_has(KD_PTRACE_RSEQ_CONF) &&
	    ptrace(PTRACE_GET_RSEQ_CONFIGURATION, tid, sizeof(rc), &rc) == (long)sizeof(rc) &&
	    rc.rseq_abi_pointer) {
		rs.ptr = rc.rseq_abi_pointer;
		rs.len = rc.rseq_abi_size;
		rs.sig = rc.signature;
		tc.rseq = &rs;
	}
	alt.sp = rem->ss_sp;
	alt.size = rem->ss_size;
	alt.flags = (uint32_t)rem->ss_flags;
	tc.altstack = &alt;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", k->pid, tid);
	if (proc_read_small(path, comm, sizeof(comm)) >= 0)
		tc.comm = comm;

	r = peek_pending(tid, false, &tc.pending_siginfo, &tc.n_pending_siginfo);
	if (r >= 0)
		r = add_intercepted(&k->threads[idx], &tc.pending_siginfo, &tc.n_pending_siginfo);
	if (r < 0) {
		free_pending(tc.pending_siginfo, tc.n_pending_siginfo);
		return r;
	}
	r = img_open(c->dir, IMG_CORE, true, &img, tid);
	if (r < 0) {
		free_pending(tc.pending_siginfo, tc.n_pending_siginfo);
		return log_error_errno(r, "cannot create core image of %d", tid);
	}
	r = img_write(img, &tc.base);
	free_pending(tc.pending_siginfo, tc.n_pending_siginfo);
	if (r >= 0 && idx == 0) {
		TaskCoreEntry tk = TASK_CORE_ENTRY__INIT;
		SigactionEntry sa[64], *sap[64];
		ItimerEntry it[3], *itp[3];
		char pers[32];

		tk.pid = (uint32_t)k->pid;
		tk.comm = k->stat.comm;
		for (int s = 1; s <= 64; s++) {
			sigaction_entry__init(&sa[tk.n_sigactions]);
			sa[tk.n_sigactions].signo = (uint32_t)s;
			sa[tk.n_sigactions].handler = tr->task.sigactions[s - 1].handler;
			sa[tk.n_sigactions].flags = tr->task.sigactions[s - 1].flags;
			sa[tk.n_sigactions].restorer = tr->task.sigactions[s - 1].restorer;
			sa[tk.n_sigactions].mask = tr->task.sigactions[s - 1].mask;
			if (s == SIGKILL || s == SIGSTOP)
				continue;
			sap[tk.n_sigactions] = &sa[tk.n_sigactions];
			tk.n_sigactions++;
		}
		tk.sigactions = sap;
		for (int w = 0; w < 3; w++) {
			itimer_entry__init(&it[w]);
			it[w].which = (uint32_t)w;
			it[w].interval_sec = (uint64_t)tr->task.itimers[w].interval_sec;
			it[w].interval_usec = (uint64_t)tr->task.itimers[w].interval_usec;
			it[w].value_sec = (uint64_t)tr->task.itimers[w].value_sec;
			it[w].value_usec = (uint64_t)tr->task.itimers[w].value_usec;
			itp[w] = &it[w];
		}
		tk.n_itimers = 3;
		tk.itimers = itp;
		snprintf(path, sizeof(path), "/proc/%d/personality", k->pid);
		if (proc_read_small(path, pers, sizeof(pers)) >= 0) {
			tk.has_personality = true;
			tk.personality = (uint32_t)strtoul(pers, NULL, 16);
		}
		{
			struct proc_status st;
			if (proc_parse_status(k->pid, 0, &st) >= 0) {
				tk.has_umask = true;
				tk.umask = st.umask;
			}
		}
		tk.has_exit_signal = true;
		tk.exit_signal = k->stat.exit_signal;
		tk.has_stopped = true;
		tk.stopped = k->threads[0].group_stopped;
		r = peek_pending(tid, true, &tk.shared_pending_siginfo, &tk.n_shared_pending_siginfo);
		if (r >= 0)
			r = img_write(img, &tk.base);
		free_pending(tk.shared_pending_siginfo, tk.n_shared_pending_siginfo);
	}
	q = img_close(img);
	if (r < 0 || q < 0)
		return log_error_errno(r < 0 ? r : q, "cannot write core image of %d", tid);
	return 0;
}

int dump_task(struct dump_ctx *c, struct seized_task *k)
{
	struct task_remote tr;
	_cleanup_free_ struct parasite_thread_state *threads = calloc(k->nr_threads, sizeof(*threads));
	_cleanup_free_ struct user_regs_struct *regs = calloc(k->nr_threads, sizeof(*regs));
	_cleanup_free_ uint64_t *masks = calloc(k->nr_threads, sizeof(uint64_t));
	TaskStateEntry *ts = NULL;
	int r;

	if (!threads || !regs || !masks)
		return -ENOMEM;
	memset(&tr, 0, sizeof(tr));
	tr.threads = threads;
	tr.nr_threads = k->nr_threads;
	r = taskstate_outside(k, &ts);
	if (r < 0)
		return r;
	r = collect_task_remote(c, k, &tr, regs, masks, ts);
	if (r >= 0) {
		r = ts_image_write(c->dir, ts);
		if (r < 0)
			log_error_errno(r, "cannot write the task state image of %d", k->pid);
	}
	ts_entry_free(ts);
	if (r < 0)
		return r;
	for (size_t i = 0; i < k->nr_threads; i++) {
		r = write_thread_core(c, k, i, &regs[i], masks[i], &tr);
		if (r < 0)
			return r;
	}
	return 0;
}
