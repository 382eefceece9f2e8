/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cgroups v1 and v2 (the layout is detected).  The container's cgroup is
 * placed below the cgroup cryo itself runs in, in every hierarchy, so a
 * runtime started inside a limited or delegated cgroup keeps its containers
 * inside it.  The resolved directories are stored in the state ("ctrl=dir").
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include "container.h"
#include "cryo.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

bool cgroup_is_v2(void)
{
	struct statfs sf;

	return statfs(CGROUP_ROOT, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

static int write_file(const char *dir, const char *file, const char *value)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	if (write(fd, value, len) != (ssize_t)len)
		return negative_errno();
	return 0;
}

static int read_file(const char *dir, const char *file, char *buf, size_t size)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	n = read(fd, buf, size - 1);
	if (n < 0)
		return negative_errno();
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Our own cgroup in the hierarchy with these controllers (from /proc/self/cgroup). */
static char *own_cgroup(const char *controllers)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	char line[1024];

	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':'), *p = c ? strchr(c + 1, ':') : NULL;
		if (!p)
			continue;
		*p = 0;
		p[1 + strcspn(p + 1, "\n")] = 0;
		if (!strcmp(c + 1, controllers))
			return strdup(p + 1);
	}
	return strdup("/");
}

static int mkdir_p(const char *path)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return negative_errno();
			*s = '/';
		}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return negative_errno();
	return 0;
}

/* v1 cpuset: a new cgroup starts with empty cpus/mems; copy them down from the parent. */
static void cpuset_fill(const char *base, const char *dir)
{
	_cleanup_free_ char *p = strdup(dir);
	size_t blen = strlen(base);

	for (char *s = p + blen + 1; s && *s;) {
		char *slash = strchr(s, '/'), parent[4096], val[4096];
		if (slash)
			*slash = 0;
		snprintf(parent, sizeof(parent), "%s", p);
		*strrchr(parent, '/') = 0;
		for (const char *f = "cpuset.cpus"; f; f = !strcmp(f, "cpuset.cpus") ? "cpuset.mems" : NULL) {
			char cur[4096];
			if (read_file(p, f, cur, sizeof(cur)) == 0 && !cur[0] &&
			    read_file(parent, f, val, sizeof(val)) == 0)
				write_file(p, f, val);
		}
		if (!slash)
			break;
		*slash = '/';
		s = slash + 1;
	}
}

static int add_path(char ***paths, size_t *n, const char *ctrl, const char *dir)
{
	char **np = realloc(*paths, (*n + 2) * sizeof(char *));

	if (!np)
		return -ENOMEM;
	*paths = np;
	if (asprintf(&np[*n], "%s=%s", ctrl, dir) < 0)
		return -ENOMEM;
	np[++*n] = NULL;
	return 0;
}

int cgroups_create(const char *cgroups_path, const char *id, char ***ret_paths, struct oci_error *err)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *rel = NULL;
	char **paths = calloc(1, sizeof(char *));
	size_t n = 0;
	char line[4096];
	int r;

	if (cgroups_path && strchr(cgroups_path, ':') && cgroups_path[0] != '/')
		return oci_error_set(err, EINVAL, "cgroupsPath \"%s\" is a systemd slice path; cryo only "
				     "supports cgroupfs paths", cgroups_path);
	if (asprintf(&rel, "%s%s", cgroups_path && *cgroups_path ? "" : "/cryo/",
		     cgroups_path && *cgroups_path ? cgroups_path : id) < 0 || !paths)
		return oci_error_set(err, ENOMEM, "out of memory");
	if (strstr(rel, "..")) {
		strv_free(paths);
		return oci_error_set(err, EINVAL, "cgroupsPath \"%s\" must not contain \"..\"", rel);
	}
	*ret_paths = paths;
	/* The spec: an absolute cgroupsPath is relative to the hierarchy's root, as runc
	 * does; a relative one (and our default) is placed under the caller's cgroup. */
	bool absolute = cgroups_path && cgroups_path[0] == '/';
	if (cgroup_is_v2()) {
		_cleanup_free_ char *own = absolute ? strdup("/") : own_cgroup(""), *dir = NULL;
		if (!own)
			return oci_error_set(err, ENOMEM, "out of memory");
		if (asprintf(&dir, "%s%s/%s", CGROUP_ROOT, strcmp(own, "/") ? own : "", rel + (rel[0] == '/')) < 0)
			return oci_error_set(err, ENOMEM, "out of memory");
		r = mkdir_p(dir);
		if (r < 0)
			return oci_error_set(err, -r, "cannot create cgroup %s: %s", dir, strerror(-r));
		r = add_path(ret_paths, &n, "unified", dir);
		return r < 0 ? oci_error_set(err, -r, "out of memory") : 0;
	}
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return oci_error_set(err, errno, "cannot read /proc/self/mountinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char mnt[1024], fstype[64], opts[1024], *ctrl = NULL, *tok, *save;
		char *sep = strstr(line, " - ");
		_cleanup_free_ char *own = NULL, *dir = NULL, *key = NULL;

		if (!sep || sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s %*s %1023s", fstype, opts) != 2 || strcmp(fstype, "cgroup"))
			continue;
		/* The hierarchy's name as /proc/self/cgroup spells it: its controllers, comma-joined. */
		for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (!strcmp(tok, "rw") || !strcmp(tok, "ro") || !strncmp(tok, "release_agent", 13) ||
			    !strcmp(tok, "clone_children") || !strcmp(tok, "noprefix") || !strcmp(tok, "xattr"))
				continue;
			char *nk;
			if (asprintf(&nk, "%s%s%s", key ? key : "", key ? "," : "", tok) < 0)
				return oci_error_set(err, ENOMEM, "out of memory");
			free(key);
			key = nk;
		}
		if (!key)
			continue;
		own = absolute ? strdup("/") : own_cgroup(key);
		if (!own)
			return oci_error_set(err, ENOMEM, "out of memory");
		if (asprintf(&dir, "%s%s/%s", mnt, strcmp(own, "/") ? own : "", rel + (rel[0] == '/')) < 0)
			return oci_error_set(err, ENOMEM, "out of memory");
		r = mkdir_p(dir);
		if (r < 0) {
			cgroups_destroy(*ret_paths);
			return oci_error_set(err, -r, "cannot create cgroup %s: %s", dir, strerror(-r));
		}
		if (strstr(key, "cpuset"))
			cpuset_fill(mnt, dir);
		ctrl = key;
		r = add_path(ret_paths, &n, ctrl, dir);
		if (r < 0)
			return oci_error_set(err, -r, "out of memory");
	}
	return 0;
}

static bool ctrl_has(const char *entry, const char *controller)
{
	size_t cl = strlen(controller);
	const char *eq = strstr(entry, "=/");

	for (const char *p = entry; p && p < eq; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, controller, cl) && (p[cl] == ',' || p[cl] == '='))
			return true;
	return false;
}

const char *cgroups_dir(char **paths, const char *controller)
{
	for (size_t i = 0; paths && paths[i]; i++)
		if (!strncmp(paths[i], "unified=", 8) || ctrl_has(paths[i], controller))
			return strstr(paths[i], "=/") + 1;
	return NULL;
}

int cgroups_enter(char **paths, pid_t pid, struct oci_error *err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", pid);
	for (size_t i = 0; paths && paths[i]; i++) {
		const char *dir = strstr(paths[i], "=/") + 1;
		int r = write_file(dir, "cgroup.procs", buf);
		if (r < 0)
			return oci_error_set(err, -r, "cannot move %d into cgroup %s: %s", pid, dir, strerror(-r));
	}
	return 0;
}

int cgroups_destroy(char **paths)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int ret = 0;

	for (size_t i = 0; paths && paths[i]; i++) {
		const char *dir = strstr(paths[i], "=/") + 1;
		int tries = 0;

		/* Tasks being killed leave the cgroup a little after they die. */
		while (rmdir(dir) < 0 && errno == EBUSY && tries++ < 100)
			nanosleep(&ts, NULL);
		if (access(dir, F_OK) == 0) {
			log_warn("cannot remove cgroup %s: %s", dir, strerror(errno));
			ret = -EBUSY;
		}
	}
	return ret;
}

int cgroups_pids(char **paths, pid_t **ret)
{
	const char *dir = cgroups_dir(paths, "pids");
	_cleanup_free_ char *file = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	pid_t *pids = NULL;
	int n = 0, pid;

	*ret = NULL;
	if (!dir)
		dir = cgroups_dir(paths, "freezer");
	if (!dir && paths && paths[0])
		dir = strstr(paths[0], "=/") + 1;
	if (!dir || asprintf(&file, "%s/cgroup.procs", dir) < 0)
		return 0;
	f = fopen(file, "re");
	while (f && fscanf(f, "%d", &pid) == 1) {
		pid_t *np = realloc(pids, (size_t)(n + 1) * sizeof(pid_t));
		if (!np)
			break;
		pids = np;
		pids[n++] = pid;
	}
	*ret = pids;
	return n;
}

int cgroups_freeze(char **paths, bool freeze, struct oci_error *err)
{
	const char *dir;
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	char state[64];
	int r;

	if (cgroup_is_v2()) {
		dir = cgroups_dir(paths, "unified");
		r = dir ? write_file(dir, "cgroup.freeze", freeze ? "1" : "0") : -ENOENT;
		if (r < 0)
			return oci_error_set(err, -r, "cannot %s cgroup: %s", freeze ? "freeze" : "thaw", strerror(-r));
		return 0;
	}
	dir = cgroups_dir(paths, "freezer");
	if (!dir)
		return oci_error_set(err, ENOTSUP, "the freezer cgroup controller is not available");
	r = write_file(dir, "freezer.state", freeze ? "FROZEN" : "THAWED");
	if (r < 0)
		return oci_error_set(err, -r, "cannot write %s/freezer.state: %s", dir, strerror(-r));
	/* FREEZING turns into FROZEN once every task stopped; wait for it. */
	for (int i = 0; freeze && i < 2000; i++) {
		if (read_file(dir, "freezer.state", state, sizeof(state)) < 0 || !strcmp(state, "FROZEN"))
			return 0;
		nanosleep(&ts, NULL);
		write_file(dir, "freezer.state", "FROZEN");
	}
	return freeze ? oci_error_set(err, ETIMEDOUT, "cgroup %s did not freeze", dir) : 0;
}

bool cgroups_frozen(char **paths)
{
	char state[64];
	const char *dir;

	if (cgroup_is_v2()) {
		dir = cgroups_dir(paths, "unified");
		return dir && read_file(dir, "cgroup.freeze", state, sizeof(state)) == 0 && !strcmp(state, "1");
	}
	dir = cgroups_dir(paths, "freezer");
	return dir && read_file(dir, "freezer.state", state, sizeof(state)) == 0 &&
	       (!strcmp(state, "FROZEN") || !strcmp(state, "FREEZING"));
}

/* ---- resources ---- */

struct writer {
	char **paths;
	struct oci_error *err;
	int r;
};

static void put(struct writer *w, const char *controller, const char *file, const char *fmt, ...)
	_printf_(4, 5);

static void put(struct writer *w, const char *controller, const char *file, const char *fmt, ...)
{
	const char *dir = cgroups_dir(w->paths, controller);
	char value[512];
	va_list ap;
	int r;

	if (w->r < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (!dir) {
		w->r = oci_error_set(w->err, ENOTSUP, "cannot set %s: the %s controller is not available", file,
				     controller);
		return;
	}
	r = write_file(dir, file, value);
	if (r < 0)
		w->r = oci_error_set(w->err, -r, "cannot write \"%s\" to %s/%s: %s", value, dir, file, strerror(-r));
}

static void dev_rule(char *buf, size_t size, const char *type, int64_t major, int64_t minor, const char *access)
{
	char ma[24] = "*", mi[24] = "*";

	if (major >= 0)
		snprintf(ma, sizeof(ma), "%" PRId64, major);
	if (minor >= 0)
		snprintf(mi, sizeof(mi), "%" PRId64, minor);
	snprintf(buf, size, "%s %s:%s %s", type && *type ? type : "a", ma, mi, access && *access ? access : "rwm");
}

/* Devices every container gets, as runc does: null zero full random urandom tty, ptys. */
static const struct {
	char type;
	int64_t major, minor;
} default_devices[] = {
	{ 'c', 1, 3 }, { 'c', 1, 5 }, { 'c', 1, 7 }, { 'c', 1, 8 }, { 'c', 1, 9 },
	{ 'c', 5, 0 }, { 'c', 5, 1 }, { 'c', 5, 2 }, { 'c', 136, -1 },
};

static void apply_devices_v1(struct writer *w, const struct oci_resources *res, const struct oci_spec *spec)
{
	char rule[128];

	for (size_t i = 0; res && i < res->n_devices; i++) {
		const struct oci_device_rule *d = &res->devices[i];
		dev_rule(rule, sizeof(rule), d->type, d->major, d->minor, d->access);
		put(w, "devices", d->allow ? "devices.allow" : "devices.deny", "%s", rule);
	}
	if (!res || !res->n_devices)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
		char t[2] = { default_devices[i].type, 0 };
		dev_rule(rule, sizeof(rule), t, default_devices[i].major, default_devices[i].minor, "rwm");
		put(w, "devices", "devices.allow", "%s", rule);
	}
	for (size_t i = 0; spec && spec->linux_ && i < spec->linux_->n_devices; i++) {
		const struct oci_device *d = &spec->linux_->devices[i];
		char t[2] = { d->type == 'u' ? 'c' : d->type, 0 };
		dev_rule(rule, sizeof(rule), t, d->major, d->minor, "rwm");
		put(w, "devices", "devices.allow", "%s", rule);
	}
}

static void apply_v1(struct writer *w, const struct oci_resources *r, const struct oci_spec *spec)
{
	static const char *const throttle_files[4] = {
		"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
	};

	if (r->memory.has_limit)
		put(w, "memory", "memory.limit_in_bytes", "%" PRId64, r->memory.limit);
	if (r->memory.has_reservation)
		put(w, "memory", "memory.soft_limit_in_bytes", "%" PRId64, r->memory.reservation);
	if (r->memory.has_swap) {
		const char *dir = cgroups_dir(w->paths, "memory");
		_cleanup_free_ char *f = NULL;
		if (dir && asprintf(&f, "%s/memory.memsw.limit_in_bytes", dir) >= 0 && access(f, F_OK) == 0)
			put(w, "memory", "memory.memsw.limit_in_bytes", "%" PRId64, r->memory.swap);
		else if (r->memory.swap > 0)
			log_warn("swap limit ignored: the kernel has no swap accounting");
	}
	if (r->memory.has_swappiness && r->memory.swappiness <= 100)
		put(w, "memory", "memory.swappiness", "%" PRIu64, r->memory.swappiness);
	if (r->memory.disable_oom_killer)
		put(w, "memory", "memory.oom_control", "1");
	if (r->cpu.has_shares && r->cpu.shares)
		put(w, "cpu", "cpu.shares", "%" PRIu64, r->cpu.shares);
	if (r->cpu.has_period && r->cpu.period)
		put(w, "cpu", "cpu.cfs_period_us", "%" PRIu64, r->cpu.period);
	if (r->cpu.has_quota && r->cpu.quota)
		put(w, "cpu", "cpu.cfs_quota_us", "%" PRId64, r->cpu.quota);
	if (r->cpu.has_rt_period && r->cpu.rt_period)
		put(w, "cpu", "cpu.rt_period_us", "%" PRIu64, r->cpu.rt_period);
	if (r->cpu.has_rt_runtime && r->cpu.rt_runtime)
		put(w, "cpu", "cpu.rt_runtime_us", "%" PRId64, r->cpu.rt_runtime);
	if (r->cpu.cpus && *r->cpu.cpus)
		put(w, "cpuset", "cpuset.cpus", "%s", r->cpu.cpus);
	if (r->cpu.mems && *r->cpu.mems)
		put(w, "cpuset", "cpuset.mems", "%s", r->cpu.mems);
	if (r->pids.has_limit) {
		if (r->pids.limit > 0)
			put(w, "pids", "pids.max", "%" PRId64, r->pids.limit);
		else
			put(w, "pids", "pids.max", "max");
	}
	if (r->block_io.has_weight && r->block_io.weight)
		put(w, "blkio", "blkio.weight", "%u", r->block_io.weight);
	if (r->block_io.has_leaf_weight && r->block_io.leaf_weight)
		put(w, "blkio", "blkio.leaf_weight", "%u", r->block_io.leaf_weight);
	for (size_t i = 0; i < r->block_io.n_weight_device; i++) {
		const struct oci_weight_device *d = &r->block_io.weight_device[i];
		if (d->has_weight)
			put(w, "blkio", "blkio.weight_device", "%" PRId64 ":%" PRId64 " %u", d->major, d->minor, d->weight);
		if (d->has_leaf_weight)
			put(w, "blkio", "blkio.leaf_weight_device", "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
			    d->leaf_weight);
	}
	for (int k = 0; k < 4; k++)
		for (size_t i = 0; i < r->block_io.n_throttle[k]; i++) {
			const struct oci_throttle_device *d = &r->block_io.throttle[k][i];
			put(w, "blkio", throttle_files[k], "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor, d->rate);
		}
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		char file[128];
		snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", r->hugepage_limits[i].page_size);
		put(w, "hugetlb", file, "%" PRIu64, r->hugepage_limits[i].limit);
	}
	apply_devices_v1(w, r, spec);
}

static void apply_v2(struct writer *w, const struct oci_resources *r)
{
	if (r->memory.has_limit)
		put(w, "memory", "memory.max", r->memory.limit > 0 ? "%" PRId64 : "max", r->memory.limit);
	if (r->memory.has_reservation)
		put(w, "memory", "memory.low", "%" PRId64, r->memory.reservation);
	if (r->memory.has_swap && r->memory.has_limit && r->memory.swap > 0)
		put(w, "memory", "memory.swap.max", "%" PRId64, r->memory.swap - r->memory.limit);
	if (r->cpu.has_shares && r->cpu.shares)
		/* Map shares [2, 262144] onto weight [1, 10000]. */
		put(w, "cpu", "cpu.weight", "%" PRIu64, 1 + ((r->cpu.shares - 2) * 9999) / 262142);
	if ((r->cpu.has_quota && r->cpu.quota) || (r->cpu.has_period && r->cpu.period)) {
		if (r->cpu.has_quota && r->cpu.quota > 0)
			put(w, "cpu", "cpu.max", "%" PRId64 " %" PRIu64, r->cpu.quota, r->cpu.period ? r->cpu.period : 100000);
		else
			put(w, "cpu", "cpu.max", "max %" PRIu64, r->cpu.period ? r->cpu.period : 100000);
	}
	if (r->cpu.cpus && *r->cpu.cpus)
		put(w, "cpuset", "cpuset.cpus", "%s", r->cpu.cpus);
	if (r->cpu.mems && *r->cpu.mems)
		put(w, "cpuset", "cpuset.mems", "%s", r->cpu.mems);
	if (r->pids.has_limit)
		put(w, "pids", "pids.max", r->pids.limit > 0 ? "%" PRId64 : "max", r->pids.limit);
	if (r->block_io.has_weight && r->block_io.weight)
		put(w, "io", "io.bfq.weight", "%u", r->block_io.weight);
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		char file[128];
		snprintf(file, sizeof(file), "hugetlb.%s.max", r->hugepage_limits[i].page_size);
		put(w, "hugetlb", file, "%" PRIu64, r->hugepage_limits[i].limit);
	}
	for (size_t i = 0; r->unified_keys && r->unified_keys[i]; i++)
		put(w, "unified", r->unified_keys[i], "%s", r->unified_values[i]);
}

int cgroups_apply(char **paths, const struct oci_resources *res, const struct oci_spec *spec,
		  struct oci_error *err)
{
	struct writer w = { .paths = paths, .err = err };

	if (!res)
		return 0;
	if (cgroup_is_v2()) {
		apply_v2(&w, res);
		/* update passes no spec: device rules are set once, at create. */
		if (w.r == 0 && res->n_devices && spec)
			w.r = cgroups_bpf_devices(cgroups_dir(paths, "unified"), res, spec, err);
	} else
		apply_v1(&w, res, spec);
	return w.r;
}

static void stat_line(FILE *f, const char *dir, const char *file, const char *key, bool *first)
{
	char buf[256];

	if (!dir || read_file(dir, file, buf, sizeof(buf)) < 0)
		return;
	fprintf(f, "%s\"%s\":%s", *first ? "" : ",", key, strcmp(buf, "max") ? buf : "0");
	*first = false;
}

void cgroups_stats_json(char **paths, FILE *f)
{
	bool v2 = cgroup_is_v2(), first;

	fprintf(f, "{\"cpu\":{\"usage\":{");
	first = true;
	if (v2) {
		/* cpu.stat starts with "usage_usec N"; runc reports nanoseconds. */
		char buf[256];
		unsigned long long usec;
		const char *dir = cgroups_dir(paths, "cpu");
		if (dir && read_file(dir, "cpu.stat", buf, sizeof(buf)) == 0 && sscanf(buf, "usage_usec %llu", &usec) == 1)
			fprintf(f, "\"total\":%llu", usec * 1000);
	} else
		stat_line(f, cgroups_dir(paths, "cpuacct"), "cpuacct.usage", "total", &first);
	fprintf(f, "}},\"memory\":{\"usage\":{");
	first = true;
	stat_line(f, cgroups_dir(paths, "memory"), v2 ? "memory.current" : "memory.usage_in_bytes", "usage", &first);
	stat_line(f, cgroups_dir(paths, "memory"), v2 ? "memory.max" : "memory.limit_in_bytes", "limit", &first);
	if (!v2)
		stat_line(f, cgroups_dir(paths, "memory"), "memory.max_usage_in_bytes", "max", &first);
	fprintf(f, "}},\"pids\":{");
	first = true;
	stat_line(f, cgroups_dir(paths, "pids"), "pids.current", "current", &first);
	stat_line(f, cgroups_dir(paths, "pids"), "pids.max", "limit", &first);
	fprintf(f, "}}");
}
