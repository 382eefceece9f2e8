/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsers for the /proc files the dumper needs.  Library code: no logging. */
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "proc-parse.h"
#include "util.h"

int proc_read_small(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return negative_errno();
	n = read(fd, buf, size - 1);
	if (n < 0)
		return negative_errno();
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return (int)n;
}

static void stat_path(char *buf, size_t size, pid_t pid, pid_t tid, const char *file)
{
	if (tid)
		snprintf(buf, size, "/proc/%d/task/%d/%s", pid, tid, file);
	else
		snprintf(buf, size, "/proc/%d/%s", pid, file);
}

int proc_parse_stat(pid_t pid, pid_t tid, struct proc_stat *ret)
{
	char path[64], buf[2048], *open_p, *close_p, *p;
	unsigned long long f[64] = { 0 };
	int r, n = 0;

	stat_path(path, sizeof(path), pid, tid, "stat");
	r = proc_read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	/* comm may contain anything, including ')' and spaces: take the last ')'. */
	open_p = strchr(buf, '(');
	close_p = strrchr(buf, ')');
	if (!open_p || !close_p || close_p < open_p || close_p[1] != ' ')
		return -EBADMSG;
	memset(ret, 0, sizeof(*ret));
	snprintf(ret->comm, sizeof(ret->comm), "%.*s", (int)(close_p - open_p - 1), open_p + 1);
	ret->state = close_p[2];
	/* Fields from 4 (ppid) on are numbers; f[i] holds field i+4. */
	p = close_p + 3;
	while (*p && n < (int)ARRAY_SIZE(f)) {
		char *end;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		f[n++] = strtoull(p, &end, 10);
		if (end == p)
			return -EBADMSG;
		p = end;
	}
	if (n < 49)	/* up to exit_code (field 52) */
		return -EBADMSG;
#define FIELD(k) f[(k) - 4]
	ret->ppid = (pid_t)FIELD(4);
	ret->pgid = (pid_t)FIELD(5);
	ret->sid = (pid_t)FIELD(6);
	ret->num_threads = (int)FIELD(20);
	ret->start_code = FIELD(26);
	ret->end_code = FIELD(27);
	ret->start_stack = FIELD(28);
	ret->exit_signal = (int)FIELD(38);
	ret->start_data = FIELD(45);
	ret->end_data = FIELD(46);
	ret->start_brk = FIELD(47);
	ret->arg_start = FIELD(48);
	ret->arg_end = FIELD(49);
	ret->env_start = FIELD(50);
	ret->env_end = FIELD(51);
	ret->exit_code = (int)FIELD(52);
#undef FIELD
	return 0;
}

/* "Key:\t v a l u e\n" -> "v a l u e" */
static void status_value(const char *line, char *buf, size_t size)
{
	const char *v = strchr(line, ':') + 1;

	v += strspn(v, " \t");
	snprintf(buf, size, "%.*s", (int)strcspn(v, "\n"), v);
}

int proc_parse_status(pid_t pid, pid_t tid, struct proc_status *ret)
{
	char path[64], line[512];
	_cleanup_fclose_ FILE *f = NULL;

	stat_path(path, sizeof(path), pid, tid, "status");
	f = fopen(path, "re");
	if (!f)
		return negative_errno();
	memset(ret, 0, sizeof(*ret));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Tgid: %d", &ret->tgid) == 1)
			continue;
		if (sscanf(line, "PPid: %d", &ret->ppid) == 1)
			continue;
		if (sscanf(line, "TracerPid: %d", &ret->tracer) == 1)
			continue;
		if (sscanf(line, "Umask: %o", &ret->umask) == 1)
			continue;
		if (sscanf(line, "SigBlk: %" SCNx64, &ret->sig_blocked) == 1)
			continue;
		if (sscanf(line, "Seccomp: %d", &ret->seccomp) == 1)
			continue;
		if (sscanf(line, "NoNewPrivs: %d", &ret->no_new_privs) == 1)
			continue;
		if (sscanf(line, "RssAnon: %" SCNu64 " kB", &ret->rss_anon) == 1) {
			ret->rss_anon <<= 10;
			continue;
		}
		if (!strncmp(line, "Uid:", 4))
			status_value(line, ret->uid, sizeof(ret->uid));
		else if (!strncmp(line, "Gid:", 4))
			status_value(line, ret->gid, sizeof(ret->gid));
		else if (!strncmp(line, "Groups:", 7))
			status_value(line, ret->groups, sizeof(ret->groups));
	}
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return x < y ? -1 : x > y;
}

static int push_pid(pid_t **arr, size_t *n, size_t *cap, pid_t pid)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		pid_t *na = realloc(*arr, nc * sizeof(pid_t));
		if (!na)
			return -ENOMEM;
		*arr = na;
		*cap = nc;
	}
	(*arr)[(*n)++] = pid;
	return 0;
}

static int numeric_dir_entries(const char *dir, pid_t **ret, size_t *ret_n, pid_t want_ppid)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	_cleanup_free_ pid_t *arr = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!d)
		return negative_errno();
	while ((de = readdir(d))) {
		char *end;
		long v = strtol(de->d_name, &end, 10);
		if (*end || end == de->d_name || v <= 0)
			continue;
		if (want_ppid > 0) {
			struct proc_stat st;
			/* Processes vanish while we scan: not an error. */
			if (proc_parse_stat((pid_t)v, 0, &st) < 0 || st.ppid != want_ppid)
				continue;
		}
		if (push_pid(&arr, &n, &cap, (pid_t)v) < 0)
			return -ENOMEM;
	}
	qsort(arr, n, sizeof(pid_t), cmp_pid);
	*ret = TAKE_PTR(arr);
	*ret_n = n;
	return 0;
}

int proc_list_tasks(pid_t pid, pid_t **ret, size_t *ret_n)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	return numeric_dir_entries(path, ret, ret_n, 0);
}

int proc_list_children(pid_t pid, pid_t **ret, size_t *ret_n)
{
	return numeric_dir_entries("/proc", ret, ret_n, pid);
}

void proc_vmas_free(struct proc_vmas *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i].path);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

static int parse_maps_line(char *line, struct proc_vma *v)
{
	char perms[8];
	int pos = 0;
	unsigned long long start, end, pgoff, ino;

	memset(v, 0, sizeof(*v));
	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &pgoff,
		   &v->dev_major, &v->dev_minor, &ino, &pos) < 7 || strlen(perms) < 4)
		return -EBADMSG;
	v->start = start;
	v->end = end;
	v->pgoff = pgoff;
	v->ino = ino;
	v->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	v->shared = perms[3] == 's';
	if (pos > 0) {
		char *p = line + pos;
		size_t l = strlen(p);
		while (l && p[l - 1] == '\n')
			p[--l] = 0;
		if (l) {
			v->path = strdup(p);
			if (!v->path)
				return -ENOMEM;
		}
	}
	return 0;
}

static void stat_map_file(pid_t pid, struct proc_vma *v)
{
	char path[96];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, v->start, v->end);
	if (stat(path, &st) == 0) {
		v->has_map_file = true;
		v->mf_dev = st.st_dev;
		v->mf_ino = st.st_ino;
	}
}

int proc_parse_maps(pid_t pid, struct proc_vmas *ret)
{
	char path[64];
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t linecap = 0, cap = 0;
	struct proc_vmas out = { 0 };
	int r;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return negative_errno();
	while (getline(&line, &linecap, f) > 0) {
		if (out.n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct proc_vma *nv = realloc(out.v, nc * sizeof(*nv));
			if (!nv) {
				proc_vmas_free(&out);
				return -ENOMEM;
			}
			out.v = nv;
			cap = nc;
		}
		r = parse_maps_line(line, &out.v[out.n]);
		if (r < 0) {
			proc_vmas_free(&out);
			return r;
		}
		if (out.v[out.n].ino || out.v[out.n].shared)
			stat_map_file(pid, &out.v[out.n]);
		out.n++;
	}
	*ret = out;
	return 0;
}

int proc_read_auxv(pid_t pid, uint64_t **ret, size_t *ret_n)
{
	char path[64];
	uint64_t buf[512];
	_cleanup_close_ int fd = -1;
	ssize_t len;
	size_t n;
	uint64_t *out;

	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	len = read(fd, buf, sizeof(buf));
	if (len < 0)
		return negative_errno();
	n = (size_t)len / sizeof(uint64_t);
	while (n >= 2 && buf[n - 2] == 0)	/* drop AT_NULL */
		n -= 2;
	out = malloc((n ? n : 1) * sizeof(uint64_t));
	if (!out)
		return -ENOMEM;
	memcpy(out, buf, n * sizeof(uint64_t));
	*ret = out;
	*ret_n = n;
	return 0;
}

static unsigned vmflag_bit(const char *f)
{
	static const struct { char name[3]; unsigned bit; } map[] = {
		{ "gd", PROC_VM_GROWSDOWN }, { "dc", PROC_VM_DONTFORK }, { "wf", PROC_VM_WIPEONFORK },
		{ "dd", PROC_VM_DONTDUMP }, { "hg", PROC_VM_HUGEPAGE }, { "nh", PROC_VM_NOHUGEPAGE },
		{ "mg", PROC_VM_MERGEABLE }, { "lo", PROC_VM_LOCKED }, { "sr", PROC_VM_SEQ_READ },
		{ "rr", PROC_VM_RAND_READ },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(f, map[i].name))
			return map[i].bit;
	return 0;
}

int proc_parse_vmflags(pid_t pid, struct proc_vmas *v)
{
	char path[64];
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t linecap = 0, idx = 0;
	struct proc_vma *cur = NULL;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "re");
	if (!f)
		return negative_errno();
	while (getline(&line, &linecap, f) > 0) {
		unsigned long long start, end;
		char *save = NULL;

		if (sscanf(line, "%llx-%llx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			cur = NULL;
			/* Same order as maps: look from where the last match was. */
			for (; idx < v->n; idx++)
				if (v->v[idx].start == start) {
					cur = &v->v[idx];
					break;
				}
			continue;
		}
		if (!cur || strncmp(line, "VmFlags:", 8))
			continue;
		for (char *t = strtok_r(line + 8, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
			cur->vmflags |= vmflag_bit(t);
	}
	return 0;
}
