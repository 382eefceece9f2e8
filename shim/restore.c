/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * restore: bring a checkpointed container back from --image-path with the
 * (new) bundle's config.json and rootfs:
 *
 *   1. claim ROOT/ID (a stopped container of that id, e.g. the one the
 *      checkpoint stopped, is replaced), create and configure its cgroups
 *      from the bundle;
 *   2. the core restores the tree into new namespaces, inside those cgroups
 *      (it runs there, the tasks inherit them), with the bundle's rootfs as
 *      its root, each external mount from the bundle (a bind of the same
 *      destination) or from where it was on the host (the container's new
 *      cgroup for a cgroup hierarchy), in the namespaces the config joins by
 *      path, and with our stdio (or a new terminal whose master goes to
 *      --console-socket) in place of the engine's old stdio;
 *   3. state.json with the restored init, --pid-file, the prestart and
 *      createRuntime hooks (the tree already runs: they see its pid);
 *   4. with --detach return, else wait for the init as `run` does and delete
 *      the container afterwards.
 *
 * Any failure before 4 undoes everything: the core kills what it restored,
 * then the cgroups and ROOT/ID go.
 */
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include "cr-core.h"
#include "oci/hooks.h"

struct restore_ctx_oci {
	const char *id;
	bool dir_made;
	char **cgroups;
	pid_t pid;
	uint64_t pid_start;
};

static void restore_undo(struct restore_ctx_oci *c)
{
	if (c->pid > 0) {
		struct oci_state s = { .id = (char *)c->id, .pid = c->pid, .pid_start = c->pid_start,
				       .cgroup_paths = c->cgroups };
		container_signal_all(&s, SIGKILL);
		wait_pid_gone(c->pid, c->pid_start, 2000);
	}
	if (c->cgroups)
		cgroups_destroy(c->cgroups);
	if (c->dir_made)
		container_remove_dir(c->id);
}

static char *bundle_path(const char *bundle, const char *p)
{
	char *joined;

	if (p[0] == '/')
		return realpath(p, NULL);
	if (asprintf(&joined, "%s/%s", bundle, p) < 0)
		return NULL;
	char *r = realpath(joined, NULL);
	free(joined);
	return r;
}

/* ROOT/ID for the restored container; a stopped one of the same id makes way. */
static int claim_id(struct restore_ctx_oci *c, struct oci_error *err)
{
	_cleanup_free_ char *dir = container_dir(c->id);
	int r;

	if ((r = mkdir_parents(cryo_globals.root, 0711)) < 0)
		return oci_error_set(err, -r, "cannot create state root %s: %s", cryo_globals.root, strerror(-r));
	if (mkdir(dir, 0711) == 0) {
		c->dir_made = true;
		return 0;
	}
	if (errno != EEXIST)
		return oci_error_set(err, errno, "cannot create %s: %s", dir, strerror(errno));
	{
		_cleanup_state_ struct oci_state *old = NULL;
		struct oci_error lerr = { 0 };
		enum oci_status st = OCI_STATUS_STOPPED;

		if (container_load(c->id, &old, &lerr) == 0)
			st = container_status(old);
		if (st != OCI_STATUS_STOPPED)
			return oci_error_set(err, EEXIST, "container \"%s\" already exists and is %s", c->id,
					     oci_status_name(st));
		log_info("restore %s: replacing the stopped container of that id", c->id);
		if (old)
			cgroups_destroy(old->cgroup_paths);
		container_remove_dir(c->id);
	}
	if (mkdir(dir, 0711) < 0)
		return oci_error_set(err, errno, "cannot create %s: %s", dir, strerror(errno));
	c->dir_made = true;
	return 0;
}

/* Where an external mount comes from now. */
static char *mount_source(const struct cr_mount *cm, const struct oci_spec *spec, const char *bundle,
			  char **cgroups, struct oci_error *err)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct oci_mount *om = &spec->mounts[i];
		bool bind = (om->type && !strcmp(om->type, "bind")) || strv_contains(om->options, "bind") ||
			    strv_contains(om->options, "rbind");
		if (bind && om->source && !strcmp(om->destination, cm->mountpoint)) {
			char *p = bundle_path(bundle, om->source);
			if (!p)
				oci_error_set(err, errno, "mount %s: source %s: %s", cm->mountpoint, om->source, strerror(errno));
			return p;
		}
	}
	if (cm->cgroup_hier) {
		/* The new cgroup in that hierarchy: the one on the same superblock
		 * (the hierarchy may be mounted under several names, cpu and cpu,cpuacct). */
		struct stat hier, st;
		for (size_t i = 0; stat(cm->cgroup_hier, &hier) == 0 && cgroups && cgroups[i]; i++) {
			const char *dir = strstr(cgroups[i], "=/") + 1;
			if (stat(dir, &st) == 0 && st.st_dev == hier.st_dev)
				return strdup(dir);
		}
		oci_error_set(err, ENOENT, "mount %s: the container has no cgroup in the hierarchy %s", cm->mountpoint,
			      cm->cgroup_hier);
		return NULL;
	}
	if (access(cm->host, F_OK) < 0) {
		oci_error_set(err, errno, "mount %s: its source %s on the host: %s", cm->mountpoint, cm->host, strerror(errno));
		return NULL;
	}
	return strdup(cm->host);
}

/* The fd of ours that stands for the external file key: the stdio it was, or the new terminal. */
static int inherit_fd_for(const struct cr_meta *m, const char *key, int tty_slave)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(m->stdio[i], key))
			return m->terminal && tty_slave >= 0 ? tty_slave : i;
	return -1;
}

static int restore_argv(struct argv_buf *a, const struct cr_meta *m, const struct oci_spec *spec, const char *bundle,
			const char *rootfs, char **cgroups, const char *image, const char *log, const char *pidfile,
			const struct restore_opts_oci *o, int tty_slave, struct oci_error *err)
{
	int r = 0;

	r |= argv_add(a, "restore");
	r |= argv_add(a, "-D");
	r |= argv_add(a, "%s", image);
	r |= argv_add(a, "-d");
	r |= argv_add(a, "--pidfile");
	r |= argv_add(a, "%s", pidfile);
	r |= argv_add(a, "-o");
	r |= argv_add(a, "%s", log);
	r |= argv_add(a, "--log-format");
	r |= argv_add(a, "text");
	r |= argv_add(a, "-v4");
	r |= argv_add(a, "--root");
	r |= argv_add(a, "%s", rootfs);
	if (o->shell_job)
		r |= argv_add(a, "--shell-job");
	if (o->tcp_established)
		r |= argv_add(a, "--tcp-established");
	if (o->file_locks)
		r |= argv_add(a, "--file-locks");
	if (o->ext_unix_sk)
		r |= argv_add(a, "--ext-unix-sk");
	/* The tasks stay in the cgroups the core runs in: the container's, made from the bundle. */
	r |= argv_add(a, "--manage-cgroups=ignore");
	for (size_t i = 0; m->external && m->external[i]; i++) {
		int fd = inherit_fd_for(m, m->external[i], tty_slave);
		if (fd < 0)
			return oci_error_set(err, EINVAL, "%s: external file %s is none of the init's stdio",
					     CR_META_FILE, m->external[i]);
		r |= argv_add(a, "--inherit-fd");
		r |= argv_add(a, "fd[%d]:%s", fd, m->external[i]);
	}
	for (size_t i = 0; i < m->n_mounts; i++) {
		_cleanup_free_ char *src = mount_source(&m->mounts[i], spec, bundle, cgroups, err);
		if (!src)
			return -err->code;
		char key[4096];
		cr_mount_key(m->mounts[i].mountpoint, key, sizeof(key));
		r |= argv_add(a, "--external");
		r |= argv_add(a, "mnt[%s]:%s", key, src);
	}
	return r ? oci_error_set(err, ENOMEM, "out of memory") : 0;
}

/* The namespaces the new config joins by path must be the ones the checkpoint left out. */
static size_t joined_ns(const struct oci_spec *spec, const struct cr_meta *m, struct core_ns *ns, size_t max,
			struct oci_error *err)
{
	int joined = 0;
	size_t n = 0;

	for (size_t i = 0; spec->linux_ && i < spec->linux_->n_namespaces; i++) {
		const struct oci_namespace *s = &spec->linux_->namespaces[i];
		if (!s->path)
			continue;
		joined |= s->type;
		if (n < max) {
			ns[n].type = s->type;
			ns[n].path = s->path;
			n++;
		}
	}
	if (joined != m->ns_joined) {
		oci_error_set(err, EINVAL,
			      "the bundle joins other namespaces by path (0x%x) than the checkpointed container did (0x%x): the image holds the container's own ones",
			      (unsigned)joined, (unsigned)m->ns_joined);
		return (size_t)-1;
	}
	return n;
}

static int read_pid(const char *path, pid_t *ret, struct oci_error *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	int pid;

	if (!f || fscanf(f, "%d", &pid) != 1 || pid <= 0)
		return oci_error_set(err, EIO, "the core did not report the restored init (%s)", path);
	*ret = pid;
	return 0;
}

static int save_state(struct restore_ctx_oci *c, const struct oci_spec *spec, const char *bundle, const char *rootfs,
		      const char *pid_file, struct oci_error *err)
{
	_cleanup_free_ char *path = container_file(c->id, "state.json");
	struct passwd *pw = getpwuid(getuid());
	struct oci_state s = { .id = (char *)c->id, .pid = c->pid, .pid_start = c->pid_start,
			       .bundle = (char *)bundle, .rootfs = (char *)rootfs, .owner = pw ? pw->pw_name : "",
			       .annotation_keys = spec->annotation_keys, .annotation_values = spec->annotation_values,
			       .cgroup_paths = c->cgroups };
	_cleanup_free_ char *created = oci_now_rfc3339(), *json = NULL;
	int r;

	s.created = created;
	for (size_t i = 0; spec->linux_ && i < spec->linux_->n_namespaces; i++)
		if (!spec->linux_->namespaces[i].path)
			s.namespaces |= spec->linux_->namespaces[i].type;
	if (!path || !created)
		return oci_error_set(err, ENOMEM, "out of memory");
	if ((r = oci_state_save(path, &s, err)) < 0)
		return r;
	if (pid_file && (r = write_pid_file(pid_file, c->pid, err)) < 0)
		return r;
	json = oci_state_json(&s, OCI_STATUS_RUNNING);
	if (!json)
		return oci_error_set(err, ENOMEM, "out of memory");
	if (oci_hooks_run(&spec->hooks[OCI_HOOK_PRESTART], "prestart", json, err) < 0 ||
	    oci_hooks_run(&spec->hooks[OCI_HOOK_CREATE_RUNTIME], "createRuntime", json, err) < 0)
		return -err->code;
	return 0;
}

static int check_terminal(const struct cr_meta *m, const struct restore_opts_oci *o, struct oci_error *err)
{
	if (m->terminal && !o->console_socket)
		return oci_error_set(err, EINVAL,
				     "the container had a terminal: restore needs --console-socket to hand its new one over");
	if (!m->terminal && o->console_socket)
		return oci_error_set(err, EINVAL, "--console-socket given, but the container had no terminal");
	return 0;
}

int container_restore(const char *id, const struct restore_opts_oci *o, int *ret_status, struct oci_error *err)
{
	_cleanup_spec_ struct oci_spec *spec = NULL;
	_cleanup_meta_ struct cr_meta *m = NULL;
	_cleanup_free_ char *image = NULL, *work = NULL, *bundle = NULL, *config = NULL, *rootfs = NULL,
			   *log = NULL, *pidfile = NULL, *why = NULL;
	_cleanup_close_ int console = -1, tty_slave = -1;
	struct restore_ctx_oci c = { .id = id };
	struct core_run run = { .restore = true };
	struct core_ns ns[8];
	sigset_t fg;
	int r;

	*ret_status = 0;
	if ((r = container_id_valid(id, err)) < 0)
		return r;
	image = realpath(o->image_path && *o->image_path ? o->image_path : "checkpoint", NULL);
	if (!image)
		return oci_error_set(err, errno, "image path %s: %s", o->image_path ? o->image_path : "checkpoint",
				     strerror(errno));
	if (o->work_path && *o->work_path && (r = mkdir_parents(o->work_path, 0700)) < 0)
		return oci_error_set(err, -r, "cannot create the work path %s: %s", o->work_path, strerror(-r));
	work = realpath(o->work_path && *o->work_path ? o->work_path : image, NULL);
	if (!work)
		return oci_error_set(err, errno, "work path %s: %s", o->work_path, strerror(errno));
	if ((r = cr_meta_load(image, &m, err)) < 0 || (r = check_terminal(m, o, err)) < 0)
		return r;
	bundle = realpath(o->bundle && *o->bundle ? o->bundle : ".", NULL);
	if (!bundle)
		return oci_error_set(err, errno, "bundle %s: %s", o->bundle ? o->bundle : ".", strerror(errno));
	if (asprintf(&config, "%s/config.json", bundle) < 0 || asprintf(&log, "%s/restore.log", work) < 0)
		return oci_error_set(err, ENOMEM, "out of memory");
	if (oci_spec_load(config, &spec, err) < 0)
		return -err->code;
	rootfs = bundle_path(bundle, spec->root_path);
	if (!rootfs)
		return oci_error_set(err, errno, "root.path %s: %s", spec->root_path, strerror(errno));
	run.n_ns = joined_ns(spec, m, ns, ARRAY_SIZE(ns), err);
	if (run.n_ns == (size_t)-1)
		return -err->code;
	run.ns = ns;

	if ((r = claim_id(&c, err)) < 0)
		return r;
	pidfile = container_file(id, "restore.pid");
	r = cgroups_create(spec->linux_ ? spec->linux_->cgroups_path : NULL, id, &c.cgroups, err);
	if (r >= 0)
		r = cgroups_apply(c.cgroups, spec->linux_ ? spec->linux_->resources : NULL, spec, err);
	if (r >= 0 && m->terminal) {
		console = console_connect(o->console_socket, err);
		r = console < 0 ? console : console_new(console, spec->process, &tty_slave, err);
	}
	if (r >= 0)
		r = restore_argv(&run.argv, m, spec, bundle, rootfs, c.cgroups, image, log, pidfile, o, tty_slave, err);
	if (r < 0)
		goto fail;
	run.cgroup_paths = c.cgroups;
	if (!o->detach)
		foreground_prepare(&fg);	/* subreaper, signals kept for the init */
	else if (!o->no_subreaper)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	log_info("restore %s: from %s with bundle %s", id, image, bundle);
	r = core_run(&run, err);
	if (r < 0) {
		why = core_log_errors(log);
		r = oci_error_set(err, EIO, "restore of container \"%s\" failed: %s (log: %s)", id,
				  why ? why : "the core stopped before logging an error (see its stderr)", log);
		goto fail;
	}
	if ((r = read_pid(pidfile, &c.pid, err)) < 0)
		goto fail;
	unlink(pidfile);
	c.pid_start = proc_start_time(c.pid, NULL);
	if ((r = save_state(&c, spec, bundle, rootfs, o->pid_file, err)) < 0)
		goto fail;
	log_info("restore %s: running, init %d", id, c.pid);
	argv_free(&run.argv);
	if (!o->detach) {
		_cleanup_state_ struct oci_state *s = NULL;
		struct oci_error derr = { 0 };

		*ret_status = foreground_wait(c.pid, &fg);
		if (container_load(id, &s, &derr) == 0)
			container_destroy(s, &derr);
	}
	strv_free(c.cgroups);
	return 0;
fail:
	argv_free(&run.argv);
	if (pidfile)
		unlink(pidfile);
	restore_undo(&c);
	strv_free(c.cgroups);
	return r;
}
