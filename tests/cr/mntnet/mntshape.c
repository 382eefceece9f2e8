/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the mntnet C/R tests compare across restore (see mntshape.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/zt.h"
#include "mntshape.h"

char *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t n = 0, cap = 0;
	ssize_t r;

	if (fd < 0)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			if (!buf)
				zt_fail("out of memory");
		}
		r = read(fd, buf + n, cap - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

/* One mountinfo line without ids: root, mountpoint, per-mount options,
 * propagation (group numbers renamed in order of appearance), type, source,
 * superblock options. */
struct groups {
	unsigned long from[64];
	unsigned n;
};

static unsigned group_name(struct groups *g, unsigned long id)
{
	for (unsigned i = 0; i < g->n; i++)
		if (g->from[i] == id)
			return i + 1;
	if (g->n < 64)
		g->from[g->n++] = id;
	return g->n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The mount table, sorted by mountpoint, as one string. */
char *mount_shape(void)
{
	char *info = read_file("/proc/self/mountinfo", NULL);
	char *lines[256], *save = NULL, *out;
	unsigned n = 0;
	struct groups g = { .n = 0 };
	size_t total = 1;

	if (!info)
		zt_fail("cannot read /proc/self/mountinfo: %m");
	/* Sort the raw lines by mountpoint first so group renaming is stable. */
	for (char *l = strtok_r(info, "\n", &save); l && n < 256; l = strtok_r(NULL, "\n", &save)) {
		char root[512], mp[512];
		if (sscanf(l, "%*u %*u %*s %511s %511s", root, mp) != 2)
			zt_fail("bad mountinfo line %s", l);
		/* Ties (a stack of mounts on one mountpoint) are broken by the fields after the
		 * ids: mount ids are reused lowest-first, so their order says nothing. */
		const char *rest = l;
		for (int f = 0; f < 3 && rest; f++) {
			rest = strchr(rest, ' ');
			if (rest)
				rest++;
		}
		char *key;
		if (asprintf(&key, "%s %s %s\t%s", mp, root, rest ? rest : "", l) < 0)
			zt_fail("out of memory");
		lines[n++] = key;
	}
	qsort(lines, n, sizeof(lines[0]), cmp_str);
	for (unsigned i = 0; i < n; i++) {
		char *l = strchr(lines[i], '\t') + 1, *tok, *s2 = NULL, norm[2048] = "";
		int field = 0;
		for (tok = strtok_r(l, " ", &s2); tok; tok = strtok_r(NULL, " ", &s2), field++) {
			unsigned long id;
			char part[600];
			if (field < 3)
				continue;	/* mount id, parent id, device */
			if (sscanf(tok, "shared:%lu", &id) == 1)
				snprintf(part, sizeof(part), "shared:G%u", group_name(&g, id));
			else if (sscanf(tok, "master:%lu", &id) == 1)
				snprintf(part, sizeof(part), "master:G%u", group_name(&g, id));
			else
				snprintf(part, sizeof(part), "%s", tok);
			strncat(norm, part, sizeof(norm) - strlen(norm) - 2);
			strcat(norm, " ");
		}
		free(lines[i]);
		if (asprintf(&lines[i], "%s\n", norm) < 0)
			zt_fail("out of memory");
		total += strlen(lines[i]);
	}
	out = calloc(1, total);
	for (unsigned i = 0; i < n; i++) {
		strcat(out, lines[i]);
		free(lines[i]);
	}
	free(info);
	return out;
}

