/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Credentials: uids, gids, supplementary groups, capability sets, securebits,
 * no_new_privs, dumpable.
 *
 * Apply never grants more than the restorer holds: the kernel refuses that
 * anyway, and we check first so the error names what was asked for (a
 * capability outside our permitted or bounding set, a set no_new_privs we
 * cannot clear, a locked securebit).  The order matters: the bounding set is
 * dropped and groups/gids set while we still have CAP_SETPCAP/CAP_SETGID;
 * KEEP_CAPS keeps our permitted set across setresuid, so securebits and the
 * final capability sets can still be set after the uid change.
 *
 * Credentials are per thread in the kernel: each thread's are collected from
 * its own status (and its securebits from inside it), and every restored
 * thread applies its own, with raw syscalls (libc's setresuid would broadcast
 * to all threads).  task_state_entry.creds is the main thread's.
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "log.h"
#include "taskstate-internal.h"
#include "util.h"

static int read_creds(pid_t pid, pid_t tid, TsCredsEntry **ret)
{
	struct ts_status s;
	TsCredsEntry *cr;
	int r;

	r = ts_read_status(pid, tid, &s);
	if (r < 0)
		return r;
	cr = calloc(1, sizeof(*cr));
	if (!cr) {
		ts_status_done(&s);
		return -ENOMEM;
	}
	ts_creds_entry__init(cr);
	cr->uid = s.uid[0], cr->euid = s.uid[1], cr->suid = s.uid[2], cr->fsuid = s.uid[3];
	cr->gid = s.gid[0], cr->egid = s.gid[1], cr->sgid = s.gid[2], cr->fsgid = s.gid[3];
	cr->groups = TAKE_PTR(s.groups);
	cr->n_groups = s.nr_groups;
	cr->cap_inh = s.cap_inh, cr->cap_prm = s.cap_prm, cr->cap_eff = s.cap_eff;
	cr->cap_bnd = s.cap_bnd, cr->cap_amb = s.cap_amb;
	cr->no_new_privs = s.no_new_privs;
	ts_status_done(&s);
	*ret = cr;
	return 0;
}

/* The process' (its main thread's) and each thread's own: they may differ. */
static int collect_creds(const struct ts_collect_ctx *c _unused_, pid_t pid, TaskStateEntry *e)
{
	TsCredsEntry *cr;
	int r = read_creds(pid, 0, &cr);

	if (r < 0)
		return r;
	if (e->creds)
		ts_creds_entry__free_unpacked(e->creds, NULL);
	e->creds = cr;
	for (size_t i = 0; i < e->n_threads; i++) {
		TsThreadEntry *t = e->threads[i];

		r = read_creds(pid, (pid_t)t->tid, &cr);
		if (r < 0)
			return r;
		if (t->creds)
			ts_creds_entry__free_unpacked(t->creds, NULL);
		t->creds = cr;
	}
	return 0;
}

int ts_creds_collect_inside(const struct ts_runner *r, TaskStateEntry *e)
{
	int64_t v;

	v = ts_run(r, 0, SYS_prctl, PR_GET_SECUREBITS, 0, 0, 0, 0, 0);
	if (v < 0)
		return log_error_errno((int)v, "task %u: PR_GET_SECUREBITS", e->pid);
	e->has_secbits = true, e->secbits = v;
	v = ts_run(r, 0, SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0, 0);
	if (v < 0)
		return log_error_errno((int)v, "task %u: PR_GET_DUMPABLE", e->pid);
	e->has_dumpable = true, e->dumpable = v;
	return 0;
}

int ts_creds_collect_inside_thread(const struct ts_runner *r, TsThreadEntry *t)
{
	int64_t v = ts_run(r, t->tid, SYS_prctl, PR_GET_SECUREBITS, 0, 0, 0, 0, 0);

	if (v < 0)
		return log_error_errno((int)v, "thread %u: PR_GET_SECUREBITS", t->tid);
	t->has_secbits = true, t->secbits = v;
	return 0;
}

static unsigned last_cap(void)
{
	char buf[16];

	if (ts_read_file("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf)) <= 0)
		return CAP_LAST_CAP;
	return (unsigned)atoi(buf) < 64 ? (unsigned)atoi(buf) : 63;
}

/* "cap_sys_admin" for an error message (static buffer: errors only). */
static const char *cap_str(unsigned cap)
{
	static char buf[64];
	char *n = cap_to_name(cap);

	snprintf(buf, sizeof(buf), "%s", n ? n : "?");
	cap_free(n);
	return buf;
}

static int first_bit(uint64_t m)
{
	return m ? __builtin_ctzll(m) : -1;
}

struct caps {
	uint64_t eff, prm, inh;
};

static int caps_get(struct caps *c)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return negative_errno();
	c->eff = d[0].effective | (uint64_t)d[1].effective << 32;
	c->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	c->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int caps_set(const struct caps *c)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)c->eff, (uint32_t)c->prm, (uint32_t)c->inh },
		{ (uint32_t)(c->eff >> 32), (uint32_t)(c->prm >> 32), (uint32_t)(c->inh >> 32) },
	};

	return syscall(SYS_capset, &h, d) < 0 ? negative_errno() : 0;
}

static uint64_t bounding_now(unsigned last)
{
	uint64_t m = 0;

	for (unsigned i = 0; i <= last; i++)
		if (prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 1)
			m |= 1ull << i;
	return m;
}

/* The credentials of one thread: its own if collected, else the process'. */
struct creds_view {
	unsigned pid;
	const TsCredsEntry *cr;
	bool has_secbits;
	uint32_t secbits;
};

static struct creds_view view_of(const TaskStateEntry *e, const TsThreadEntry *t)
{
	struct creds_view v = { e->pid, e->creds, e->has_secbits, e->secbits };

	if (t && t->creds)
		v.cr = t->creds;
	if (t && t->has_secbits)
		v.has_secbits = true, v.secbits = t->secbits;
	return v;
}

/* Setting the groups we already have needs no CAP_SETGID if we skip it. */
static bool groups_are(const TsCredsEntry *cr)
{
	gid_t now[256];
	int n = getgroups(256, now);

	if (n < 0 || (size_t)n != cr->n_groups)
		return false;
	for (int i = 0; i < n; i++)
		if (now[i] != cr->groups[i])
			return false;
	return true;
}

static bool id_in(uint32_t id, const uint32_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Without CAP_SETUID/CAP_SETGID only our own real/effective/saved ids can be
 * taken (and a group list needs CAP_SETGID unless it is ours already). */
static int check_ids(const struct creds_view *v, const struct caps *now)
{
	const TsCredsEntry *cr = v->cr;
	uint32_t u[3], g[3];
	const uint32_t want_u[] = { cr->uid, cr->euid, cr->suid, cr->fsuid };
	const uint32_t want_g[] = { cr->gid, cr->egid, cr->sgid, cr->fsgid };

	if (getresuid(&u[0], &u[1], &u[2]) < 0 || getresgid(&g[0], &g[1], &g[2]) < 0)
		return negative_errno();
	if (!(now->eff & (1ull << CAP_SETUID)))
		for (size_t i = 0; i < ARRAY_SIZE(want_u); i++)
			if (!id_in(want_u[i], u, 3))
				return log_error_errno(-EPERM, "task %u: creds ask for uids %u/%u/%u fsuid %u: uid %u needs cap_setuid, which the restorer does not hold",
						       v->pid, cr->uid, cr->euid, cr->suid, cr->fsuid, want_u[i]);
	if (!(now->eff & (1ull << CAP_SETGID))) {
		for (size_t i = 0; i < ARRAY_SIZE(want_g); i++)
			if (!id_in(want_g[i], g, 3))
				return log_error_errno(-EPERM, "task %u: creds ask for gids %u/%u/%u fsgid %u: gid %u needs cap_setgid, which the restorer does not hold",
						       v->pid, cr->gid, cr->egid, cr->sgid, cr->fsgid, want_g[i]);
		if (!groups_are(cr))
			return log_error_errno(-EPERM, "task %u: creds ask for other supplementary groups, which needs cap_setgid: the restorer does not hold it",
					       v->pid);
	}
	return 0;
}

/* Refuse up front what the restorer could not grant (clear errors, no half-applied creds). */
static int check_grantable(const struct creds_view *v, const struct caps *now, uint64_t bnd_now)
{
	const TsCredsEntry *cr = v->cr;
	int bit, r, secbits_now = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	uint64_t want = cr->cap_prm | cr->cap_eff | cr->cap_amb;

	r = check_ids(v, now);
	if (r < 0)
		return r;
	if (!(now->eff & (1ull << CAP_SETPCAP))) {
		bit = first_bit(bnd_now & ~cr->cap_bnd);
		if (bit >= 0)
			return log_error_errno(-EPERM, "task %u: dropping %s from the bounding set needs cap_setpcap: the restorer does not hold it",
					       v->pid, cap_str(bit));
		if (v->has_secbits && secbits_now >= 0 && (unsigned)secbits_now != v->secbits)
			return log_error_errno(-EPERM, "task %u: securebits %#x need cap_setpcap: the restorer does not hold it",
					       v->pid, v->secbits);
	}
	bit = first_bit(want & ~now->prm);
	if (bit >= 0)
		return log_error_errno(-EPERM, "task %u: creds ask for %s, which the restorer does not hold (permitted %#llx)",
				       v->pid, cap_str(bit), (unsigned long long)now->prm);
	bit = first_bit(cr->cap_bnd & ~bnd_now);
	if (bit >= 0)
		return log_error_errno(-EPERM, "task %u: creds ask for %s in the bounding set, which the restorer's bounding set lacks",
				       v->pid, cap_str(bit));
	bit = first_bit(cr->cap_inh & ~(now->inh | now->prm));
	if (bit >= 0)
		return log_error_errno(-EPERM, "task %u: creds ask for inheritable %s, which the restorer cannot grant",
				       v->pid, cap_str(bit));
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 && !cr->no_new_privs)
		return log_error_errno(-EPERM, "task %u: no_new_privs is off in the image but set in the restorer (it cannot be cleared)",
				       v->pid);
	if (v->has_secbits && secbits_now >= 0) {
		/* The *_LOCKED bits sit one above the bits they lock. */
		unsigned locks = secbits_now & SECURE_ALL_LOCKS;
		unsigned locked = locks >> 1;

		if ((v->secbits ^ secbits_now) & (locked | locks))
			return log_error_errno(-EPERM, "task %u: securebits %#x differ from the restorer's locked bits %#x",
					       v->pid, v->secbits, (unsigned)secbits_now);
	}
	return 0;
}

static int apply_ids(const struct creds_view *v)
{
	const TsCredsEntry *cr = v->cr;

	if (!groups_are(cr) && syscall(SYS_setgroups, cr->n_groups, cr->groups) < 0)
		return log_error_errno(negative_errno(), "task %u: cannot set %zu supplementary groups (needs CAP_SETGID)",
				       v->pid, cr->n_groups);
	if (syscall(SYS_setresgid, cr->gid, cr->egid, cr->sgid) < 0)
		return log_error_errno(negative_errno(), "task %u: cannot set gids %u/%u/%u (needs CAP_SETGID)",
				       v->pid, cr->gid, cr->egid, cr->sgid);
	syscall(SYS_setfsgid, cr->fsgid);
	if ((uint32_t)syscall(SYS_setfsgid, -1) != cr->fsgid)
		return log_error_errno(-EPERM, "task %u: cannot set fsgid %u", v->pid, cr->fsgid);
	/* Keep the permitted set across the uid change (securebits are set after). */
	prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	if (syscall(SYS_setresuid, cr->uid, cr->euid, cr->suid) < 0)
		return log_error_errno(negative_errno(), "task %u: cannot set uids %u/%u/%u (needs CAP_SETUID)",
				       v->pid, cr->uid, cr->euid, cr->suid);
	syscall(SYS_setfsuid, cr->fsuid);
	if ((uint32_t)syscall(SYS_setfsuid, -1) != cr->fsuid)
		return log_error_errno(-EPERM, "task %u: cannot set fsuid %u", v->pid, cr->fsuid);
	return 0;
}

/* Ambient before the securebits (SECBIT_NO_CAP_AMBIENT_RAISE would forbid it),
 * both while our permitted set is effective (CAP_SETPCAP); the final capset
 * keeps the ambient set, which lies in the image's permitted and inheritable. */
static int apply_caps(const struct creds_view *v, const struct caps *before)
{
	const TsCredsEntry *cr = v->cr;
	struct caps c = { before->prm, before->prm, before->inh | cr->cap_inh };
	int r;

	/* Effective back after the uid change cleared it. */
	r = caps_set(&c);
	if (r < 0)
		return log_error_errno(r, "task %u: cannot restore the effective capabilities after the uid change", v->pid);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return log_error_errno(negative_errno(), "task %u: cannot clear the ambient set", v->pid);
	for (uint64_t m = cr->cap_amb; m; m &= m - 1) {
		int bit = first_bit(m);

		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, bit, 0, 0) < 0)
			return log_error_errno(negative_errno(), "task %u: cannot raise ambient %s", v->pid, cap_str(bit));
	}
	if (v->has_secbits && prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) != (int)v->secbits &&
	    prctl(PR_SET_SECUREBITS, v->secbits, 0, 0, 0) < 0)
		return log_error_errno(negative_errno(), "task %u: cannot set securebits %#x", v->pid, v->secbits);
	c = (struct caps){ cr->cap_eff, cr->cap_prm, cr->cap_inh };
	r = caps_set(&c);
	if (r < 0)
		return log_error_errno(r, "task %u: cannot set capabilities eff %#llx prm %#llx inh %#llx", v->pid,
				       (unsigned long long)cr->cap_eff, (unsigned long long)cr->cap_prm,
				       (unsigned long long)cr->cap_inh);
	return 0;
}

static int apply_creds(const struct ts_apply_ctx *a _unused_, const TaskStateEntry *e,
		       const TsThreadEntry *t)
{
	struct creds_view v = view_of(e, t);
	struct caps now;
	unsigned last = last_cap();
	uint64_t bnd;
	int r;

	if (!v.cr)
		return 0;
	r = caps_get(&now);
	if (r < 0)
		return log_error_errno(r, "capget");
	bnd = bounding_now(last);
	r = check_grantable(&v, &now, bnd);
	if (r < 0)
		return r;
	for (unsigned i = 0; i <= last; i++)
		if ((bnd & ~v.cr->cap_bnd) & (1ull << i) && prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0)
			return log_error_errno(negative_errno(), "task %u: cannot drop %s from the bounding set",
					       e->pid, cap_str(i));
	r = apply_ids(&v);
	if (r < 0)
		return r;
	r = apply_caps(&v, &now);
	if (r < 0)
		return r;
	if (v.cr->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return log_error_errno(negative_errno(), "task %u: cannot set no_new_privs", e->pid);
	/* 2 (suid_dumpable "root only") cannot be set with prctl; the uid change already gave it. */
	if (e->has_dumpable && e->dumpable <= 1 && prctl(PR_SET_DUMPABLE, e->dumpable, 0, 0, 0) < 0)
		return log_error_errno(negative_errno(), "task %u: cannot set dumpable %u", e->pid, e->dumpable);
	return 0;
}

int ts_creds_plan(const TaskStateEntry *e, const TsThreadEntry *t, struct ts_creds_plan *ret)
{
	struct creds_view v = view_of(e, t);
	struct caps now;
	uint64_t bnd;
	int r;

	*ret = (struct ts_creds_plan){ 0 };
	if (!v.cr)
		return 0;
	r = caps_get(&now);
	if (r < 0)
		return log_error_errno(r, "capget");
	bnd = bounding_now(last_cap());
	r = check_grantable(&v, &now, bnd);
	if (r < 0)
		return r;
	ret->bnd_drop = bnd & ~v.cr->cap_bnd;
	ret->prm_now = now.prm;
	ret->inh_now = now.inh;
	ret->set_groups = !groups_are(v.cr);
	return 0;
}

static const char *const creds_needs[] = { "ts-rlimits", "ts-sched", "ts-proc", "ts-timers", "files", NULL };

const struct ts_kind ts_kind_creds = {
	.name = "ts-creds",
	.collect = collect_creds,
	.apply_thread = apply_creds,
	.needs = creds_needs,
};
