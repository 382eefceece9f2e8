// SPDX-License-Identifier: GPL-2.0-or-later
/* Parsing /proc/PID/mountinfo into a mount tree, and the tree's links. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include "log.h"
#include "mnt.h"
#include "util.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else
			*o++ = *s++;
	}
	*o = 0;
	return out;
}

static const struct {
	const char *name;
	unsigned flag;
} mnt_flag_names[] = {
	{ "ro", MS_RDONLY }, { "nosuid", MS_NOSUID }, { "nodev", MS_NODEV },
	{ "noexec", MS_NOEXEC }, { "noatime", MS_NOATIME }, { "nodiratime", MS_NODIRATIME },
	{ "relatime", MS_RELATIME }, { "strictatime", MS_STRICTATIME },
};

static unsigned parse_mnt_flags(char *opts)
{
	unsigned flags = 0;
	char *save = NULL;

	for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
		for (size_t i = 0; i < ARRAY_SIZE(mnt_flag_names); i++)
			if (!strcmp(o, mnt_flag_names[i].name))
				flags |= mnt_flag_names[i].flag;
	return flags;
}

/* Super options without rw/ro, which go to super_ro. */
static int parse_super_opts(const char *opts, struct mnt_node *m)
{
	_cleanup_free_ char *copy = strdup(opts);
	char *save = NULL, *out, *o;
	size_t len = 0;

	out = calloc(1, strlen(opts) + 1);
	if (!copy || !out) {
		free(out);
		return -ENOMEM;
	}
	for (o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (!strcmp(o, "ro")) {
			m->super_ro = true;
			continue;
		}
		if (!strcmp(o, "rw"))
			continue;
		len += sprintf(out + len, "%s%s", len ? "," : "", o);
	}
	m->super_opts = out;
	return 0;
}

static void node_clear(struct mnt_node *m)
{
	free(m->root);
	free(m->mountpoint);
	free(m->fstype);
	free(m->source);
	free(m->super_opts);
	free(m->ext_key);
}

/* One line: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER */
static int parse_line(char *line, struct mnt_node *m)
{
	char *f[6], *save = NULL, *tok;
	int i;

	memset(m, 0, sizeof(*m));
	m->parent = m->bind_of = m->fd = -1;
	for (i = 0; i < 6; i++) {
		f[i] = strtok_r(i ? NULL : line, " ", &save);
		if (!f[i])
			return -EINVAL;
	}
	if (sscanf(f[0], "%u", &m->id) != 1 || sscanf(f[1], "%u", &m->parent_id) != 1 ||
	    sscanf(f[2], "%u:%u", &m->major, &m->minor) != 2)
		return -EINVAL;
	m->root = unescape(f[3]);
	m->mountpoint = unescape(f[4]);
	m->mnt_flags = parse_mnt_flags(f[5]);
	while ((tok = strtok_r(NULL, " ", &save)) && strcmp(tok, "-")) {
		if (!strncmp(tok, "shared:", 7))
			m->shared_id = (unsigned)strtoul(tok + 7, NULL, 10);
		else if (!strncmp(tok, "master:", 7))
			m->master_id = (unsigned)strtoul(tok + 7, NULL, 10);
	}
	if (!tok)
		return -EINVAL;
	char *fstype = strtok_r(NULL, " ", &save);
	char *source = strtok_r(NULL, " ", &save);
	char *super = strtok_r(NULL, " \n", &save);
	if (!fstype || !source || !super)
		return -EINVAL;
	m->fstype = unescape(fstype);
	m->source = unescape(source);
	if (!m->root || !m->mountpoint || !m->fstype || !m->source)
		return -ENOMEM;
	return parse_super_opts(super, m);
}

int mnt_parse_mountinfo(const char *path, struct mnt_tree **ret)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");

	if (!f)
		return log_error_errno(-errno, "cannot open %s", path);
	return mnt_parse_mountinfo_file(f, path, ret);
}

int mnt_parse_mountinfo_file(FILE *f, const char *path, struct mnt_tree **ret)
{
	_cleanup_free_ char *line = NULL;
	_cleanup_mnt_tree_ struct mnt_tree *t = calloc(1, sizeof(*t));
	size_t cap = 0, linecap = 0;
	unsigned lineno = 0;

	if (!t)
		return -ENOMEM;
	t->root = -1;
	while (getline(&line, &linecap, f) > 0) {
		lineno++;
		if (t->n == cap) {
			struct mnt_node *nm = realloc(t->m, (cap = cap ? cap * 2 : 32) * sizeof(*nm));
			if (!nm)
				return -ENOMEM;
			t->m = nm;
		}
		int r = parse_line(line, &t->m[t->n]);
		t->n++;
		if (r < 0)
			return log_error_errno(r, "%s: line %u does not parse as a mount", path, lineno);
	}
	*ret = TAKE_PTR(t);
	return 0;
}

static int find_id(const struct mnt_tree *t, unsigned id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->m[i].id == id)
			return (int)i;
	return -1;
}

int mnt_tree_link(struct mnt_tree *t)
{
	t->root = -1;
	for (size_t i = 0; i < t->n; i++) {
		struct mnt_node *m = &t->m[i];

		m->parent = m->id == m->parent_id ? -1 : find_id(t, m->parent_id);
		if (m->parent < 0) {
			if (t->root >= 0)
				return log_error_errno(-EINVAL, "mount tree has two roots: %s (id %u) and %s (id %u)",
						       t->m[t->root].mountpoint, t->m[t->root].id, m->mountpoint, m->id);
			t->root = (int)i;
		}
	}
	if (t->root < 0)
		return log_error_errno(-EINVAL, "mount tree has no root mount");
	/* Parent chains must end at the root (no loops). */
	for (size_t i = 0; i < t->n; i++) {
		int p = (int)i;
		size_t steps = 0;

		while (p >= 0 && p != t->root && steps++ <= t->n)
			p = t->m[p].parent;
		if (p != t->root)
			return log_error_errno(-EINVAL, "mount %s (id %u) is not below the root mount",
					       t->m[i].mountpoint, t->m[i].id);
	}
	return 0;
}

void mnt_tree_free(struct mnt_tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		if (t->m[i].fd >= 0)
			close(t->m[i].fd);
		node_clear(&t->m[i]);
	}
	free(t->stage_root);
	free(t->m);
	free(t);
}
