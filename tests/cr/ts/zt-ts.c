/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "../lib/zt.h"
#include "zt-ts.h"

static int phase_get(struct zt_worker *w)
{
	return __atomic_load_n(&w->phase, __ATOMIC_SEQ_CST);
}

static void phase_set(struct zt_worker *w, int p)
{
	__atomic_store_n(&w->phase, p, __ATOMIC_SEQ_CST);
}

/* Polls with short sleeps: a sleep cut by C/R returns EINTR and the loop goes on. */
static void wait_phase(struct zt_worker *w, int p)
{
	struct timespec t = { 0, 5 * 1000 * 1000 };
	while (phase_get(w) != p)
		nanosleep(&t, NULL);
}

static void *worker_main(void *arg)
{
	struct zt_worker *w = arg;
	w->tid = (pid_t)syscall(SYS_gettid);
	if (w->setup)
		w->setup(w);
	phase_set(w, 1);
	wait_phase(w, 2);
	w->verdict = w->check ? w->check(w) : NULL;
	phase_set(w, 3);
	return NULL;
}

void zt_worker_start(struct zt_worker *w)
{
	w->phase = 0;
	if (pthread_create(&w->th, NULL, worker_main, w))
		zt_fail("pthread_create failed");
	wait_phase(w, 1);
}

const char *zt_worker_check(struct zt_worker *w)
{
	phase_set(w, 2);
	wait_phase(w, 3);
	pthread_join(w->th, NULL);
	return w->verdict;
}

int zt_status(pid_t tid, const char *key, char *buf, size_t size)
{
	char path[64], line[4096];
	size_t n = strlen(key);
	if (tid)
		snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int r = -ENOENT;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			char *v = line + n + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = 0;
			snprintf(buf, size, "%s", v);
			r = 0;
			break;
		}
	fclose(f);
	return r;
}

void zt_status_keys(pid_t tid, const char *const *keys, char *buf, size_t size)
{
	size_t off = 0;
	buf[0] = 0;
	for (; *keys && off < size; keys++) {
		char v[1024];
		if (zt_status(tid, *keys, v, sizeof(v)) < 0)
			snprintf(v, sizeof(v), "?");
		off += (size_t)snprintf(buf + off, size - off, "%s: %s\n", *keys, v);
	}
}

static void share_dir_of(const char *env)
{
	const char *p = getenv(env);
	if (!p)
		return;
	char *copy = strdup(p);
	if (!copy || chmod(dirname(copy), 0777) < 0)
		zt_fail("cannot open the directory of %s to other uids: %m", p);
	free(copy);
}

void zt_share_result_dir(void)
{
	share_dir_of("ZT_OUT");
	share_dir_of("ZT_PIDFILE");
}

int zt_ksigaction_get(int sig, struct zt_ksigaction *ret)
{
	return syscall(SYS_rt_sigaction, sig, NULL, ret, 8) < 0 ? -errno : 0;
}

int zt_ksigaction_set(int sig, const struct zt_ksigaction *ka)
{
	return syscall(SYS_rt_sigaction, sig, ka, NULL, 8) < 0 ? -errno : 0;
}
