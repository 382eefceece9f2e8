/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.json -> struct oci_spec with the yajl tree API.  Each parse_X takes
 * the value and its JSON path; a wrong type fails naming the path.  JSON null
 * counts as absent.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <yajl/yajl_tree.h>
#include "spec.h"

#define PATH_MAX_LEN 512

DEFINE_TRIVIAL_CLEANUP_FUNC(yajl_val, yajl_tree_free)

struct jpath {
	char s[PATH_MAX_LEN];
};

static struct jpath jp_key(const char *base, const char *key)
{
	struct jpath p;

	int n;

	if (base && *base)
		n = snprintf(p.s, sizeof(p.s), "%s.%s", base, key);
	else
		n = snprintf(p.s, sizeof(p.s), "%s", key);
	if (n >= (int)sizeof(p.s)) /* absurdly deep path: keep the truncated prefix */
		p.s[sizeof(p.s) - 1] = 0;
	return p;
}

static struct jpath jp_idx(const char *base, size_t i)
{
	struct jpath p;

	if (snprintf(p.s, sizeof(p.s), "%s[%zu]", base, i) >= (int)sizeof(p.s))
		p.s[sizeof(p.s) - 1] = 0;
	return p;
}

static int type_error(struct oci_error *err, const char *path, const char *what)
{
	return oci_error_set(err, EINVAL, "%s: expected %s", path, what);
}

/* Member of an object, or NULL when absent or null. */
static yajl_val jget(yajl_val obj, const char *key)
{
	if (!obj || !YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (!strcmp(obj->u.object.keys[i], key)) {
			yajl_val v = obj->u.object.values[i];
			return YAJL_IS_NULL(v) ? NULL : v;
		}
	return NULL;
}

static int expect_object(yajl_val v, const char *path, struct oci_error *err)
{
	return YAJL_IS_OBJECT(v) ? 0 : type_error(err, path, "object");
}

static int expect_array(yajl_val v, const char *path, struct oci_error *err)
{
	return YAJL_IS_ARRAY(v) ? 0 : type_error(err, path, "array");
}

static int get_str(yajl_val obj, const char *base, const char *key, char **out, struct oci_error *err)
{
	yajl_val v = jget(obj, key);

	if (!v)
		return 0;
	if (!YAJL_IS_STRING(v))
		return type_error(err, jp_key(base, key).s, "string");
	free(*out);
	*out = strdup(v->u.string);
	return *out ? 0 : oci_error_set(err, ENOMEM, "out of memory");
}

static int get_bool(yajl_val obj, const char *base, const char *key, bool *out, struct oci_error *err)
{
	yajl_val v = jget(obj, key);

	if (!v)
		return 0;
	if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
		return type_error(err, jp_key(base, key).s, "boolean");
	*out = YAJL_IS_TRUE(v);
	return 0;
}

/* Integer in [min, max]; *has set when present. */
static int get_int_range(yajl_val obj, const char *base, const char *key, int64_t min, int64_t max,
			 int64_t *out, bool *has, struct oci_error *err)
{
	yajl_val v = jget(obj, key);

	if (!v)
		return 0;
	if (!YAJL_IS_INTEGER(v))
		return type_error(err, jp_key(base, key).s, "integer");
	if (v->u.number.i < min || v->u.number.i > max)
		return oci_error_set(err, ERANGE, "%s: value %lld out of range", jp_key(base, key).s,
				     (long long)v->u.number.i);
	*out = v->u.number.i;
	if (has)
		*has = true;
	return 0;
}

static int get_u32(yajl_val obj, const char *base, const char *key, uint32_t *out, bool *has,
		   struct oci_error *err)
{
	int64_t x;
	bool h = false;
	int r = get_int_range(obj, base, key, 0, UINT32_MAX, &x, &h, err);

	if (r < 0 || !h)
		return r;
	*out = (uint32_t)x;
	if (has)
		*has = true;
	return 0;
}

static int get_i64(yajl_val obj, const char *base, const char *key, int64_t *out, bool *has,
		   struct oci_error *err)
{
	return get_int_range(obj, base, key, INT64_MIN, INT64_MAX, out, has, err);
}

/* Unsigned 64-bit: yajl keeps the raw text, which covers values above INT64_MAX. */
static int get_u64(yajl_val obj, const char *base, const char *key, uint64_t *out, bool *has,
		   struct oci_error *err)
{
	yajl_val v = jget(obj, key);
	char *end;

	if (!v)
		return 0;
	if (!YAJL_IS_NUMBER(v) || !v->u.number.r || v->u.number.r[0] == '-' ||
	    strpbrk(v->u.number.r, ".eE"))
		return type_error(err, jp_key(base, key).s, "unsigned integer");
	errno = 0;
	*out = strtoull(v->u.number.r, &end, 10);
	if (errno || *end)
		return oci_error_set(err, ERANGE, "%s: value out of range", jp_key(base, key).s);
	if (has)
		*has = true;
	return 0;
}

static int parse_strv(yajl_val v, const char *path, char ***out, struct oci_error *err)
{
	char **strv;
	size_t n;

	if (expect_array(v, path, err) < 0)
		return -EINVAL;
	n = v->u.array.len;
	strv = calloc(n + 1, sizeof(char *));
	if (!strv)
		return oci_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		yajl_val e = v->u.array.values[i];
		if (!YAJL_IS_STRING(e)) {
			strv_free(strv);
			return type_error(err, jp_idx(path, i).s, "string");
		}
		strv[i] = strdup(e->u.string);
	}
	strv_free(*out);
	*out = strv;
	return 0;
}

static int get_strv(yajl_val obj, const char *base, const char *key, char ***out, struct oci_error *err)
{
	yajl_val v = jget(obj, key);

	return v ? parse_strv(v, jp_key(base, key).s, out, err) : 0;
}

/* An object of string values -> two parallel NULL-terminated arrays. */
static int get_string_map(yajl_val obj, const char *base, const char *key, char ***keys,
			  char ***values, struct oci_error *err)
{
	yajl_val v = jget(obj, key);
	struct jpath p = jp_key(base, key);
	size_t n;

	if (!v)
		return 0;
	if (expect_object(v, p.s, err) < 0)
		return -EINVAL;
	n = v->u.object.len;
	*keys = calloc(n + 1, sizeof(char *));
	*values = calloc(n + 1, sizeof(char *));
	if (!*keys || !*values)
		return oci_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		yajl_val e = v->u.object.values[i];
		if (!YAJL_IS_STRING(e))
			return type_error(err, jp_key(p.s, v->u.object.keys[i]).s, "string");
		(*keys)[i] = strdup(v->u.object.keys[i]);
		(*values)[i] = strdup(e->u.string);
	}
	return 0;
}

/* Call parse_one for every element of an array of objects of size elem_size. */
typedef int (*parse_elem_fn)(yajl_val v, const char *path, void *elem, struct oci_error *err);

static int get_object_array(yajl_val obj, const char *base, const char *key, size_t elem_size,
			    parse_elem_fn parse_one, void **out, size_t *n_out, struct oci_error *err)
{
	yajl_val v = jget(obj, key);
	struct jpath p = jp_key(base, key);
	char *arr;
	size_t n;

	if (!v)
		return 0;
	if (expect_array(v, p.s, err) < 0)
		return -EINVAL;
	n = v->u.array.len;
	arr = calloc(n ? n : 1, elem_size);
	if (!arr)
		return oci_error_set(err, ENOMEM, "out of memory");
	/* Hand the array to the caller first so a partial parse is freed with the spec. */
	*out = arr;
	*n_out = 0;
	for (size_t i = 0; i < n; i++) {
		struct jpath ep = jp_idx(p.s, i);
		yajl_val e = v->u.array.values[i];
		int r;

		if (expect_object(e, ep.s, err) < 0)
			return -EINVAL;
		*n_out = i + 1;
		r = parse_one(e, ep.s, arr + i * elem_size, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int require(yajl_val obj, const char *base, const char *key, struct oci_error *err)
{
	return jget(obj, key) ? 0 : oci_error_set(err, EINVAL, "%s: required field missing",
						  jp_key(base, key).s);
}

#define TRY(x)                         \
	do {                           \
		int _r_ = (x);         \
		if (_r_ < 0)           \
			return _r_;    \
	} while (0)

/* ---- process ---- */

static int parse_rlimit(yajl_val v, const char *path, void *elem, struct oci_error *err)
{
	struct oci_rlimit *rl = elem;

	TRY(require(v, path, "type", err));
	TRY(get_str(v, path, "type", &rl->type, err));
	TRY(get_u64(v, path, "soft", &rl->soft, NULL, err));
	TRY(get_u64(v, path, "hard", &rl->hard, NULL, err));
	return 0;
}

static int parse_user(yajl_val v, const char *path, struct oci_user *u, struct oci_error *err)
{
	yajl_val gids;

	TRY(expect_object(v, path, err));
	TRY(get_u32(v, path, "uid", &u->uid, NULL, err));
	TRY(get_u32(v, path, "gid", &u->gid, NULL, err));
	TRY(get_u32(v, path, "umask", &u->umask, &u->has_umask, err));
	TRY(get_str(v, path, "username", &u->username, err));
	gids = jget(v, "additionalGids");
	if (gids) {
		struct jpath p = jp_key(path, "additionalGids");
		TRY(expect_array(gids, p.s, err));
		u->additional_gids = calloc(gids->u.array.len + 1, sizeof(uint32_t));
		if (!u->additional_gids)
			return oci_error_set(err, ENOMEM, "out of memory");
		for (size_t i = 0; i < gids->u.array.len; i++) {
			yajl_val g = gids->u.array.values[i];
			if (!YAJL_IS_INTEGER(g) || g->u.number.i < 0 || g->u.number.i > UINT32_MAX)
				return type_error(err, jp_idx(p.s, i).s, "integer");
			u->additional_gids[i] = (uint32_t)g->u.number.i;
			u->n_additional_gids = i + 1;
		}
	}
	return 0;
}

static int parse_capabilities(yajl_val v, const char *path, struct oci_capabilities **out,
			      struct oci_error *err)
{
	struct oci_capabilities *c;

	TRY(expect_object(v, path, err));
	c = calloc(1, sizeof(*c));
	if (!c)
		return oci_error_set(err, ENOMEM, "out of memory");
	*out = c;
	TRY(get_strv(v, path, "bounding", &c->bounding, err));
	TRY(get_strv(v, path, "effective", &c->effective, err));
	TRY(get_strv(v, path, "inheritable", &c->inheritable, err));
	TRY(get_strv(v, path, "permitted", &c->permitted, err));
	TRY(get_strv(v, path, "ambient", &c->ambient, err));
	return 0;
}

static int parse_process(yajl_val v, const char *path, struct oci_process *p, struct oci_error *err)
{
	yajl_val x;

	TRY(expect_object(v, path, err));
	TRY(get_bool(v, path, "terminal", &p->terminal, err));
	if ((x = jget(v, "consoleSize"))) {
		struct jpath cp = jp_key(path, "consoleSize");
		TRY(expect_object(x, cp.s, err));
		TRY(get_u32(x, cp.s, "height", &p->console_height, NULL, err));
		TRY(get_u32(x, cp.s, "width", &p->console_width, NULL, err));
		p->has_console_size = true;
	}
	if ((x = jget(v, "user")))
		TRY(parse_user(x, jp_key(path, "user").s, &p->user, err));
	TRY(get_strv(v, path, "args", &p->args, err));
	TRY(get_strv(v, path, "env", &p->env, err));
	TRY(get_str(v, path, "cwd", &p->cwd, err));
	if ((x = jget(v, "capabilities")))
		TRY(parse_capabilities(x, jp_key(path, "capabilities").s, &p->capabilities, err));
	TRY(get_object_array(v, path, "rlimits", sizeof(struct oci_rlimit), parse_rlimit,
			     (void **)&p->rlimits, &p->n_rlimits, err));
	TRY(get_bool(v, path, "noNewPrivileges", &p->no_new_privileges, err));
	TRY(get_str(v, path, "apparmorProfile", &p->apparmor_profile, err));
	TRY(get_str(v, path, "selinuxLabel", &p->selinux_label, err));
	{
		int64_t adj = 0;
		TRY(get_int_range(v, path, "oomScoreAdj", -1000, 1000, &adj, &p->has_oom_score_adj, err));
		p->oom_score_adj = (int)adj;
	}
	if (!p->cwd)
		p->cwd = strdup("/");
	return 0;
}

/* ---- mounts, hooks ---- */

static int parse_mount(yajl_val v, const char *path, void *elem, struct oci_error *err)
{
	struct oci_mount *m = elem;

	TRY(require(v, path, "destination", err));
	TRY(get_str(v, path, "destination", &m->destination, err));
	TRY(get_str(v, path, "source", &m->source, err));
	TRY(get_str(v, path, "type", &m->type, err));
	TRY(get_strv(v, path, "options", &m->options, err));
	return 0;
}

static int parse_hook(yajl_val v, const char *path, void *elem, struct oci_error *err)
{
	struct oci_hook *h = elem;
	int64_t t = 0;

	TRY(require(v, path, "path", err));
	TRY(get_str(v, path, "path", &h->path, err));
	TRY(get_strv(v, path, "args", &h->args, err));
	TRY(get_strv(v, path, "env", &h->env, err));
	TRY(get_int_range(v, path, "timeout", 1, INT32_MAX, &t, NULL, err));
	h->timeout = (int)t;
	return 0;
}

static const char *const hook_json_names[OCI_HOOK__MAX] = {
	[OCI_HOOK_PRESTART] = "prestart",
	[OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
	[OCI_HOOK_CREATE_CONTAINER] = "createContainer",
	[OCI_HOOK_START_CONTAINER] = "startContainer",
	[OCI_HOOK_POSTSTART] = "poststart",
	[OCI_HOOK_POSTSTOP] = "poststop",
};

const char *oci_hook_kind_name(enum oci_hook_kind k)
{
	return k < OCI_HOOK__MAX ? hook_json_names[k] : "?";
}

static int parse_hooks(yajl_val v, const char *path, struct oci_hook_list *hooks, struct oci_error *err)
{
	TRY(expect_object(v, path, err));
	for (int k = 0; k < OCI_HOOK__MAX; k++)
		TRY(get_object_array(v, path, hook_json_names[k], sizeof(struct oci_hook), parse_hook,
				     (void **)&hooks[k].hooks, &hooks[k].n, err));
	return 0;
}

/* ---- linux ---- */

static const struct {
	const char *name, *proc;
	int flag;
} ns_table[] = {
	{ "pid", "pid", CLONE_NEWPID },
	{ "network", "net", CLONE_NEWNET },
	{ "mount", "mnt", CLONE_NEWNS },
	{ "ipc", "ipc", CLONE_NEWIPC },
	{ "uts", "uts", CLONE_NEWUTS },
	{ "user", "user", CLONE_NEWUSER },
	{ "cgroup", "cgroup", CLONE_NEWCGROUP },
	{ "time", "time", CLONE_NEWTIME },
};

int oci_namespace_flag(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns_table); i++)
		if (!strcmp(ns_table[i].name, name))
			return ns_table[i].flag;
	return 0;
}

const char *oci_namespace_proc_name(int flag)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns_table); i++)
		if (ns_table[i].flag == flag)
			return ns_table[i].proc;
	return NULL;
}

static int parse_namespace(yajl_val v, const char *path, void *elem, struct oci_error *err)
{
	struct oci_namespace *ns = elem;
	_cleanup_free_ char *type = NULL;

	TRY(require(v, path, "type", err));
	TRY(get_str(v, path, "type", &type, err));
	ns->type = oci_namespace_flag(type);
	if (!ns->type)
		return oci_error_set(err, EINVAL, "%s.type: unknown namespace type '%s'", path, type);
	TRY(get_str(v, path, "path", &ns->path, err));
	return 0;
}

static int parse_id_mapping(yajl_val v, const char *path, void *elem, struct oci_error *err)
{
	struct oci_id_mapping *m = elem;

	TRY(require(v, path, "containerID", err));
	TRY(require(v, path, "hostID", err));
	TRY(require(v, path, "size", err));
	TRY(get_u32(v, path, "containerID", &m->container_id, NULL, err));
	TRY(get_u32(v, path, "hostID", &m->host_id, NULL, err));
	TRY(get_u32(v, path, "size", &m->size, NULL, err));
	return 0;
}

static int parse_device(yajl_val v, const char *path, void *elem, struct oci_error *err)
{
	struct oci_device *d = elem;
	_cleanup_free_ char *type = NULL;

	TRY(require(v, path, "path", err));
	TRY(require(v, path, "type", err));
	TRY(get_str(v, path, "path", &d->path, err));
	TRY(get_str(v, path, "type", &type, err));
	if (strlen(type) != 1 || !strchr("cbup", type[0]))
		return oci_error_set(err, EINVAL, "%s.type: expected one of c, b, u, p", path);
	d->type = type[0];
	TRY(get_i64(v, path, "major", &d->major, NULL, err));
	TRY(get_i64(v, path, "minor", &d->minor, NULL, err));
	TRY(get_u32(v, path, "fileMode", &d->mode, &d->has_mode, err));
	TRY(get_u32(v, path, "uid", &d->uid, &d->has_uid, err));
	TRY(get_u32(v, path, "gid", &d->gid, &d->has_gid, err));
	return 0;
}

static int parse_device_rule(yajl_val v, const char *path, void *elem, struct oci_error *err)
{
	struct oci_device_rule *d = elem;

	d->major = d->minor = -1;
	TRY(require(v, path, "allow", err));
	TRY(get_bool(v, path, "allow", &d->allow, err));
	TRY(get_str(v, path, "type", &d->type, err));
	TRY(get_i64(v, path, "major", &d->major, NULL, err));
	TRY(get_i64(v, path, "minor", &d->minor, NULL, err));
	TRY(get_str(v, path, "access", &d->access, err));
	return 0;
}

static int parse_throttle(yajl_val v, const char *path, void *elem, struct oci_error *err)
{
	struct oci_throttle_device *t = elem;

	TRY(get_i64(v, path, "major", &t->major, NULL, err));
	TRY(get_i64(v, path, "minor", &t->minor, NULL, err));
	TRY(get_u64(v, path, "rate", &t->rate, NULL, err));
	return 0;
}

static int get_u16(yajl_val obj, const char *base, const char *key, uint16_t *out, bool *has,
		   struct oci_error *err)
{
	int64_t x;
	bool h = false;

	TRY(get_int_range(obj, base, key, 0, UINT16_MAX, &x, &h, err));
	if (h) {
		*out = (uint16_t)x;
		*has = true;
	}
	return 0;
}

static int parse_weight_device(yajl_val v, const char *path, void *elem, struct oci_error *err)
{
	struct oci_weight_device *w = elem;

	TRY(get_i64(v, path, "major", &w->major, NULL, err));
	TRY(get_i64(v, path, "minor", &w->minor, NULL, err));
	TRY(get_u16(v, path, "weight", &w->weight, &w->has_weight, err));
	TRY(get_u16(v, path, "leafWeight", &w->leaf_weight, &w->has_leaf_weight, err));
	return 0;
}

static int parse_hugepage(yajl_val v, const char *path, void *elem, struct oci_error *err)
{
	struct oci_hugepage_limit *h = elem;

	TRY(require(v, path, "pageSize", err));
	TRY(get_str(v, path, "pageSize", &h->page_size, err));
	TRY(get_u64(v, path, "limit", &h->limit, NULL, err));
	return 0;
}

static const char *const throttle_keys[4] = {
	"throttleReadBpsDevice", "throttleWriteBpsDevice",
	"throttleReadIOPSDevice", "throttleWriteIOPSDevice",
};

static int parse_resources(yajl_val v, const char *path, struct oci_resources *r, struct oci_error *err)
{
	yajl_val x;

	TRY(expect_object(v, path, err));
	TRY(get_object_array(v, path, "devices", sizeof(struct oci_device_rule), parse_device_rule,
			     (void **)&r->devices, &r->n_devices, err));
	if ((x = jget(v, "memory"))) {
		struct jpath p = jp_key(path, "memory");
		TRY(expect_object(x, p.s, err));
		TRY(get_i64(x, p.s, "limit", &r->memory.limit, &r->memory.has_limit, err));
		TRY(get_i64(x, p.s, "reservation", &r->memory.reservation, &r->memory.has_reservation, err));
		TRY(get_i64(x, p.s, "swap", &r->memory.swap, &r->memory.has_swap, err));
		TRY(get_i64(x, p.s, "kernel", &r->memory.kernel, &r->memory.has_kernel, err));
		TRY(get_i64(x, p.s, "kernelTCP", &r->memory.kernel_tcp, &r->memory.has_kernel_tcp, err));
		TRY(get_u64(x, p.s, "swappiness", &r->memory.swappiness, &r->memory.has_swappiness, err));
		TRY(get_bool(x, p.s, "disableOOMKiller", &r->memory.disable_oom_killer, err));
	}
	if ((x = jget(v, "cpu"))) {
		struct jpath p = jp_key(path, "cpu");
		TRY(expect_object(x, p.s, err));
		TRY(get_u64(x, p.s, "shares", &r->cpu.shares, &r->cpu.has_shares, err));
		TRY(get_i64(x, p.s, "quota", &r->cpu.quota, &r->cpu.has_quota, err));
		TRY(get_u64(x, p.s, "period", &r->cpu.period, &r->cpu.has_period, err));
		TRY(get_i64(x, p.s, "realtimeRuntime", &r->cpu.rt_runtime, &r->cpu.has_rt_runtime, err));
		TRY(get_u64(x, p.s, "realtimePeriod", &r->cpu.rt_period, &r->cpu.has_rt_period, err));
		TRY(get_str(x, p.s, "cpus", &r->cpu.cpus, err));
		TRY(get_str(x, p.s, "mems", &r->cpu.mems, err));
	}
	if ((x = jget(v, "pids"))) {
		struct jpath p = jp_key(path, "pids");
		TRY(expect_object(x, p.s, err));
		TRY(get_i64(x, p.s, "limit", &r->pids.limit, &r->pids.has_limit, err));
	}
	if ((x = jget(v, "blockIO"))) {
		struct jpath p = jp_key(path, "blockIO");
		TRY(expect_object(x, p.s, err));
		TRY(get_u16(x, p.s, "weight", &r->block_io.weight, &r->block_io.has_weight, err));
		TRY(get_u16(x, p.s, "leafWeight", &r->block_io.leaf_weight, &r->block_io.has_leaf_weight, err));
		TRY(get_object_array(x, p.s, "weightDevice", sizeof(struct oci_weight_device),
				     parse_weight_device, (void **)&r->block_io.weight_device,
				     &r->block_io.n_weight_device, err));
		for (int i = 0; i < 4; i++)
			TRY(get_object_array(x, p.s, throttle_keys[i], sizeof(struct oci_throttle_device),
					     parse_throttle, (void **)&r->block_io.throttle[i],
					     &r->block_io.n_throttle[i], err));
	}
	TRY(get_object_array(v, path, "hugepageLimits", sizeof(struct oci_hugepage_limit), parse_hugepage,
			     (void **)&r->hugepage_limits, &r->n_hugepage_limits, err));
	TRY(get_string_map(v, path, "unified", &r->unified_keys, &r->unified_values, err));
	return 0;
}

static int parse_seccomp_arg(yajl_val v, const char *path, void *elem, struct oci_error *err)
{
	struct oci_seccomp_arg *a = elem;

	TRY(require(v, path, "index", err));
	TRY(require(v, path, "value", err));
	TRY(require(v, path, "op", err));
	TRY(get_u32(v, path, "index", &a->index, NULL, err));
	TRY(get_u64(v, path, "value", &a->value, NULL, err));
	TRY(get_u64(v, path, "valueTwo", &a->value_two, NULL, err));
	TRY(get_str(v, path, "op", &a->op, err));
	return 0;
}

static int parse_syscall(yajl_val v, const char *path, void *elem, struct oci_error *err)
{
	struct oci_syscall *s = elem;

	TRY(require(v, path, "names", err));
	TRY(require(v, path, "action", err));
	TRY(get_strv(v, path, "names", &s->names, err));
	TRY(get_str(v, path, "action", &s->action, err));
	TRY(get_u32(v, path, "errnoRet", &s->errno_ret, &s->has_errno_ret, err));
	TRY(get_object_array(v, path, "args", sizeof(struct oci_seccomp_arg), parse_seccomp_arg,
			     (void **)&s->args, &s->n_args, err));
	return 0;
}

static int parse_seccomp(yajl_val v, const char *path, struct oci_seccomp *s, struct oci_error *err)
{
	TRY(expect_object(v, path, err));
	TRY(require(v, path, "defaultAction", err));
	TRY(get_str(v, path, "defaultAction", &s->default_action, err));
	TRY(get_u32(v, path, "defaultErrnoRet", &s->default_errno_ret, &s->has_default_errno_ret, err));
	TRY(get_strv(v, path, "architectures", &s->architectures, err));
	TRY(get_strv(v, path, "flags", &s->flags, err));
	TRY(get_str(v, path, "listenerPath", &s->listener_path, err));
	TRY(get_object_array(v, path, "syscalls", sizeof(struct oci_syscall), parse_syscall,
			     (void **)&s->syscalls, &s->n_syscalls, err));
	return 0;
}

static int parse_time_offset(yajl_val obj, const char *base, const char *key, struct oci_time_offset *t,
			     struct oci_error *err)
{
	yajl_val v = jget(obj, key);
	struct jpath p = jp_key(base, key);

	if (!v)
		return 0;
	TRY(expect_object(v, p.s, err));
	TRY(get_i64(v, p.s, "secs", &t->secs, NULL, err));
	TRY(get_u32(v, p.s, "nanosecs", &t->nanosecs, NULL, err));
	t->set = true;
	return 0;
}

static int parse_linux(yajl_val v, const char *path, struct oci_linux *l, struct oci_error *err)
{
	yajl_val x;

	TRY(expect_object(v, path, err));
	TRY(get_object_array(v, path, "namespaces", sizeof(struct oci_namespace), parse_namespace,
			     (void **)&l->namespaces, &l->n_namespaces, err));
	TRY(get_object_array(v, path, "uidMappings", sizeof(struct oci_id_mapping), parse_id_mapping,
			     (void **)&l->uid_mappings, &l->n_uid_mappings, err));
	TRY(get_object_array(v, path, "gidMappings", sizeof(struct oci_id_mapping), parse_id_mapping,
			     (void **)&l->gid_mappings, &l->n_gid_mappings, err));
	TRY(get_object_array(v, path, "devices", sizeof(struct oci_device), parse_device,
			     (void **)&l->devices, &l->n_devices, err));
	TRY(get_str(v, path, "cgroupsPath", &l->cgroups_path, err));
	if ((x = jget(v, "resources"))) {
		l->resources = calloc(1, sizeof(*l->resources));
		if (!l->resources)
			return oci_error_set(err, ENOMEM, "out of memory");
		TRY(parse_resources(x, jp_key(path, "resources").s, l->resources, err));
	}
	TRY(get_str(v, path, "rootfsPropagation", &l->rootfs_propagation, err));
	if ((x = jget(v, "seccomp"))) {
		l->seccomp = calloc(1, sizeof(*l->seccomp));
		if (!l->seccomp)
			return oci_error_set(err, ENOMEM, "out of memory");
		TRY(parse_seccomp(x, jp_key(path, "seccomp").s, l->seccomp, err));
	}
	TRY(get_string_map(v, path, "sysctl", &l->sysctl_keys, &l->sysctl_values, err));
	TRY(get_strv(v, path, "maskedPaths", &l->masked_paths, err));
	TRY(get_strv(v, path, "readonlyPaths", &l->readonly_paths, err));
	TRY(get_str(v, path, "mountLabel", &l->mount_label, err));
	if ((x = jget(v, "timeOffsets"))) {
		struct jpath p = jp_key(path, "timeOffsets");
		TRY(expect_object(x, p.s, err));
		TRY(parse_time_offset(x, p.s, "monotonic", &l->monotonic, err));
		TRY(parse_time_offset(x, p.s, "boottime", &l->boottime, err));
	}
	return 0;
}

/* ---- top level ---- */

static int parse_spec(yajl_val v, struct oci_spec *s, struct oci_error *err)
{
	yajl_val x;

	if (!YAJL_IS_OBJECT(v))
		return oci_error_set(err, EINVAL, "top level: expected object");
	TRY(require(v, "", "ociVersion", err));
	TRY(get_str(v, "", "ociVersion", &s->oci_version, err));
	if ((x = jget(v, "process"))) {
		s->process = calloc(1, sizeof(*s->process));
		if (!s->process)
			return oci_error_set(err, ENOMEM, "out of memory");
		TRY(parse_process(x, "process", s->process, err));
	}
	if ((x = jget(v, "root"))) {
		TRY(expect_object(x, "root", err));
		TRY(require(x, "root", "path", err));
		TRY(get_str(x, "root", "path", &s->root_path, err));
		TRY(get_bool(x, "root", "readonly", &s->root_readonly, err));
	}
	TRY(get_str(v, "", "hostname", &s->hostname, err));
	TRY(get_str(v, "", "domainname", &s->domainname, err));
	TRY(get_object_array(v, "", "mounts", sizeof(struct oci_mount), parse_mount, (void **)&s->mounts,
			     &s->n_mounts, err));
	if ((x = jget(v, "hooks")))
		TRY(parse_hooks(x, "hooks", s->hooks, err));
	TRY(get_string_map(v, "", "annotations", &s->annotation_keys, &s->annotation_values, err));
	if ((x = jget(v, "linux"))) {
		s->linux_ = calloc(1, sizeof(*s->linux_));
		if (!s->linux_)
			return oci_error_set(err, ENOMEM, "out of memory");
		TRY(parse_linux(x, "linux", s->linux_, err));
	}
	return 0;
}

int oci_spec_parse(const char *text, struct oci_spec **ret, struct oci_error *err)
{
	_cleanup_(yajl_tree_freep) yajl_val tree = NULL;
	_cleanup_spec_ struct oci_spec *spec = NULL;
	char ebuf[256] = "";

	tree = yajl_tree_parse(text, ebuf, sizeof(ebuf));
	if (!tree) {
		ebuf[strcspn(ebuf, "\n")] = 0;
		return oci_error_set(err, EINVAL, "invalid JSON: %s", ebuf[0] ? ebuf : "parse error");
	}
	spec = calloc(1, sizeof(*spec));
	if (!spec)
		return oci_error_set(err, ENOMEM, "out of memory");
	TRY(parse_spec(tree, spec, err));
	*ret = TAKE_PTR(spec);
	return 0;
}

static int read_text(const char *path, char **ret, struct oci_error *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f)
		return oci_error_set(err, errno, "cannot open %s: %s", path, strerror(errno));
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);
			if (!nb)
				return oci_error_set(err, ENOMEM, "out of memory");
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		return oci_error_set(err, EIO, "cannot read %s", path);
	buf[len] = 0;
	*ret = TAKE_PTR(buf);
	return 0;
}

int oci_spec_load(const char *path, struct oci_spec **ret, struct oci_error *err)
{
	_cleanup_free_ char *text = NULL;
	int r;

	TRY(read_text(path, &text, err));
	r = oci_spec_parse(text, ret, err);
	if (r < 0)
		return oci_error_prefix(err, "%s", path);
	return 0;
}

int oci_process_load(const char *path, struct oci_process **ret, struct oci_error *err)
{
	_cleanup_(yajl_tree_freep) yajl_val tree = NULL;
	_cleanup_process_ struct oci_process *p = NULL;
	_cleanup_free_ char *text = NULL;
	char ebuf[256] = "";

	TRY(read_text(path, &text, err));
	tree = yajl_tree_parse(text, ebuf, sizeof(ebuf));
	if (!tree) {
		ebuf[strcspn(ebuf, "\n")] = 0;
		return oci_error_set(err, EINVAL, "%s: invalid JSON: %s", path, ebuf);
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return oci_error_set(err, ENOMEM, "out of memory");
	if (parse_process(tree, "process", p, err) < 0)
		return oci_error_prefix(err, "%s", path);
	*ret = TAKE_PTR(p);
	return 0;
}

const struct oci_namespace *oci_spec_namespace(const struct oci_spec *spec, int flag)
{
	if (!spec->linux_)
		return NULL;
	for (size_t i = 0; i < spec->linux_->n_namespaces; i++)
		if (spec->linux_->namespaces[i].type == flag)
			return &spec->linux_->namespaces[i];
	return NULL;
}
