/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Credentials across full C/R, in a process with two threads running as
 * uids 1000/1001/1002 (real/effective/saved), fsuid 1000, gids
 * 2000/2001/2002, fsgid 2000, groups 100,200,300; capabilities: permitted
 * kill, chown, net_bind_service, setpcap; effective kill, net_bind_service;
 * inheritable chown, net_bind_service; ambient net_bind_service; bounding set
 * without sys_module and mknod; securebits KEEP_CAPS|NO_SETUID_FIXUP;
 * no_new_privs; dumpable 1 (a uid change makes it 0).  The worker thread
 * then changes its own (credentials are per thread in the kernel): euid
 * 1000, effective set without cap_kill, securebits with NOROOT and
 * NO_CAP_AMBIENT_RAISE too (its ambient set is kept all the same).  Each
 * thread checks its own /proc status and prctl values after restore, and
 * that cap_kill works (main) or not (worker) and setuid(0) does not.
 *
 *   zt-ts-creds [userns]   userns: in a user namespace that maps only 0..1000
 *                          (tests/cr/ns/ns-launch): ids 100/101/102, 200/201/202,
 *                          groups 10,20,30 (ids as the namespace sees them;
 *                          the dumper sees others); no cap_kill check (the
 *                          test is pid 1 of its pid namespace).
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "../lib/zt.h"
#include "zt-ts.h"

#define BIT(c) (1ull << (c))

static const char *const keys[] = { "Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd",
				    "CapAmb", "NoNewPrivs", NULL };
static char status_main[1024], status_worker[1024];
static int secbits_want, dumpable_want;
static const int worker_secbits = SECBIT_KEEP_CAPS | SECBIT_NO_SETUID_FIXUP | SECBIT_NOROOT | SECBIT_NO_CAP_AMBIENT_RAISE;
static char msg[3000];

/* The ids: the namespace's own in userns mode. */
static struct {
	uid_t uid[3];
	gid_t gid[3];
	gid_t groups[3];
	bool check_kill;
} ids = { { 1000, 1001, 1002 }, { 2000, 2001, 2002 }, { 100, 200, 300 }, true };

static void capset_raw(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) },
	};
	if (syscall(SYS_capset, &h, d) < 0)
		zt_fail("capset: %m");
}

static void become_user(void)
{
	zt_share_result_dir();
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_MODULE, 0, 0, 0) < 0 || prctl(PR_CAPBSET_DROP, CAP_MKNOD, 0, 0, 0) < 0)
		zt_fail("PR_CAPBSET_DROP: %m");
	if (prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS | SECBIT_NO_SETUID_FIXUP, 0, 0, 0) < 0)
		zt_fail("PR_SET_SECUREBITS: %m");
	/* Before any thread exists: glibc's set*id() then need not broadcast. */
	if (setgroups(3, ids.groups) < 0 || setresgid(ids.gid[0], ids.gid[1], ids.gid[2]) < 0)
		zt_fail("setgroups/setresgid: %m");
	setfsgid(ids.gid[0]);
	if (setresuid(ids.uid[0], ids.uid[1], ids.uid[2]) < 0)
		zt_fail("setresuid: %m");
	setfsuid(ids.uid[0]);
	uint64_t prm = BIT(CAP_KILL) | BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SETPCAP);
	capset_raw(BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE), prm, BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) < 0)
		zt_fail("PR_CAP_AMBIENT_RAISE: %m");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		zt_fail("prctl: %m");
	secbits_want = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
}

/* Raw syscalls: glibc would apply set*id() to every thread. */
static void worker_setup(struct zt_worker *w)
{
	uint64_t prm = BIT(CAP_KILL) | BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SETPCAP);
	uint64_t inh = BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE);
	(void)w;
	if (syscall(SYS_setresuid, -1, ids.uid[0], -1) < 0)
		zt_fail("worker: setresuid: %m");
	capset_raw(BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SETPCAP), prm, inh);
	if (prctl(PR_SET_SECUREBITS, worker_secbits, 0, 0, 0) < 0)
		zt_fail("worker: PR_SET_SECUREBITS: %m");
	capset_raw(BIT(CAP_NET_BIND_SERVICE), prm, inh);
}

static const char *check_thread(pid_t tid, const char *want, const char *who, int secbits, bool can_kill)
{
	char now[1024];
	zt_status_keys(tid, keys, now, sizeof(now));
	if (strcmp(now, want)) {
		snprintf(msg, sizeof(msg), "%s: status was\n%s now\n%s", who, want, now);
		return msg;
	}
	int sb = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), d = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	if (sb != secbits || d != dumpable_want) {
		snprintf(msg, sizeof(msg), "%s: securebits %#x dumpable %d, were %#x %d", who, sb, d, secbits,
			 dumpable_want);
		return msg;
	}
	/* Behaviour: the effective cap_kill works on a root-owned process, a
	 * capability we do not hold does not. */
	if (ids.check_kill && (kill(1, 0) == 0) != can_kill) {
		snprintf(msg, sizeof(msg), "%s: kill(1, 0) %s", who, can_kill ? "fails: cap_kill is not effective" : "works: cap_kill is effective");
		return msg;
	}
	if (syscall(SYS_setuid, 0) == 0)
		return "setuid(0) succeeded: cap_setuid is back";
	return NULL;
}

static const char *worker_check(struct zt_worker *w)
{
	return check_thread(w->tid, status_worker, "worker", worker_secbits, false);
}

int main(int argc, char **argv)
{
	struct zt_worker w = { .setup = worker_setup, .check = worker_check };

	zt_init(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "userns"))
		ids = (typeof(ids)){ { 100, 101, 102 }, { 200, 201, 202 }, { 10, 20, 30 }, false };
	else if (argc > 1)
		zt_fail("usage: zt-ts-creds [userns]");
	become_user();
	zt_worker_start(&w);
	/* Per process, and every uid change (the worker's too) made it 0. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		zt_fail("PR_SET_DUMPABLE: %m");
	dumpable_want = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	zt_status_keys(gettid(), keys, status_main, sizeof(status_main));
	zt_status_keys(w.tid, keys, status_worker, sizeof(status_worker));
	zt_ready();
	zt_wait();
	const char *r = check_thread(gettid(), status_main, "main", secbits_want, true);
	if (!r)
		r = zt_worker_check(&w);
	if (r)
		zt_fail("%s", r);
	zt_pass();
}
