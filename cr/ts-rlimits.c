/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Resource limits.  Collected from /proc/PID/limits, not prlimit(): without
 * CAP_SYS_RESOURCE, prlimit() on a task of another uid fails, the file does
 * not.  Applied with setrlimit() in the restored task; a hard limit above the
 * restorer's own cannot be raised without CAP_SYS_RESOURCE: that fails naming
 * the limit, or keeps the current one with TS_APPLY_KEEP_RLIMIT.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include "log.h"
#include "taskstate-internal.h"
#include "util.h"

/* The row names of /proc/PID/limits, by resource number. */
static const char *const rlimit_rows[RLIM_NLIMITS] = {
	[RLIMIT_CPU] = "Max cpu time",
	[RLIMIT_FSIZE] = "Max file size",
	[RLIMIT_DATA] = "Max data size",
	[RLIMIT_STACK] = "Max stack size",
	[RLIMIT_CORE] = "Max core file size",
	[RLIMIT_RSS] = "Max resident set",
	[RLIMIT_NPROC] = "Max processes",
	[RLIMIT_NOFILE] = "Max open files",
	[RLIMIT_MEMLOCK] = "Max locked memory",
	[RLIMIT_AS] = "Max address space",
	[RLIMIT_LOCKS] = "Max file locks",
	[RLIMIT_SIGPENDING] = "Max pending signals",
	[RLIMIT_MSGQUEUE] = "Max msgqueue size",
	[RLIMIT_NICE] = "Max nice priority",
	[RLIMIT_RTPRIO] = "Max realtime priority",
	[RLIMIT_RTTIME] = "Max realtime timeout",
};

static const char *const rlimit_names[RLIM_NLIMITS] = {
	"CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE",
	"MEMLOCK", "AS", "LOCKS", "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME",
};

const char *ts_rlimit_name(unsigned res)
{
	return res < RLIM_NLIMITS ? rlimit_names[res] : "?";
}

/* "unlimited" or a decimal number (the units column is only a label). */
static int parse_limit(const char *s, uint64_t *ret)
{
	char *end;

	if (!strncmp(s, "unlimited", 9)) {
		*ret = UINT64_MAX;
		return 9;
	}
	errno = 0;
	*ret = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	return end - s;
}

static int parse_row(const char *line, TsRlimitEntry *out)
{
	for (unsigned res = 0; res < RLIM_NLIMITS; res++) {
		size_t n = strlen(rlimit_rows[res]);
		const char *p = line + n;
		int k;

		if (strncmp(line, rlimit_rows[res], n) || (*p != ' ' && *p != '\t'))
			continue;
		out->resource = res;
		p += strspn(p, " \t");
		k = parse_limit(p, &out->cur);
		if (k < 0)
			return k;
		p += k;
		p += strspn(p, " \t");
		k = parse_limit(p, &out->max);
		return k < 0 ? k : 1;
	}
	return 0;
}

static int collect_rlimits(const struct ts_collect_ctx *c _unused_, pid_t pid, TaskStateEntry *e)
{
	char path[64];
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	snprintf(path, sizeof(path), "/proc/%d/limits", pid);
	f = fopen(path, "re");
	if (!f)
		return log_error_errno(negative_errno(), "cannot open %s", path);
	while (getline(&line, &cap, f) > 0) {
		TsRlimitEntry row = TS_RLIMIT_ENTRY__INIT, *m;
		int r = parse_row(line, &row);

		if (r < 0)
			return log_error_errno(r, "%s: cannot parse '%s'", path, line);
		if (r == 0)
			continue;
		m = ts_append_msg((void ***)&e->rlimits, &e->n_rlimits, sizeof(*m));
		if (!m)
			return -ENOMEM;
		*m = row;
	}
	if (e->n_rlimits != RLIM_NLIMITS)
		return log_error_errno(-EINVAL, "%s: found %zu of the %d limits", path, e->n_rlimits, RLIM_NLIMITS);
	return 0;
}

static rlim_t to_rlim(uint64_t v)
{
	return v == UINT64_MAX ? RLIM_INFINITY : (rlim_t)v;
}

static int apply_one(const struct ts_apply_ctx *a, const TaskStateEntry *e, const TsRlimitEntry *l)
{
	struct rlimit want = { to_rlim(l->cur), to_rlim(l->max) }, now;

	if (l->resource >= RLIM_NLIMITS || l->cur > l->max)
		return log_error_errno(-EINVAL, "task %u: bad rlimit %u (soft %" PRIu64 " above hard %" PRIu64 ")",
				       e->pid, l->resource, l->cur, l->max);
	if (setrlimit(l->resource, &want) == 0)
		return 0;
	if (errno != EPERM || getrlimit(l->resource, &now) < 0)
		return log_error_errno(negative_errno(), "task %u: cannot set RLIMIT_%s", e->pid,
				       ts_rlimit_name(l->resource));
	if (want.rlim_max > now.rlim_max && (a->flags & TS_APPLY_KEEP_RLIMIT)) {
		log_warn("task %u: RLIMIT_%s: hard limit %" PRIu64 " is above the restorer's %" PRIu64 ": keeping the current limit",
			 e->pid, ts_rlimit_name(l->resource), l->max, (uint64_t)now.rlim_max);
		return 0;
	}
	if (want.rlim_max > now.rlim_max)
		return log_error_errno(-EPERM, "task %u: RLIMIT_%s: hard limit %" PRIu64 " is above the restorer's hard limit %" PRIu64
				       " (raising it needs CAP_SYS_RESOURCE; the keep-current option keeps the current limit)",
				       e->pid, ts_rlimit_name(l->resource), l->max, (uint64_t)now.rlim_max);
	return log_error_errno(-EPERM, "task %u: cannot set RLIMIT_%s", e->pid, ts_rlimit_name(l->resource));
}

static int apply_rlimits(const struct ts_apply_ctx *a, const TaskStateEntry *e)
{
	for (size_t i = 0; i < e->n_rlimits; i++) {
		int r = apply_one(a, e, e->rlimits[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

/* After files (a lower RLIMIT_NOFILE would stop them being opened). */
static const char *const rlimits_needs[] = { "files", NULL };

const struct ts_kind ts_kind_rlimits = {
	.name = "ts-rlimits",
	.collect = collect_rlimits,
	.apply = apply_rlimits,
	.needs = rlimits_needs,
};
