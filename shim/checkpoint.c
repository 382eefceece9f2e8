/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * checkpoint: dump a running (or paused) container's process tree with the
 * core into --image-path, with what restore needs next to the images
 * (cryo-checkpoint.json, config.json).
 *
 *   the tree      the init and every descendant (the core seizes it through
 *                 the cgroup freezer on v1, so nothing forks meanwhile; a
 *                 paused container stays paused)
 *   namespaces    the container's own ones are dumped by the core; those it
 *                 joined by path (a network namespace of the engine ...) are
 *                 not its to save: the core runs in them, which makes them
 *                 "the dumper's own", and restore joins the new config's path
 *   mounts        the rootfs is the core's external root; every mount that came
 *                 from the host is an external mount keyed by its mountpoint
 *   stdio         the engine's pipes/terminal are external files (--external fd[])
 *
 * Without --leave-running the core leaves the tree stopped once the image is
 * written and cryo kills it through its cgroup: the container is then
 * "stopped" (its state and cgroups stay until delete).
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include "cr-core.h"
#include "cr/proc-parse.h"

/* Namespaces a container may join by path and still be checkpointed. */
static const int joinable_ns[] = { CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME };

static int check_joined_ns(const struct oci_spec *spec, struct oci_error *err)
{
	for (size_t i = 0; spec->linux_ && i < spec->linux_->n_namespaces; i++) {
		const struct oci_namespace *ns = &spec->linux_->namespaces[i];
		bool ok = !ns->path;
		for (size_t k = 0; k < ARRAY_SIZE(joinable_ns); k++)
			ok |= ns->type == joinable_ns[k];
		if (!ok)
			return oci_error_set(err, EOPNOTSUPP,
					     "the container joined the %s namespace %s: checkpoint of a container in a %s namespace it does not own is not supported",
					     oci_namespace_proc_name(ns->type), ns->path, oci_namespace_proc_name(ns->type));
	}
	return 0;
}

/* The namespaces joined by path, as the container's init is in them now. */
static size_t joined_ns(const struct oci_spec *spec, pid_t pid, struct core_ns *ns, char paths[][64])
{
	size_t n = 0;

	for (size_t i = 0; spec->linux_ && i < spec->linux_->n_namespaces && n < ARRAY_SIZE(joinable_ns); i++) {
		const struct oci_namespace *s = &spec->linux_->namespaces[i];
		if (!s->path)
			continue;
		snprintf(paths[n], 64, "/proc/%d/ns/%s", pid, oci_namespace_proc_name(s->type));
		ns[n].type = s->type;
		ns[n].path = paths[n];
		n++;
	}
	return n;
}

static pid_t ppid_of(pid_t pid)
{
	struct proc_stat st;

	return proc_parse_stat(pid, 0, &st) < 0 ? 0 : st.ppid;
}

/* The core dumps the init's tree: a process of the container outside it (one
 * `exec` started, whose parent went away) would be lost silently. */
static int check_all_in_tree(const struct oci_state *s, struct oci_error *err)
{
	_cleanup_free_ pid_t *pids = NULL;
	int n = cgroups_pids(s->cgroup_paths, &pids);

	for (int i = 0; i < n; i++) {
		pid_t p = pids[i];
		for (int depth = 0; p > 1 && p != s->pid && depth < 4096; depth++)
			p = ppid_of(p);
		if (p != s->pid && proc_start_time(pids[i], NULL))
			return oci_error_set(err, EOPNOTSUPP,
					     "cannot checkpoint container \"%s\": process %d is in it but not a descendant of its init %d (started by exec?): not supported",
					     s->id, pids[i], s->pid);
	}
	return 0;
}

static int copy_file(const char *from, const char *to, struct oci_error *err)
{
	_cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC), out = -1;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return oci_error_set(err, errno, "cannot read %s: %s", from, strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		return oci_error_set(err, errno, "cannot write %s: %s", to, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return oci_error_set(err, errno, "cannot write %s: %s", to, strerror(errno));
	return n < 0 ? oci_error_set(err, errno, "cannot read %s: %s", from, strerror(errno)) : 0;
}

static int dump_argv(struct argv_buf *a, const struct oci_state *s, const struct cr_meta *m,
		     const struct checkpoint_opts *o, const char *image, const char *log)
{
	const char *freezer = cgroup_is_v2() ? NULL : cgroups_dir(s->cgroup_paths, "freezer");
	int r = 0;

	r |= argv_add(a, "dump");
	r |= argv_add(a, "-t");
	r |= argv_add(a, "%d", s->pid);
	r |= argv_add(a, "-D");
	r |= argv_add(a, "%s", image);
	r |= argv_add(a, "-o");
	r |= argv_add(a, "%s", log);
	r |= argv_add(a, "--log-format");
	r |= argv_add(a, "text");
	r |= argv_add(a, "-v4");
	/* Without --leave-running the tree stays stopped and we kill it through its
	 * cgroup: the runtime tears its containers down, and nothing runs between
	 * the dump and the kill. */
	r |= argv_add(a, o->leave_running ? "--leave-running" : "--leave-stopped");
	if (o->shell_job)
		r |= argv_add(a, "--shell-job");
	if (o->tcp_established)
		r |= argv_add(a, "--tcp-established");
	if (o->file_locks)
		r |= argv_add(a, "--file-locks");
	if (o->ext_unix_sk)
		r |= argv_add(a, "--ext-unix-sk");
	if (freezer) {
		r |= argv_add(a, "--freeze-cgroup");
		r |= argv_add(a, "%s", freezer);
	}
	for (size_t i = 0; m->external && m->external[i]; i++) {
		r |= argv_add(a, "--external");
		r |= argv_add(a, "fd[%s]", m->external[i]);
	}
	for (size_t i = 0; i < m->n_mounts; i++) {
		char key[4096];
		cr_mount_key(m->mounts[i].mountpoint, key, sizeof(key));
		r |= argv_add(a, "--external");
		r |= argv_add(a, "mnt[%s]:%s", m->mounts[i].mountpoint, key);
	}
	return r ? -ENOMEM : 0;
}

/* mkdir -p, then the absolute path. */
static char *make_dir(const char *path, struct oci_error *err)
{
	char *abs;
	int r = mkdir_parents(path, 0700);

	if (r < 0) {
		oci_error_set(err, -r, "cannot create %s: %s", path, strerror(-r));
		return NULL;
	}
	abs = realpath(path, NULL);
	if (!abs)
		oci_error_set(err, errno, "%s: %s", path, strerror(errno));
	return abs;
}

/* Kill the stopped tree (every process of the container's cgroup). */
static void stop_container(const struct oci_state *s)
{
	for (int i = 0; i < 3; i++) {
		container_signal_all(s, SIGKILL);
		if (wait_pid_gone(s->pid, s->pid_start, 1000) == 0)
			break;
	}
}

static void remove_meta(const char *image)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", image, CR_META_FILE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", image, CR_CONFIG_FILE);
	unlink(path);
}

int container_checkpoint(const char *id, const struct checkpoint_opts *o, struct oci_error *err)
{
	_cleanup_state_ struct oci_state *s = NULL;
	_cleanup_spec_ struct oci_spec *spec = NULL;
	_cleanup_meta_ struct cr_meta *m = NULL;
	_cleanup_free_ char *image = NULL, *work = NULL, *log = NULL, *config = NULL, *config_copy = NULL,
			   *why = NULL;
	struct core_run run = { 0 };
	struct core_ns ns[ARRAY_SIZE(joinable_ns)];
	char ns_paths[ARRAY_SIZE(joinable_ns)][64];
	enum oci_status st;
	int r;

	if (container_load(id, &s, err) < 0)
		return -err->code;
	st = container_status(s);
	if (st != OCI_STATUS_RUNNING && st != OCI_STATUS_PAUSED)
		return oci_error_set(err, EINVAL, "cannot checkpoint container \"%s\": it is %s, not running", id,
				     oci_status_name(st));
	if (container_load_spec(s, &spec, err) < 0)
		return oci_error_prefix(err, "cannot checkpoint container \"%s\"", id);
	if ((r = check_joined_ns(spec, err)) < 0 || (r = check_all_in_tree(s, err)) < 0)
		return r;
	image = make_dir(o->image_path && *o->image_path ? o->image_path : "checkpoint", err);
	if (!image)
		return -err->code;
	work = make_dir(o->work_path && *o->work_path ? o->work_path : image, err);
	if (!work)
		return -err->code;
	if (asprintf(&log, "%s/dump.log", work) < 0 || asprintf(&config, "%s/config.json", s->bundle) < 0 ||
	    asprintf(&config_copy, "%s/%s", image, CR_CONFIG_FILE) < 0)
		return oci_error_set(err, ENOMEM, "out of memory");
	if ((r = cr_meta_collect(s, spec, &m, err)) < 0)
		return oci_error_prefix(err, "cannot checkpoint container \"%s\"", id);
	if (cr_meta_save(image, m, err) < 0 || copy_file(config, config_copy, err) < 0) {
		remove_meta(image);
		return -err->code;
	}
	if (dump_argv(&run.argv, s, m, o, image, log) < 0) {
		remove_meta(image);
		return oci_error_set(err, ENOMEM, "out of memory");
	}
	run.ns = ns;
	run.n_ns = joined_ns(spec, s->pid, ns, ns_paths);
	log_info("checkpoint %s: dumping init %d into %s", id, s->pid, image);
	r = core_run(&run, err);
	argv_free(&run.argv);
	if (r < 0) {
		remove_meta(image);
		why = core_log_errors(log);
		return oci_error_set(err, EIO, "checkpoint of container \"%s\" failed: %s (log: %s)", id,
				     why ? why : "the core stopped before logging an error (see its stderr)", log);
	}
	if (!o->leave_running)
		stop_container(s);
	log_info("checkpoint %s: done%s", id, o->leave_running ? ", left running" : ", container stopped");
	return 0;
}
