/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cryo-checkpoint.json: what a container restore needs beyond the core's
 * images, written by checkpoint next to them (with a copy of config.json):
 *
 *   stdio      what the init's fds 0-2 were (/proc/PID/fd/N): the engine's
 *              pipes, files or terminal.  They are outside the container, so
 *              the dump leaves them out (external) and restore gives the
 *              engine's new ones in their place (--inherit-fd).
 *   external   every file key the dump left out.
 *   mounts     mounts that came from the host (config.json binds, cgroup
 *              hierarchies, a host /sys ...): keyed by their mountpoint in the
 *              container, with the host path they showed at checkpoint.
 *   nsJoined / nsOwn  namespaces the container joined by path / owned.
 */
#include <fcntl.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>
#include "cr/mnt.h"
#include "cr-core.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(yajl_gen, yajl_gen_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(yajl_val, yajl_tree_free)

void cr_meta_free(struct cr_meta *m)
{
	if (!m)
		return;
	free(m->id);
	free(m->bundle);
	free(m->rootfs);
	for (int i = 0; i < 3; i++)
		free(m->stdio[i]);
	strv_free(m->external);
	for (size_t i = 0; i < m->n_mounts; i++) {
		free(m->mounts[i].mountpoint);
		free(m->mounts[i].host);
		free(m->mounts[i].cgroup_hier);
	}
	free(m->mounts);
	free(m);
}

static int strv_push(char ***v, const char *s)
{
	size_t n = strv_length(*v);
	char **nv = reallocarray(*v, n + 2, sizeof(char *));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[n] = strdup(s);
	nv[n + 1] = NULL;
	return nv[n] ? 0 : -ENOMEM;
}

void cr_mount_key(const char *mountpoint, char *buf, size_t len)
{
	size_t i = 0;

	for (const char *p = mountpoint + (mountpoint[0] == '/'); *p && i + 1 < len; p++)
		buf[i++] = *p == '/' ? '_' : *p;
	buf[i] = 0;
}

/* The init's stdio, and which of it is outside the container. */
static int collect_stdio(struct cr_meta *m)
{
	for (int fd = 0; fd < 3; fd++) {
		char path[64], link[4096];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/fd/%d", m->pid, fd);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		m->stdio[fd] = strdup(link);
		if (!m->stdio[fd])
			return -ENOMEM;
		/* /dev/null is one inside the container too: the dump reopens it there. */
		if (!*link || !strcmp(link, "/dev/null") || strv_contains(m->external, link))
			continue;
		if (strv_push(&m->external, link) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The host mount that shows the superblock maj:min with the longest root that is a prefix of root. */
static const struct mnt_node *host_mount_of(const struct mnt_tree *host, const struct mnt_node *c)
{
	const struct mnt_node *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < host->n; i++) {
		const struct mnt_node *h = &host->m[i];
		size_t l = strlen(h->root);

		if (h->major != c->major || h->minor != c->minor || strncmp(c->root, h->root, l))
			continue;
		if (strcmp(h->root, "/") && c->root[l] && c->root[l] != '/')
			continue;
		if (!best || l > best_len) {
			best = h;
			best_len = l;
		}
	}
	return best;
}

static int add_mount(struct cr_meta *m, const struct mnt_node *c, const struct mnt_node *h)
{
	struct cr_mount *n = reallocarray(m->mounts, m->n_mounts + 1, sizeof(*n)), *e;
	const char *rest = c->root + (strcmp(h->root, "/") ? strlen(h->root) : 0);
	bool h_slash = !strcmp(h->mountpoint, "/");

	if (!n)
		return -ENOMEM;
	m->mounts = n;
	e = &n[m->n_mounts];
	memset(e, 0, sizeof(*e));
	e->mountpoint = strdup(c->mountpoint);
	if (h_slash)
		e->host = strdup(*rest ? rest : "/");
	else if (asprintf(&e->host, "%s%s", h->mountpoint, rest) < 0)
		e->host = NULL;
	if (!strcmp(c->fstype, "cgroup") || !strcmp(c->fstype, "cgroup2"))
		e->cgroup_hier = strdup(h->mountpoint);
	m->n_mounts++;
	return e->mountpoint && e->host ? 0 : -ENOMEM;
}

/* Mounts the container did not make itself: binds of host paths and host filesystems. */
static int collect_mounts(struct cr_meta *m, struct oci_error *err)
{
	_cleanup_mnt_tree_ struct mnt_tree *host = NULL, *ct = NULL;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", m->pid);
	r = mnt_parse_mountinfo(path, &ct);
	if (r >= 0)
		r = mnt_tree_link(ct);
	if (r < 0)
		return oci_error_set(err, -r, "cannot read the mounts of the container (%s)", path);
	r = mnt_parse_mountinfo("/proc/self/mountinfo", &host);
	if (r < 0)
		return oci_error_set(err, -r, "cannot read /proc/self/mountinfo");
	for (size_t i = 0; i < ct->n; i++) {
		const struct mnt_node *c = &ct->m[i], *h;
		bool dup = false;

		if ((int)i == ct->root)
			continue;
		h = host_mount_of(host, c);
		if (!h && mnt_fstype_recreatable(c->fstype))
			continue;	/* made by the container: the core saves and remakes it */
		if (!h)
			return oci_error_set(err, EOPNOTSUPP,
					     "mount %s (%s from %s) comes from outside the container but is not mounted on the host",
					     c->mountpoint, c->fstype, c->source);
		char key[4096], other[4096];
		cr_mount_key(c->mountpoint, key, sizeof(key));
		for (size_t k = 0; k < m->n_mounts; k++) {
			cr_mount_key(m->mounts[k].mountpoint, other, sizeof(other));
			dup |= !strcmp(key, other);
		}
		if (dup)
			return oci_error_set(err, EOPNOTSUPP, "two mounts from the host on %s (or its key %s): not supported",
					     c->mountpoint, key);
		if (add_mount(m, c, h) < 0)
			return oci_error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int cr_meta_collect(const struct oci_state *s, const struct oci_spec *spec, struct cr_meta **ret,
		    struct oci_error *err)
{
	_cleanup_meta_ struct cr_meta *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return oci_error_set(err, ENOMEM, "out of memory");
	m->id = strdup(s->id);
	m->bundle = strdup(s->bundle);
	m->rootfs = strdup(s->rootfs);
	m->pid = s->pid;
	m->terminal = spec->process && spec->process->terminal;
	m->ns_own = s->namespaces;
	for (size_t i = 0; spec->linux_ && i < spec->linux_->n_namespaces; i++)
		if (spec->linux_->namespaces[i].path)
			m->ns_joined |= spec->linux_->namespaces[i].type;
	if (!m->id || !m->bundle || !m->rootfs || collect_stdio(m) < 0)
		return oci_error_set(err, ENOMEM, "out of memory");
	r = collect_mounts(m, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(m);
	return 0;
}

static void gen_str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_kv(yajl_gen g, const char *k, const char *v)
{
	gen_str(g, k);
	gen_str(g, v);
}

static int write_text(const char *dir, const char *name, const char *text, size_t len, struct oci_error *err)
{
	_cleanup_free_ char *path = NULL, *tmp = NULL;
	_cleanup_close_ int fd = -1;

	if (asprintf(&path, "%s/%s", dir, name) < 0 || asprintf(&tmp, "%s/.%s.tmp", dir, name) < 0)
		return oci_error_set(err, ENOMEM, "out of memory");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return oci_error_set(err, e, "cannot write %s: %s", path, strerror(e));
	}
	return 0;
}

int cr_meta_save(const char *dir, const struct cr_meta *m, struct oci_error *err)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	if (!g)
		return oci_error_set(err, ENOMEM, "out of memory");
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_map_open(g);
	gen_str(g, "version");
	yajl_gen_integer(g, 1);
	gen_kv(g, "id", m->id);
	gen_kv(g, "bundle", m->bundle);
	gen_kv(g, "rootfs", m->rootfs);
	gen_str(g, "pid");
	yajl_gen_integer(g, m->pid);
	gen_str(g, "terminal");
	yajl_gen_bool(g, m->terminal);
	gen_str(g, "stdio");
	yajl_gen_array_open(g);
	for (int i = 0; i < 3; i++)
		gen_str(g, m->stdio[i] ? m->stdio[i] : "");
	yajl_gen_array_close(g);
	gen_str(g, "external");
	yajl_gen_array_open(g);
	for (size_t i = 0; m->external && m->external[i]; i++)
		gen_str(g, m->external[i]);
	yajl_gen_array_close(g);
	gen_str(g, "mounts");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < m->n_mounts; i++) {
		yajl_gen_map_open(g);
		gen_kv(g, "mountpoint", m->mounts[i].mountpoint);
		gen_kv(g, "host", m->mounts[i].host);
		if (m->mounts[i].cgroup_hier)
			gen_kv(g, "cgroupHierarchy", m->mounts[i].cgroup_hier);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	gen_str(g, "nsJoined");
	yajl_gen_integer(g, m->ns_joined);
	gen_str(g, "nsOwn");
	yajl_gen_integer(g, m->ns_own);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		return oci_error_set(err, ENOMEM, "out of memory");
	return write_text(dir, CR_META_FILE, (const char *)buf, len, err);
}

static char *get_str(yajl_val v, const char *key)
{
	const char *path[] = { key, NULL };
	const char *s = YAJL_GET_STRING(yajl_tree_get(v, path, yajl_t_string));
	return s ? strdup(s) : NULL;
}

static bool get_int(yajl_val v, const char *key, long long *ret)
{
	const char *path[] = { key, NULL };
	yajl_val n = yajl_tree_get(v, path, yajl_t_number);

	if (!n || !YAJL_IS_INTEGER(n))
		return false;
	*ret = YAJL_GET_INTEGER(n);
	return true;
}

static yajl_val get_array(yajl_val v, const char *key)
{
	const char *path[] = { key, NULL };
	return yajl_tree_get(v, path, yajl_t_array);
}

static int parse_meta(yajl_val t, struct cr_meta *m, const char *file, struct oci_error *err)
{
	const char *tpath[] = { "terminal", NULL };
	yajl_val stdio = get_array(t, "stdio"), ext = get_array(t, "external"), mounts = get_array(t, "mounts");
	long long version = 0, pid = 0, joined = 0, own = 0;

	if (!get_int(t, "version", &version) || version != 1)
		return oci_error_set(err, EINVAL, "%s: unknown version (this cryo reads version 1)", file);
	m->id = get_str(t, "id");
	m->bundle = get_str(t, "bundle");
	m->rootfs = get_str(t, "rootfs");
	if (!m->id || !m->bundle || !m->rootfs || !get_int(t, "pid", &pid) || pid <= 0 || pid > INT32_MAX ||
	    !get_int(t, "nsJoined", &joined) || !get_int(t, "nsOwn", &own) || !stdio ||
	    YAJL_GET_ARRAY(stdio)->len != 3 || !ext || !mounts)
		return oci_error_set(err, EINVAL, "%s: a field is missing or has the wrong type", file);
	m->pid = (pid_t)pid;
	m->ns_joined = (int)joined;
	m->ns_own = (int)own;
	m->terminal = YAJL_IS_TRUE(yajl_tree_get(t, tpath, yajl_t_true));
	for (int i = 0; i < 3; i++) {
		const char *s = YAJL_GET_STRING(YAJL_GET_ARRAY(stdio)->values[i]);
		if (!s || !(m->stdio[i] = strdup(s)))
			return oci_error_set(err, EINVAL, "%s: stdio[%d]: expected a string", file, i);
	}
	for (size_t i = 0; i < YAJL_GET_ARRAY(ext)->len; i++) {
		const char *s = YAJL_GET_STRING(YAJL_GET_ARRAY(ext)->values[i]);
		if (!s || strv_push(&m->external, s) < 0)
			return oci_error_set(err, EINVAL, "%s: external[%zu]: expected a string", file, i);
	}
	m->mounts = calloc(YAJL_GET_ARRAY(mounts)->len + 1, sizeof(*m->mounts));
	if (!m->mounts)
		return oci_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < YAJL_GET_ARRAY(mounts)->len; i++) {
		yajl_val e = YAJL_GET_ARRAY(mounts)->values[i];
		struct cr_mount *cm = &m->mounts[m->n_mounts++];
		cm->mountpoint = get_str(e, "mountpoint");
		cm->host = get_str(e, "host");
		cm->cgroup_hier = get_str(e, "cgroupHierarchy");
		if (!cm->mountpoint || !cm->host || cm->mountpoint[0] != '/' || cm->host[0] != '/')
			return oci_error_set(err, EINVAL, "%s: mounts[%zu]: mountpoint and host must be absolute paths", file, i);
	}
	return 0;
}

int cr_meta_load(const char *dir, struct cr_meta **ret, struct oci_error *err)
{
	_cleanup_meta_ struct cr_meta *m = calloc(1, sizeof(*m));
	_cleanup_(yajl_tree_freep) yajl_val t = NULL;
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	char ebuf[256];
	size_t len = 0;
	int r;

	if (!m || asprintf(&path, "%s/%s", dir, CR_META_FILE) < 0)
		return oci_error_set(err, ENOMEM, "out of memory");
	f = fopen(path, "re");
	if (!f)
		return oci_error_set(err, errno, "%s is not a container checkpoint of cryo: %s: %s", dir, CR_META_FILE,
				     strerror(errno));
	text = malloc(1 << 20);
	if (!text)
		return oci_error_set(err, ENOMEM, "out of memory");
	len = fread(text, 1, (1 << 20) - 1, f);
	text[len] = 0;
	t = yajl_tree_parse(text, ebuf, sizeof(ebuf));
	if (!t || !YAJL_IS_OBJECT(t))
		return oci_error_set(err, EINVAL, "%s: not a JSON object: %s", path, t ? "" : ebuf);
	r = parse_meta(t, m, path, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(m);
	return 0;
}
