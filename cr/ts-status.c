/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/PID/status and small /proc file helpers for the task-state kinds. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "taskstate-internal.h"
#include "util.h"

int ts_read_file(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return negative_errno();
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0)
			return negative_errno();
		if (n == 0)
			break;
		total += n;
	}
	buf[total] = 0;
	while (total > 0 && buf[total - 1] == '\n')
		buf[--total] = 0;
	return total;
}

int ts_readlink(const char *path, char **ret)
{
	char buf[PATH_MAX + 1];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return negative_errno();
	buf[n] = 0;
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

static int parse_ids(const char *v, uint32_t ids[4])
{
	unsigned a, b, c, d;

	if (sscanf(v, "%u %u %u %u", &a, &b, &c, &d) != 4)
		return -EINVAL;
	ids[0] = a, ids[1] = b, ids[2] = c, ids[3] = d;
	return 0;
}

static int parse_groups(const char *v, struct ts_status *s)
{
	char *end;

	for (;;) {
		unsigned long g;
		uint32_t *n;

		while (*v == ' ' || *v == '\t')
			v++;
		if (!*v)
			return 0;
		errno = 0;
		g = strtoul(v, &end, 10);
		if (errno || end == v || g > UINT32_MAX)
			return -EINVAL;
		n = realloc(s->groups, (s->nr_groups + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->groups = n;
		s->groups[s->nr_groups++] = g;
		v = end;
	}
}

static int parse_line(struct ts_status *s, const char *key, const char *v)
{
	if (!strcmp(key, "Uid"))
		return parse_ids(v, s->uid);
	if (!strcmp(key, "Gid"))
		return parse_ids(v, s->gid);
	if (!strcmp(key, "Groups"))
		return parse_groups(v, s);
	if (!strcmp(key, "CapInh"))
		return sscanf(v, "%" SCNx64, &s->cap_inh) == 1 ? 0 : -EINVAL;
	if (!strcmp(key, "CapPrm"))
		return sscanf(v, "%" SCNx64, &s->cap_prm) == 1 ? 0 : -EINVAL;
	if (!strcmp(key, "CapEff"))
		return sscanf(v, "%" SCNx64, &s->cap_eff) == 1 ? 0 : -EINVAL;
	if (!strcmp(key, "CapBnd"))
		return sscanf(v, "%" SCNx64, &s->cap_bnd) == 1 ? 0 : -EINVAL;
	if (!strcmp(key, "CapAmb"))
		return sscanf(v, "%" SCNx64, &s->cap_amb) == 1 ? 0 : -EINVAL;
	if (!strcmp(key, "NoNewPrivs")) {
		s->no_new_privs = atoi(v) != 0;
		return 0;
	}
	if (!strcmp(key, "Umask"))
		return sscanf(v, "%o", &s->umask) == 1 ? 0 : -EINVAL;
	if (!strcmp(key, "State")) {
		s->state = *v;
		return 0;
	}
	if (!strcmp(key, "TracerPid"))
		return sscanf(v, "%d", &s->tracer) == 1 ? 0 : -EINVAL;
	if (!strcmp(key, "Seccomp"))
		return sscanf(v, "%d", &s->seccomp) == 1 ? 0 : -EINVAL;
	if (!strcmp(key, "Seccomp_filters"))
		return sscanf(v, "%d", &s->seccomp_filters) == 1 ? 0 : -EINVAL;
	return 0;
}

int ts_read_status(pid_t pid, pid_t tid, struct ts_status *s)
{
	char path[64];
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	int r;

	*s = (struct ts_status){ .seccomp = -1 };
	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return log_error_errno(negative_errno(), "cannot open %s", path);
	while (getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':'), *v;

		if (!colon)
			continue;
		*colon = 0;
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		v[strcspn(v, "\n")] = 0;
		r = parse_line(s, line, v);
		if (r < 0) {
			ts_status_done(s);
			return log_error_errno(r, "%s: cannot parse the %s line '%s'", path, line, v);
		}
	}
	return 0;
}

void ts_status_done(struct ts_status *s)
{
	free(s->groups);
	s->groups = NULL;
	s->nr_groups = 0;
}
