/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "cr/fault.h"
#include "cr/infect.h"
#include "cr/log.h"
#include "cr/util.h"
#include "parasite-blob.h"
#include "parasite/parasite-host.h"

/* A reply that takes longer than this means the daemon is stuck. */
#define CHANNEL_TIMEOUT_MS 30000
#define POLL_SLICE_MS 20
#define DAEMON_EXIT_TIMEOUT_MS 5000

struct parasite_ctl {
	struct infect inf;
	int sk;			/* our end of the channel, -1 without */
	pid_t daemon_tid;	/* 0: no daemon running */
	int daemon_fd, host_fd;	/* the channel's fd numbers in the task, -1 without */
	int page_fd;		/* the page file the daemon holds (its number in the task), -1 */
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
	ctl->sk = ctl->daemon_fd = ctl->host_fd = ctl->page_fd = -1;
	r = infect_start(&ctl->inf, pid, tids, nr_tids, &blob);
	*ret = ctl;	/* also on failure: the caller cures what was done */
	if (r < 0)
		return r;
	log_debug("parasite in %d at %#llx", pid, (unsigned long long)(ctl->inf.scratch + ctl->inf.blob_off));
	return 0;
}

/* Write args, run the command in tid, read the answer back. */
static int run_trap_cmd(struct parasite_ctl *ctl, pid_t tid, struct parasite_args *a)
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

/* ---- the channel ------------------------------------------------------- */

bool parasite_daemon_running(const struct parasite_ctl *ctl)
{
	return ctl && ctl->daemon_tid > 0;
}

int parasite_daemon_fd(const struct parasite_ctl *ctl)
{
	return parasite_daemon_running(ctl) ? ctl->daemon_fd : -1;
}

/* Wait until a reply is there, watching the daemon: a fault or an early
 * return must not leave us waiting forever. */
static int wait_reply(struct parasite_ctl *ctl)
{
	unsigned waited = 0;

	for (;;) {
		struct pollfd p = { .fd = ctl->sk, .events = POLLIN };
		int64_t res = 0;
		int n = poll(&p, 1, POLL_SLICE_MS), r;

		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return log_error_errno(negative_errno(), "waiting for the parasite of %d", ctl->inf.pid);
		r = infect_call_poll(&ctl->inf, ctl->daemon_tid, &res);
		if (r != -EAGAIN) {
			ctl->daemon_tid = 0;
			if (r >= 0) {
				log_error("the parasite daemon of %d returned (%lld) without replying",
					  ctl->inf.pid, (long long)res);
				r = -EPIPE;
			}
			return r;
		}
		waited += POLL_SLICE_MS;
		if (waited >= CHANNEL_TIMEOUT_MS) {
			log_error("the parasite daemon of %d did not reply in %u ms", ctl->inf.pid, waited);
			return -ETIMEDOUT;
		}
	}
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

/* The fds of an SCM_RIGHTS reply: exactly nr_fds, else none are kept. */
static int take_reply_fds(struct msghdr *m, int *ret_fds, size_t nr_fds)
{
	size_t got = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (ret_fds && got < nr_fds)
				ret_fds[got] = fd;
			else
				close(fd);
			got++;
		}
	}
	if (m->msg_flags & MSG_CTRUNC || got != nr_fds) {
		if (ret_fds)
			close_fds(ret_fds, got < nr_fds ? got : nr_fds);
		log_error("the parasite sent %zu fds, %zu expected%s", got, nr_fds,
			  m->msg_flags & MSG_CTRUNC ? " (truncated)" : "");
		return -EPROTO;
	}
	return 0;
}

static int recv_reply(struct parasite_ctl *ctl, struct parasite_args *a, int *ret_fds, size_t nr_fds)
{
	union {
		struct cmsghdr h;
		uint8_t buf[CMSG_SPACE(sizeof(int) * PARASITE_FDS_BATCH)];
	} ctlbuf;
	uint32_t cmd = a->cmd;
	struct iovec iov = { a, sizeof(*a) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctlbuf.buf,
			    .msg_controllen = sizeof(ctlbuf.buf) };
	ssize_t n;
	int r;

	for (size_t i = 0; ret_fds && i < nr_fds; i++)
		ret_fds[i] = -1;
	r = wait_reply(ctl);

	if (r < 0)
		return r;
	n = recvmsg(ctl->sk, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return log_error_errno(negative_errno(), "reading from the parasite of %d", ctl->inf.pid);
	r = take_reply_fds(&m, a->status == 0 ? ret_fds : NULL, a->status == 0 ? nr_fds : 0);
	if (n != (ssize_t)sizeof(*a) || a->magic != PARASITE_ARGS_MAGIC || a->cmd != cmd) {
		log_error("bad reply from the parasite of %d (%zd bytes, command %u for %u)", ctl->inf.pid, n, a->cmd, cmd);
		return -EPROTO;
	}
	return a->status < 0 ? a->status : r;
}

/* A request, with fd (if >= 0) attached. */
static int send_request_fd(struct parasite_ctl *ctl, struct parasite_args *a, int fd)
{
	union {
		struct cmsghdr h;
		uint8_t buf[CMSG_SPACE(sizeof(int))];
	} ctlbuf;
	struct iovec iov = { a, sizeof(*a) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (!parasite_daemon_running(ctl))
		return -ENOTCONN;
	a->magic = PARASITE_ARGS_MAGIC;
	a->status = -1;
	if (fd >= 0) {
		memset(&ctlbuf, 0, sizeof(ctlbuf));
		m.msg_control = ctlbuf.buf;
		m.msg_controllen = sizeof(ctlbuf.buf);
		ctlbuf.h.cmsg_level = SOL_SOCKET;
		ctlbuf.h.cmsg_type = SCM_RIGHTS;
		ctlbuf.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&ctlbuf.h), &fd, sizeof(int));
	}
	if (sendmsg(ctl->sk, &m, MSG_NOSIGNAL) != (ssize_t)sizeof(*a))
		return log_error_errno(negative_errno(), "writing to the parasite of %d", ctl->inf.pid);
	return 0;
}

static int send_request(struct parasite_ctl *ctl, struct parasite_args *a)
{
	return send_request_fd(ctl, a, -1);
}

int parasite_channel_cmd(struct parasite_ctl *ctl, struct parasite_args *a, int *ret_fds, size_t nr_fds)
{
	int r = send_request(ctl, a);

	if (r < 0)
		return r;
	return recv_reply(ctl, a, ret_fds, nr_fds);
}

/* Close an fd of ours in the task with a remote syscall. */
static int close_remote_fd(struct parasite_ctl *ctl, int *fd)
{
	uint64_t args[6] = { (uint64_t)*fd, 0, 0, 0, 0, 0 };
	int64_t res = 0;
	int r;

	if (*fd < 0)
		return 0;
	r = infect_syscall(&ctl->inf, ctl->inf.pid, SYS_close, args, &res);
	if (r >= 0 && res < 0)
		r = (int)res;
	if (r < 0)
		return log_error_errno(r, "cannot close fd %d of the parasite in %d", *fd, ctl->inf.pid);
	*fd = -1;
	return 0;
}

/* The daemon did not end cleanly: close the channel's fds in the task. */
static void close_remote_channel(struct parasite_ctl *ctl)
{
	close_remote_fd(ctl, &ctl->page_fd);
	close_remote_fd(ctl, &ctl->daemon_fd);
	close_remote_fd(ctl, &ctl->host_fd);
	ctl->daemon_fd = ctl->host_fd = -1;
}

int parasite_start_daemon(struct parasite_ctl *ctl)
{
	struct parasite_args a = { .cmd = PARASITE_CMD_CHANNEL };
	_cleanup_close_ int pidfd = -1;
	pid_t pid = ctl->inf.pid;
	int r;

	if (parasite_daemon_running(ctl))
		return -EALREADY;
	r = run_trap_cmd(ctl, pid, &a);
	if (r < 0)
		return r;
	ctl->daemon_fd = a.channel.daemon_fd;
	ctl->host_fd = a.channel.host_fd;
	/* pidfd_getfd, not a connect: the task may be in any network namespace. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		r = log_error_errno(negative_errno(), "pidfd_open of %d", pid);
	else {
		ctl->sk = (int)syscall(SYS_pidfd_getfd, pidfd, ctl->host_fd, 0);
		if (ctl->sk < 0)
			r = log_error_errno(negative_errno(), "taking the parasite channel of %d", pid);
	}
	/* Only the daemon's end stays in the task (before the daemon runs, so
	 * that its fd table is final when it serves). */
	if (r >= 0)
		r = close_remote_fd(ctl, &ctl->host_fd);
	if (r >= 0)
		r = infect_call_start(&ctl->inf, pid, parasite_parasite_daemon_OFF, (uint64_t)ctl->daemon_fd, 0);
	if (r < 0) {
		close_remote_channel(ctl);
		return r;
	}
	ctl->daemon_tid = pid;
	log_debug("parasite daemon of %d serves on fd %d", pid, ctl->daemon_fd);
	return fault_inject("after-daemon-start");
}

int parasite_stop_daemon(struct parasite_ctl *ctl)
{
	struct parasite_args a = { .cmd = PARASITE_CMD_FINI };
	int64_t res = 0;
	int r = 0;

	if (ctl->sk < 0 && !ctl->daemon_tid)
		return 0;
	if (ctl->daemon_tid)
		r = parasite_channel_cmd(ctl, &a, NULL, 0);
	/* Closing our end ends the daemon too, if FINI did not arrive. */
	if (ctl->sk >= 0)
		close(ctl->sk);
	ctl->sk = -1;
	if (ctl->daemon_tid) {
		int q = infect_call_wait(&ctl->inf, ctl->daemon_tid, DAEMON_EXIT_TIMEOUT_MS, &res);
		if (q < 0) {
			infect_call_abort(&ctl->inf, ctl->daemon_tid);
			r = r < 0 ? r : q;
		}
		if (q < 0 || res < 0)
			log_debug("parasite daemon of %d ended with %d / %lld", ctl->inf.pid, q, (long long)res);
		if (q >= 0 && r >= 0)
			ctl->daemon_fd = ctl->page_fd = -1;	/* closed by the daemon */
	}
	ctl->daemon_tid = 0;
	/* The daemon did not end cleanly: its socket may still be open in the task. */
	if (ctl->daemon_fd >= 0 || ctl->host_fd >= 0)
		close_remote_channel(ctl);
	return r;
}

int parasite_drain_fds(struct parasite_ctl *ctl, const int *fds, size_t nr, int *ret_local)
{
	for (size_t done = 0; done < nr;) {
		struct parasite_args a = { .cmd = PARASITE_CMD_DRAIN_FDS };
		size_t n = nr - done < PARASITE_FDS_BATCH ? nr - done : PARASITE_FDS_BATCH;
		int r;

		a.fds.nr = (uint32_t)n;
		for (size_t i = 0; i < n; i++)
			a.fds.fds[i] = fds[done + i];
		r = send_request(ctl, &a);
		/* A failure with a reply (and its fds) in flight. */
		if (r >= 0)
			r = fault_inject("mid-parasite-cmd");
		if (r >= 0)
			r = recv_reply(ctl, &a, ret_local + done, n);
		if (r < 0) {
			close_fds(ret_local, done);
			return log_error_errno(r, "cannot take fds %d.. of %d through the parasite", fds[done], ctl->inf.pid);
		}
		done += n;
	}
	return 0;
}

int parasite_set_page_fd(struct parasite_ctl *ctl, int fd)
{
	struct parasite_args a = { .cmd = PARASITE_CMD_PAGE_FD };
	int r = send_request_fd(ctl, &a, fd);

	if (r >= 0)
		r = recv_reply(ctl, &a, NULL, 0);
	if (r < 0)
		return log_error_errno(r, "cannot hand the page file to the parasite of %d", ctl->inf.pid);
	ctl->page_fd = a.page_fd.fd;
	return 0;
}

int parasite_dump_pages(struct parasite_ctl *ctl, uint64_t vaddr, uint32_t nr_pages, uint64_t file_off,
			struct parasite_dump_pages *ret)
{
	struct parasite_args a = { .cmd = PARASITE_CMD_DUMP_PAGES };
	int r;

	a.pages.vaddr = vaddr;
	a.pages.nr_pages = nr_pages;
	a.pages.file_off = file_off;
	r = parasite_channel_cmd(ctl, &a, NULL, 0);
	if (r < 0)
		return log_error_errno(r, "the parasite of %d cannot dump its pages at %#llx", ctl->inf.pid,
				       (unsigned long long)vaddr);
	if (a.pages.written + (uint64_t)a.pages.nr_zero * 4096 != (uint64_t)nr_pages * 4096) {
		log_error("the parasite of %d wrote %llu bytes for %u pages, %u of them zero", ctl->inf.pid,
			  (unsigned long long)a.pages.written, nr_pages, a.pages.nr_zero);
		return -EPROTO;
	}
	*ret = a.pages;
	return 0;
}

/* ---- commands ---------------------------------------------------------- */

int parasite_task_state(struct parasite_ctl *ctl, struct parasite_task_state *ret)
{
	struct parasite_args a = { .cmd = PARASITE_CMD_TASK_STATE };
	int r;

	if (parasite_daemon_running(ctl)) {
		r = parasite_channel_cmd(ctl, &a, NULL, 0);
		if (r < 0)
			log_error_errno(r, "parasite command %u in %d", a.cmd, ctl->inf.pid);
	} else
		r = run_trap_cmd(ctl, ctl->inf.pid, &a);
	if (r >= 0)
		*ret = a.task;
	return r;
}

/* The tid a thread has in its own pid namespace (the last of NSpid). */
static pid_t own_ns_tid(pid_t tid)
{
	char path[64], line[512];
	pid_t last = tid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	f = fopen(path, "re");
	if (!f)
		return tid;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "NSpid:", 6)) {
			char *p = line + 6, *end;
			for (long v; (v = strtol(p, &end, 10)), end != p; p = end)
				last = (pid_t)v;
			break;
		}
	fclose(f);
	return last;
}

int parasite_thread_state(struct parasite_ctl *ctl, pid_t tid, struct parasite_thread_state *ret)
{
	struct parasite_args a = { .cmd = PARASITE_CMD_THREAD_STATE };
	int r = run_trap_cmd(ctl, tid, &a);

	if (r >= 0) {
		/* (it sees itself in its own pid namespace) */
		if (a.thread.tid != tid && a.thread.tid != own_ns_tid(tid)) {
			log_error("parasite ran in thread %d, asked for %d", a.thread.tid, tid);
			return -EPROTO;
		}
		*ret = a.thread;
	}
	return r;
}

void parasite_area(const struct parasite_ctl *ctl, uint64_t *start, uint64_t *end)
{
	*start = ctl->inf.scratch;
	*end = ctl->inf.scratch + (ctl->inf.scratch ? ctl->inf.scratch_size : 0);
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
	int r, q;

	if (!ctl)
		return 0;
	r = parasite_stop_daemon(ctl);
	q = infect_stop(&ctl->inf);
	free(ctl);
	return r < 0 ? r : q;
}
