/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>
#include "spec.h"
#include "state.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(yajl_gen, yajl_gen_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(yajl_val, yajl_tree_free)

static const char *const status_names[] = {
	[OCI_STATUS_CREATING] = "creating",
	[OCI_STATUS_CREATED] = "created",
	[OCI_STATUS_RUNNING] = "running",
	[OCI_STATUS_PAUSED] = "paused",
	[OCI_STATUS_STOPPED] = "stopped",
};

const char *oci_status_name(enum oci_status s)
{
	return s <= OCI_STATUS_STOPPED ? status_names[s] : "unknown";
}

char *oci_now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64], *out;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	if (asprintf(&out, "%s.%09ldZ", buf, ts.tv_nsec) < 0)
		return NULL;
	return out;
}

static void gen_str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_kv(yajl_gen g, const char *k, const char *v)
{
	gen_str(g, k);
	gen_str(g, v ? v : "");
}

static void gen_map(yajl_gen g, const char *key, char **keys, char **values)
{
	gen_str(g, key);
	yajl_gen_map_open(g);
	for (size_t i = 0; keys && keys[i]; i++)
		gen_kv(g, keys[i], values[i]);
	yajl_gen_map_close(g);
}

static char *gen_take(yajl_gen g)
{
	const unsigned char *buf;
	size_t len;

	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		return NULL;
	return strndup((const char *)buf, len);
}

/* The runtime-spec fields, then runc's extras (rootfs, created, owner). */
static void gen_oci_fields(yajl_gen g, const struct oci_state *s, enum oci_status status)
{
	gen_kv(g, "ociVersion", "1.0.2");
	gen_kv(g, "id", s->id);
	gen_kv(g, "status", oci_status_name(status));
	gen_str(g, "pid");
	yajl_gen_integer(g, status == OCI_STATUS_STOPPED ? 0 : s->pid);
	gen_kv(g, "bundle", s->bundle);
	gen_kv(g, "rootfs", s->rootfs);
	gen_kv(g, "created", s->created);
	gen_kv(g, "owner", s->owner ? s->owner : "");
	gen_map(g, "annotations", s->annotation_keys, s->annotation_values);
}

char *oci_state_json(const struct oci_state *s, enum oci_status status)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);

	if (!g)
		return NULL;
	yajl_gen_map_open(g);
	gen_oci_fields(g, s, status);
	yajl_gen_map_close(g);
	return gen_take(g);
}

int oci_state_save(const char *path, const struct oci_state *s, struct oci_error *err)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	_cleanup_free_ char *text = NULL, *tmp = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;

	if (!g)
		return oci_error_set(err, ENOMEM, "out of memory");
	yajl_gen_map_open(g);
	gen_oci_fields(g, s, OCI_STATUS_CREATED);
	gen_str(g, "pidStart");
	yajl_gen_integer(g, (long long)s->pid_start);
	gen_str(g, "namespaces");
	yajl_gen_integer(g, s->namespaces);
	gen_str(g, "cgroupPaths");
	yajl_gen_array_open(g);
	for (size_t i = 0; s->cgroup_paths && s->cgroup_paths[i]; i++)
		gen_str(g, s->cgroup_paths[i]);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	text = gen_take(g);
	if (!text || asprintf(&tmp, "%s.tmp", path) < 0)
		return oci_error_set(err, ENOMEM, "out of memory");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return oci_error_set(err, errno, "cannot create %s: %s", tmp, strerror(errno));
	len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		return oci_error_set(err, e, "cannot write %s: %s", tmp, strerror(e));
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return oci_error_set(err, e, "cannot rename %s: %s", tmp, strerror(e));
	}
	return 0;
}

static char *dup_str(yajl_val v, const char *key)
{
	const char *p[] = { key, NULL };
	yajl_val x = yajl_tree_get(v, p, yajl_t_string);

	return x ? strdup(x->u.string) : NULL;
}

static long long get_int(yajl_val v, const char *key)
{
	const char *p[] = { key, NULL };
	yajl_val x = yajl_tree_get(v, p, yajl_t_number);

	return x && YAJL_IS_INTEGER(x) ? x->u.number.i : 0;
}

static char **dup_strv(yajl_val arr)
{
	size_t n = arr && YAJL_IS_ARRAY(arr) ? arr->u.array.len : 0;
	char **v = calloc(n + 1, sizeof(char *));

	for (size_t i = 0; v && i < n; i++)
		v[i] = strdup(YAJL_IS_STRING(arr->u.array.values[i]) ? arr->u.array.values[i]->u.string : "");
	return v;
}

int oci_state_load(const char *path, struct oci_state **ret, struct oci_error *err)
{
	_cleanup_(yajl_tree_freep) yajl_val tree = NULL;
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *buf = NULL;
	struct oci_state *s;
	char ebuf[128];
	size_t n, cap = 0, len = 0;
	const char *ann[] = { "annotations", NULL }, *cg[] = { "cgroupPaths", NULL };
	yajl_val a;

	if (!f)
		return oci_error_set(err, errno, "cannot open %s: %s", path, strerror(errno));
	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 16384);
			if (!nb)
				return oci_error_set(err, ENOMEM, "out of memory");
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	buf[len] = 0;
	tree = yajl_tree_parse(buf, ebuf, sizeof(ebuf));
	if (!tree || !YAJL_IS_OBJECT(tree))
		return oci_error_set(err, EINVAL, "%s: corrupt state file", path);
	s = calloc(1, sizeof(*s));
	if (!s)
		return oci_error_set(err, ENOMEM, "out of memory");
	s->id = dup_str(tree, "id");
	s->pid = (pid_t)get_int(tree, "pid");
	s->pid_start = (uint64_t)get_int(tree, "pidStart");
	s->namespaces = (int)get_int(tree, "namespaces");
	s->bundle = dup_str(tree, "bundle");
	s->rootfs = dup_str(tree, "rootfs");
	s->created = dup_str(tree, "created");
	s->owner = dup_str(tree, "owner");
	a = yajl_tree_get(tree, ann, yajl_t_object);
	n = a ? a->u.object.len : 0;
	s->annotation_keys = calloc(n + 1, sizeof(char *));
	s->annotation_values = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		s->annotation_keys[i] = strdup(a->u.object.keys[i]);
		s->annotation_values[i] = strdup(YAJL_IS_STRING(a->u.object.values[i]) ?
						 a->u.object.values[i]->u.string : "");
	}
	s->cgroup_paths = dup_strv(yajl_tree_get(tree, cg, yajl_t_array));
	*ret = s;
	return 0;
}

void oci_state_free(struct oci_state *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->bundle);
	free(s->rootfs);
	free(s->created);
	free(s->owner);
	strv_free(s->annotation_keys);
	strv_free(s->annotation_values);
	strv_free(s->cgroup_paths);
	free(s);
}
