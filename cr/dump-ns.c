/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dump of a tree's namespaces and cgroups, while it is seized: ns-ids.img
 * and one image per namespace it does not share with the dumper (ns.h:
 * user, pid, uts, ipc, time, cgroup), then cgroup.img (cgroup.h).  Called
 * from dump_seized() before any task is infected, so a refusal (a kind or a
 * shape that cannot be restored) leaves the tree as it was.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"
#include "dump.h"
#include "log.h"
#include "ns.h"
#include "util.h"

static bool same_dir(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	return la == lb && !strncmp(a, b, la);
}

/*
 * A task in a frozen cgroup v2 (cgroup.freeze 1: a paused container on a v2
 * host) never reaches the ptrace stop the seize waits for; the seize only
 * knows the v1 freezer (--freeze-cgroup).  Refused before the seize, naming
 * the cgroup, instead of waiting for ever.
 */
int dump_refuse_frozen_v2(pid_t pid)
{
	char path[64], mnt[PATH_MAX], file[PATH_MAX * 2], *line = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t cap = 0;
	int r = 0;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f || cg_hierarchy_mount("", mnt, sizeof(mnt)) < 0)
		return 0;	/* no such task (seize says so) or no v2 hierarchy */
	while (r == 0 && getline(&line, &cap, f) > 0) {
		_cleanup_fclose_ FILE *fz = NULL;
		char v = 0;

		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(file, sizeof(file), "%s%s/cgroup.freeze", mnt, line + 3);
		fz = fopen(file, "re");
		if (fz && fread(&v, 1, 1, fz) == 1 && v == '1') {
			log_error("task %d is in the frozen cgroup v2 %s: a tree paused by the v2 freezer cannot be "
				  "seized (thaw it, or pause it with a v1 freezer and --freeze-cgroup)", (int)pid, line + 3);
			r = -EBUSY;
		}
	}
	free(line);
	return r;
}

/*
 * --freeze-cgroup: the seize froze the freezer cgroup and thawed it once
 * every task was stopped by ptrace, so it reads THAWED now.  What counts is
 * its state before the dump: frozen then (a paused container), it is frozen
 * again at restore; frozen only by the dump, it is not.
 */
static void freezer_state_before_dump(const struct pstree *t, struct cg_state *s)
{
	char mnt[PATH_MAX], dir[PATH_MAX * 2];

	if (!t->freezer)
		return;
	s->frozen = false;
	for (size_t i = 0; i < s->n_dirs; i++) {
		struct cg_dir *d = &s->dirs[i];

		if (strstr(d->controllers, "freezer") && cg_hierarchy_mount(d->controllers, mnt, sizeof(mnt)) >= 0) {
			snprintf(dir, sizeof(dir), "%s%s", mnt, d->path);
			if (same_dir(dir, t->freezer))
				d->frozen = t->was_frozen;
		}
		s->frozen |= d->frozen;
	}
}

static int dump_cgroups(struct dump_ctx *c)
{
	_cleanup_free_ pid_t *live = calloc(c->tree->nr_tasks, sizeof(*live));
	struct cg_state *s = NULL;
	size_t n = 0;
	int r;

	if (!live)
		return -ENOMEM;
	for (size_t i = 0; i < c->tree->nr_tasks; i++)
		if (!c->tree->tasks[i].zombie)
			live[n++] = c->tree->tasks[i].pid;
	r = cg_collect(live, n, &s);
	if (r < 0)
		return r;
	freezer_state_before_dump(c->tree, s);
	r = cg_write(s, c->dir);
	cg_state_free(s);
	if (r < 0)
		return log_error_errno(r, "cannot write cgroup.img");
	return 0;
}

int dump_namespaces(struct dump_ctx *c)
{
	size_t n = c->tree->nr_tasks;
	_cleanup_free_ pid_t *pids = calloc(n, sizeof(*pids)), *ppids = calloc(n, sizeof(*ppids));
	_cleanup_free_ bool *zombie = calloc(n, sizeof(*zombie));
	int r;

	if (!pids || !ppids || !zombie)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct seized_task *k = &c->tree->tasks[i];

		pids[i] = k->pid;
		ppids[i] = k->parent < 0 ? 0 : c->tree->tasks[k->parent].pid;
		zombie[i] = k->zombie;
	}
	r = ns_dump_tree_ex(c->dir, pids, ppids, zombie, (unsigned)n);
	if (r < 0)
		return r;
	return dump_cgroups(c);
}
