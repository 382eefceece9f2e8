/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PID namespaces, nested: the pid-level bookkeeping.  A task's NSpid chain
 * lists its pid in every pid namespace from the dumper's down to its own.
 * clone3() takes the pids to restore as set_tid, innermost level first; a
 * task that is the init (pid 1) of a namespace its parent is not in is
 * cloned with CLONE_NEWPID, which creates the namespace.  Nothing is dumped
 * per pid namespace: the chains in ns-ids.img are all it takes.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "ns.h"
#include "util.h"

static int find_task(const struct ns_pid_task *t, unsigned n, pid_t pid)
{
	for (unsigned i = 0; i < n; i++)
		if (t[i].pid == pid)
			return (int)i;
	return -1;
}

/* The pid namespace a task is in, by level, under its parent's. */
static int plan_root(struct ns_pid_task *t, struct ns_pid_ns *ns, unsigned *nr, unsigned *base)
{
	if (t->nspid_len > 2 || (t->nspid_len == 2 && t->nspid[1] != 1)) {
		log_error("task %d: pid namespace: the tree root is not the init of its pid namespace "
			  "(NSpid has %u levels, pid %d in its own): its init is not dumped",
			  t->pid, t->nspid_len, t->nspid[t->nspid_len - 1]);
		return -EOPNOTSUPP;
	}
	ns[0] = (struct ns_pid_ns){ .level = 0, .parent = -1, .init = 0 };
	*nr = 1;
	*base = t->nspid_len - 1;	/* the dumper's level is restored only if the tree lives in it */
	if (t->nspid_len == 2) {
		ns[1] = (struct ns_pid_ns){ .level = 1, .parent = 0, .init = t->pid };
		t->new_pidns = true;
		t->pidns = 1;
		*nr = 2;
	}
	return 0;
}

static void set_tid_from_chain(struct ns_pid_task *t, unsigned base)
{
	t->set_tid_size = t->nspid_len - base;
	for (unsigned i = 0; i < t->set_tid_size; i++)
		t->set_tid[i] = t->nspid[t->nspid_len - 1 - i];
}

int ns_pid_plan(struct ns_pid_task *tasks, unsigned n, struct ns_pid_ns *ret_ns, unsigned *ret_nr_ns)
{
	unsigned nr, base;
	int r;

	if (!n)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		tasks[i].new_pidns = false;
		tasks[i].pidns = 0;
		if (!tasks[i].nspid_len || tasks[i].nspid_len > NS_PID_LEVELS_MAX ||
		    tasks[i].nspid[0] != tasks[i].pid) {
			log_error("task %d: pid namespace: bad NSpid chain (%u levels, first %d)",
				  tasks[i].pid, tasks[i].nspid_len, tasks[i].nspid_len ? tasks[i].nspid[0] : 0);
			return -EINVAL;
		}
	}
	r = plan_root(&tasks[0], ret_ns, &nr, &base);
	if (r < 0)
		return r;
	set_tid_from_chain(&tasks[0], base);
	for (unsigned i = 1; i < n; i++) {
		struct ns_pid_task *t = &tasks[i];
		int p = find_task(tasks, i, t->ppid);

		if (p < 0) {
			log_error("task %d: pid namespace: its parent %d is not before it in the tree", t->pid, t->ppid);
			return -EINVAL;
		}
		const struct ns_pid_task *pt = &tasks[p];
		if (t->nspid_len == pt->nspid_len) {
			t->pidns = pt->pidns;
		} else if (t->nspid_len == pt->nspid_len + 1 && t->nspid[t->nspid_len - 1] == 1) {
			/* The init of a namespace nested in its parent's. */
			t->new_pidns = true;
			t->pidns = nr;
			ret_ns[nr++] = (struct ns_pid_ns){ .level = t->nspid_len - 1, .parent = (int)pt->pidns,
							   .init = t->pid };
		} else {
			log_error("task %d: pid namespace: its NSpid chain has %u levels and its parent %d's %u%s: "
				  "tasks that entered a pid namespace by setns() are not supported",
				  t->pid, t->nspid_len, pt->pid, pt->nspid_len,
				  t->nspid_len > pt->nspid_len ? " (and it is not the namespace's init)" : "");
			return -EOPNOTSUPP;
		}
		set_tid_from_chain(t, base);
	}
	*ret_nr_ns = nr;
	return 0;
}

const struct ns_kind ns_kind_pid = {
	.id = NS_PID,
	.name = "pid",
	.clone_flag = CLONE_NEWPID,
	.img = IMG_KIND_MAX,	/* the NSpid chains in ns-ids.img are all it takes */
};

int ns_read_thread_nspids(pid_t pid, unsigned len, uint32_t **ret, size_t *ret_n)
{
	char path[64];
	_cleanup_free_ uint32_t *v = NULL;
	size_t n = 0;
	DIR *dir;
	struct dirent *de;
	int r = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		pid_t chain[NS_PID_LEVELS_MAX], tid = (pid_t)atoi(de->d_name);
		unsigned l;
		uint32_t *nv;

		if (tid <= 0)
			continue;
		r = ns_read_nspid(tid, chain, &l);
		if (r == -ENOENT)
			continue;	/* the thread is gone */
		if (r >= 0 && l != len)
			r = -EPROTO;
		if (r < 0)
			break;
		nv = realloc(v, (n + len) * sizeof(*v));
		if (!nv) {
			r = -ENOMEM;
			break;
		}
		v = nv;
		for (unsigned i = 0; i < len; i++)
			v[n + i] = (uint32_t)chain[i];
		n += len;
	}
	closedir(dir);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}
