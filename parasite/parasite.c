/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parasite: runs inside a seized task, on a stack in the scratch area,
 * and answers what only the task can tell.  Two entries (parasite-args.h):
 * parasite_cmd(args) runs one command and returns to an int3 the host
 * placed; parasite_daemon(fd) serves commands from the channel socket until
 * told to finish, then returns to the same int3.  The blob's static data
 * (page_fd) lives in the scratch mapping, fresh for every infection.
 *
 * Every signal is blocked while the parasite runs (the host set the mask),
 * so a write to a closed socket must not raise SIGPIPE: it would stay
 * pending and kill the task once its own mask is back (MSG_NOSIGNAL).
 */
#include <stddef.h>
#include <stdint.h>
#include <linux/prctl.h>
#include <linux/uio.h>
#include "pie.h"
#include "pie-syscall.h"
#include "parasite-args.h"

#define EINVAL_ 22
#define ENOSYS_ 38
#define EPROTO_ 71
#define EBADF_ 9
#define EIO_ 5
#define MSG_CMSG_CLOEXEC_ 0x40000000
#define AF_UNIX_ 1
#define SOCK_SEQPACKET_ 5
#define SOCK_CLOEXEC_ 02000000
#define SOL_SOCKET_ 1
#define SCM_RIGHTS_ 1
#define MSG_NOSIGNAL_ 0x4000
#define PAGE_SIZE_ 4096

static long task_state(struct parasite_task_state *t)
{
	long r;

	t->pid = (int32_t)sys_getpid();
	for (int sig = 1; sig <= PARASITE_NSIG; sig++) {
		if (sig == 9 || sig == 19)	/* SIGKILL, SIGSTOP: fixed */
			continue;
		r = sys_rt_sigaction(sig, NULL, &t->sigactions[sig - 1]);
		if (r < 0)
			return r;
	}
	for (int which = 0; which < 3; which++) {
		r = sys_getitimer(which, (struct itimerval *)&t->itimers[which]);
		if (r < 0)
			return r;
	}
	return 0;
}

static long thread_state(struct parasite_thread_state *t)
{
	struct { uint64_t sp; int32_t flags; int32_t pad; uint64_t size; } ss;
	long r;

	t->tid = (int32_t)sys_gettid();
	r = sys_sigaltstack(NULL, &ss);
	if (r < 0)
		return r;
	t->ss_sp = ss.sp;
	t->ss_flags = ss.flags;
	t->ss_size = ss.size;
	return sys_prctl(PR_GET_TID_ADDRESS, (unsigned long)&t->clear_child_tid, 0, 0, 0);
}

static long make_channel(struct parasite_channel *ch)
{
	int sv[2];
	long r = sys_socketpair(AF_UNIX_, SOCK_SEQPACKET_ | SOCK_CLOEXEC_, 0, sv);

	if (r < 0)
		return r;
	ch->daemon_fd = sv[0];
	ch->host_fd = sv[1];
	return 0;
}

/* The fds go with the reply; here only the request is checked. */
static long drain_fds(const struct parasite_fds *f)
{
	return f->nr >= 1 && f->nr <= PARASITE_FDS_BATCH ? 0 : -EINVAL_;
}

static bool page_is_zero(const uint64_t *p)
{
	/* Data pages are the common case: the first word usually tells. */
	for (size_t i = 0; i < PAGE_SIZE_ / 8; i += 8)
		if (p[i] | p[i + 1] | p[i + 2] | p[i + 3] | p[i + 4] | p[i + 5] | p[i + 6] | p[i + 7])
			return false;
	return true;
}

/* The page file the host handed over (PAGE_FD), -1 without. */
static int page_fd = -1;

static long set_page_fd(struct parasite_page_fd *p, int received)
{
	if (page_fd >= 0)
		sys_close(page_fd);
	page_fd = received;
	p->fd = received;
	return 0;
}

static long write_all(const void *buf, uint64_t len, uint64_t off)
{
	for (uint64_t done = 0; done < len;) {
		long n = sys_pwrite64(page_fd, (const uint8_t *)buf + done, len - done, (long)(off + done));
		if (n == -4)
			continue;
		if (n <= 0)
			return n < 0 ? n : -EIO_;
		done += (uint64_t)n;
	}
	return 0;
}

/* Data runs are written in pieces this size, so a page was just looked at
 * (cache and TLB warm) when its bytes go out. */
#define DUMP_PIECE_PAGES 256

/* Memory straight from our address space into the page file: one copy. */
static long dump_pages(struct parasite_dump_pages *d)
{
	const uint8_t *base = (const uint8_t *)(uintptr_t)d->vaddr;
	uint64_t off = d->file_off;
	uint32_t i = 0;

	if (page_fd < 0)
		return -EBADF_;
	if (d->nr_pages > PARASITE_SCAN_PAGES || d->vaddr % PAGE_SIZE_)
		return -EINVAL_;
	d->nr_zero = 0;
	memset(d->zero, 0, sizeof(d->zero));
	while (i < d->nr_pages) {
		bool zero = page_is_zero((const uint64_t *)(base + (uint64_t)i * PAGE_SIZE_));
		uint32_t j = i + 1;
		long r;

		while (j < d->nr_pages && j - i < DUMP_PIECE_PAGES &&
		       page_is_zero((const uint64_t *)(base + (uint64_t)j * PAGE_SIZE_)) == zero)
			j++;
		if (zero) {
			for (uint32_t k = i; k < j; k++)
				d->zero[k / 64] |= 1ull << (k % 64);
			d->nr_zero += j - i;
		} else {
			r = write_all(base + (uint64_t)i * PAGE_SIZE_, (uint64_t)(j - i) * PAGE_SIZE_, off);
			if (r < 0)
				return r;
			off += (uint64_t)(j - i) * PAGE_SIZE_;
		}
		i = j;
	}
	d->written = off - d->file_off;
	return 0;
}

/* One command; channel says whether it came over the channel (else: trap);
 * received: the fd the request carried, or -1. */
static long dispatch(struct parasite_args *a, bool channel, int received)
{
	if (a->magic != PARASITE_ARGS_MAGIC)
		return -EINVAL_;
	switch (a->cmd) {
	case PARASITE_CMD_TASK_STATE:
		return task_state(&a->task);
	case PARASITE_CMD_THREAD_STATE:
		return channel ? -EINVAL_ : thread_state(&a->thread);
	case PARASITE_CMD_CHANNEL:
		return channel ? -EINVAL_ : make_channel(&a->channel);
	case PARASITE_CMD_DRAIN_FDS:
		return channel ? drain_fds(&a->fds) : -EINVAL_;
	case PARASITE_CMD_DUMP_PAGES:
		return channel ? dump_pages(&a->pages) : -EINVAL_;
	case PARASITE_CMD_PAGE_FD:
		return channel ? set_page_fd(&a->page_fd, received) : -EINVAL_;
	case PARASITE_CMD_FINI:
		return channel ? 0 : -EINVAL_;
	}
	return -ENOSYS_;
}

PIE_ENTRY long parasite_cmd(struct parasite_args *a)
{
	long r = dispatch(a, false, -1);

	a->status = (int32_t)r;
	return r;
}

static long send_reply(int sk, struct parasite_args *a, const int32_t *fds, uint32_t nr_fds)
{
	union {
		struct cmsghdr h;
		uint8_t buf[sizeof(struct cmsghdr) + 4 * PARASITE_FDS_BATCH];
	} ctl;
	struct iovec iov = { .iov_base = a, .iov_len = sizeof(*a) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	long r;

	if (nr_fds) {
		ctl.h.cmsg_len = sizeof(struct cmsghdr) + 4 * nr_fds;
		ctl.h.cmsg_level = SOL_SOCKET_;
		ctl.h.cmsg_type = SCM_RIGHTS_;
		memcpy(ctl.buf + sizeof(struct cmsghdr), fds, 4 * nr_fds);
		m.msg_control = &ctl;
		m.msg_controllen = (sizeof(struct cmsghdr) + 4 * nr_fds + 7) & ~7ul;
	}
	r = sys_sendmsg(sk, &m, MSG_NOSIGNAL_);
	if (r < 0 && nr_fds) {
		/* e.g. a listed fd is not open: say so, without fds */
		a->status = (int32_t)r;
		m.msg_control = NULL;
		m.msg_controllen = 0;
		r = sys_sendmsg(sk, &m, MSG_NOSIGNAL_);
	}
	return r < 0 ? r : 0;
}

/*
 * The daemon: one request, one reply, until FINI, end of file or a broken
 * channel.  It closes its socket before it returns, so nothing of ours stays
 * in the task's fd table.
 */
PIE_ENTRY long parasite_daemon(long sk)
{
	struct parasite_args a;
	struct iovec iov = { .iov_base = &a, .iov_len = sizeof(a) };
	long r = 0;

	for (;;) {
		union {
			struct cmsghdr h;
			uint8_t buf[sizeof(struct cmsghdr) + 8];
		} ctl;
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
				    .msg_controllen = sizeof(ctl) };
		long n = sys_recvmsg((int)sk, &m, MSG_CMSG_CLOEXEC_);
		int received = -1;
		bool fini, with_fds;

		if (n == -4)	/* EINTR: cannot happen with all blocked, but harmless */
			continue;
		if (n <= 0) {
			r = n;
			break;
		}
		if (m.msg_controllen >= sizeof(struct cmsghdr) + 4 && ctl.h.cmsg_level == SOL_SOCKET_ &&
		    ctl.h.cmsg_type == SCM_RIGHTS_)
			memcpy(&received, ctl.buf + sizeof(struct cmsghdr), 4);
		if (n != (long)sizeof(a) || (received >= 0 && a.cmd != PARASITE_CMD_PAGE_FD)) {
			if (received >= 0)
				sys_close(received);
			a.status = -EPROTO_;
			fini = with_fds = false;
		} else {
			a.status = (int32_t)dispatch(&a, true, received);
			fini = a.cmd == PARASITE_CMD_FINI;
			with_fds = a.cmd == PARASITE_CMD_DRAIN_FDS && a.status == 0;
		}
		r = send_reply((int)sk, &a, with_fds ? a.fds.fds : NULL, with_fds ? a.fds.nr : 0);
		if (r < 0 || fini)
			break;
	}
	if (page_fd >= 0)
		sys_close(page_fd);
	page_fd = -1;
	sys_close((int)sk);
	return r;
}
