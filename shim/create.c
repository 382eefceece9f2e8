/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * "create", the runtime side: check the bundle, claim ROOT/ID, make cgroups
 * and the exec FIFO, fork the init (init.c) and serve its requests (id maps,
 * createRuntime hooks) until it reports ready, then persist the state.  Any
 * failure undoes everything: no cgroup, process or state dir is left behind.
 */
#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "container.h"
#include "cryo.h"
#include "init.h"
#include "oci/hooks.h"

static int write_id_map(pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n,
			struct oci_error *err)
{
	char path[64], buf[4096];
	size_t len = 0;
	_cleanup_close_ int fd = -1;

	for (size_t i = 0; i < n && len < sizeof(buf) - 64; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", m[i].container_id,
					m[i].host_id, m[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		return oci_error_set(err, errno, "cannot write %s: %s", path, strerror(errno));
	return 0;
}

static int build_state(const struct create_opts *o, const struct oci_spec *spec, const char *bundle,
		       const char *rootfs, char **cgroup_paths, struct oci_state *s)
{
	struct passwd *pw = getpwuid(getuid());

	s->id = strdup(o->id);
	s->bundle = strdup(bundle);
	s->rootfs = strdup(rootfs);
	s->created = oci_now_rfc3339();
	s->owner = strdup(pw ? pw->pw_name : "");
	s->annotation_keys = spec->annotation_keys;
	s->annotation_values = spec->annotation_values;
	s->cgroup_paths = cgroup_paths;
	for (size_t i = 0; spec->linux_ && i < spec->linux_->n_namespaces; i++)
		if (!spec->linux_->namespaces[i].path)
			s->namespaces |= spec->linux_->namespaces[i].type;
	return s->id && s->bundle && s->rootfs && s->created && s->owner ? 0 : -ENOMEM;
}

/* Serve the init's requests until it is ready or fails. */
static int serve_init(int sock, pid_t stage1, const struct oci_spec *spec, struct oci_state *st,
		      struct oci_error *err)
{
	struct sync_msg m;
	int r;

	for (;;) {
		r = sync_recv(sock, &m);
		if (r < 0)
			return oci_error_set(err, EPIPE, "the container init died during setup");
		switch (m.type) {
		case SYNC_USERMAP:
			if (write_id_map(stage1, "uid_map", spec->linux_->uid_mappings,
					 spec->linux_->n_uid_mappings, err) < 0 ||
			    write_id_map(stage1, "gid_map", spec->linux_->gid_mappings,
					 spec->linux_->n_gid_mappings, err) < 0)
				return -err->code;
			sync_send(sock, SYNC_OK, 0, NULL);
			break;
		case SYNC_PID:
			log_debug("create %s: init is pid %d", st->id, m.value);
			st->pid = m.value;
			st->pid_start = proc_start_time(m.value, NULL);
			break;
		case SYNC_HOOKS: {
			_cleanup_free_ char *json = oci_state_json(st, OCI_STATUS_CREATING);
			if (!json)
				return oci_error_set(err, ENOMEM, "out of memory");
			if (oci_hooks_run(&spec->hooks[OCI_HOOK_PRESTART], "prestart", json, err) < 0 ||
			    oci_hooks_run(&spec->hooks[OCI_HOOK_CREATE_RUNTIME], "createRuntime", json, err) < 0)
				return -err->code;
			sync_send(sock, SYNC_OK, 0, json);
			break;
		}
		case SYNC_READY:
			log_debug("create %s: init ready, waiting for start", st->id);
			return 0;
		case SYNC_ERROR:
			return oci_error_set(err, m.value, "%s", m.text);
		default:
			return oci_error_set(err, EPROTO, "unexpected message %d from the container init", m.type);
		}
	}
}

/* Is the container's namespace of this kind its own (new, or joined and not ours)? */
static bool has_own_namespace(const struct oci_spec *spec, int flag)
{
	const struct oci_namespace *ns = oci_spec_namespace(spec, flag);
	char ours[64];
	struct stat a, b;

	if (!ns)
		return false;
	if (!ns->path)
		return true;
	snprintf(ours, sizeof(ours), "/proc/self/ns/%s", oci_namespace_proc_name(flag));
	return stat(ns->path, &a) < 0 || stat(ours, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev;
}

/* A sysctl must belong to a namespace the container has, or it would change the host's. */
static int check_sysctls(const struct oci_spec *spec, struct oci_error *err)
{
	static const struct {
		const char *prefix;
		int ns;
	} allowed[] = {
		{ "net.", CLONE_NEWNET }, { "kernel.shm", CLONE_NEWIPC }, { "kernel.msg", CLONE_NEWIPC },
		{ "kernel.sem", CLONE_NEWIPC }, { "fs.mqueue.", CLONE_NEWIPC }, { "kernel.hostname", CLONE_NEWUTS },
		{ "kernel.domainname", CLONE_NEWUTS },
	};

	for (size_t i = 0; spec->linux_ && spec->linux_->sysctl_keys && spec->linux_->sysctl_keys[i]; i++) {
		const char *key = spec->linux_->sysctl_keys[i];
		size_t j;

		for (j = 0; j < ARRAY_SIZE(allowed); j++)
			if (!strncmp(key, allowed[j].prefix, strlen(allowed[j].prefix)))
				break;
		if (j == ARRAY_SIZE(allowed))
			return oci_error_set(err, EINVAL, "linux.sysctl: %s is not namespaced and would change the host", key);
		if (!has_own_namespace(spec, allowed[j].ns))
			return oci_error_set(err, EINVAL, "linux.sysctl: %s needs the container's own %s namespace", key,
					     oci_namespace_proc_name(allowed[j].ns));
	}
	return 0;
}

static int check_spec(const struct oci_spec *spec, const struct create_opts *o, struct oci_error *err)
{
	if (!spec->process)
		return oci_error_set(err, EINVAL, "config.json: process: required field missing");
	if (!spec->process->args || !spec->process->args[0])
		return oci_error_set(err, EINVAL, "config.json: process.args must not be empty");
	if (!spec->root_path)
		return oci_error_set(err, EINVAL, "config.json: root.path: required field missing");
	if (spec->process->terminal && !o->console_socket)
		return oci_error_set(err, EINVAL, "process.terminal is true: --console-socket is required");
	if (!spec->process->terminal && o->console_socket)
		return oci_error_set(err, EINVAL, "--console-socket given but process.terminal is false");
	if (spec->process->apparmor_profile && *spec->process->apparmor_profile)
		log_warn("apparmorProfile \"%s\" ignored: AppArmor is not enabled", spec->process->apparmor_profile);
	if (spec->process->selinux_label && *spec->process->selinux_label)
		log_warn("selinuxLabel ignored: SELinux is not enabled");
	if (check_sysctls(spec, err) < 0)
		return -err->code;
	if (spec->linux_ && spec->linux_->seccomp && seccomp_check_profile(spec->linux_->seccomp, err) < 0)
		return oci_error_prefix(err, "linux.seccomp");
	if (spec->linux_ && (spec->linux_->n_uid_mappings || spec->linux_->n_gid_mappings) &&
	    !oci_spec_namespace(spec, CLONE_NEWUSER))
		return oci_error_set(err, EINVAL, "uidMappings/gidMappings need a user namespace");
	if (oci_spec_namespace(spec, CLONE_NEWUSER) && !oci_spec_namespace(spec, CLONE_NEWUSER)->path &&
	    (!spec->linux_->n_uid_mappings || !spec->linux_->n_gid_mappings))
		return oci_error_set(err, EINVAL, "a new user namespace needs uidMappings and gidMappings");
	return 0;
}

struct create_ctx {
	const char *id;
	bool dir_made;
	char **cgroups;
	pid_t init_pid;
	uint64_t init_start;
};

static void create_undo(struct create_ctx *c)
{
	if (c->init_pid > 0) {
		kill(c->init_pid, SIGKILL);
		wait_pid_gone(c->init_pid, c->init_start, 2000);
	}
	if (c->cgroups)
		cgroups_destroy(c->cgroups);
	if (c->dir_made)
		container_remove_dir(c->id);
}

int container_create(const struct create_opts *o, pid_t *ret_pid, struct oci_error *err)
{
	_cleanup_spec_ struct oci_spec *spec = NULL;
	_cleanup_free_ char *bundle = NULL, *config = NULL, *rootfs = NULL, *dir = NULL, *fifo = NULL,
			   *state_path = NULL;
	_cleanup_close_ int console = -1;
	struct create_ctx c = { .id = o->id };
	struct oci_state st = { 0 };
	int sk[2] = { -1, -1 }, r, status;
	pid_t stage1;

	if ((r = container_id_valid(o->id, err)) < 0)
		return r;
	bundle = realpath(o->bundle && *o->bundle ? o->bundle : ".", NULL);
	if (!bundle)
		return oci_error_set(err, errno, "bundle %s: %s", o->bundle ? o->bundle : ".", strerror(errno));
	if (asprintf(&config, "%s/config.json", bundle) < 0)
		return oci_error_set(err, ENOMEM, "out of memory");
	if (oci_spec_load(config, &spec, err) < 0)
		return -err->code;
	if ((r = check_spec(spec, o, err)) < 0)
		return r;
	if (spec->root_path[0] == '/')
		rootfs = realpath(spec->root_path, NULL);
	else {
		_cleanup_free_ char *joined = NULL;
		if (asprintf(&joined, "%s/%s", bundle, spec->root_path) < 0)
			return oci_error_set(err, ENOMEM, "out of memory");
		rootfs = realpath(joined, NULL);
	}
	if (!rootfs)
		return oci_error_set(err, errno, "root.path %s: %s", spec->root_path, strerror(errno));

	if ((r = mkdir_parents(cryo_globals.root, 0711)) < 0)
		return oci_error_set(err, -r, "cannot create state root %s: %s", cryo_globals.root, strerror(-r));
	dir = container_dir(o->id);
	log_debug("create %s: bundle %s, rootfs %s", o->id, bundle, rootfs);
	if (mkdir(dir, 0711) < 0) {
		if (errno == EEXIST)
			return oci_error_set(err, EEXIST, "container \"%s\" already exists", o->id);
		return oci_error_set(err, errno, "cannot create %s: %s", dir, strerror(errno));
	}
	c.dir_made = true;
	fifo = container_file(o->id, "exec.fifo");
	state_path = container_file(o->id, "state.json");
	if (mkfifo(fifo, 0600) < 0) {
		r = oci_error_set(err, errno, "cannot create %s: %s", fifo, strerror(errno));
		goto fail;
	}
	r = cgroups_create(spec->linux_ ? spec->linux_->cgroups_path : NULL, o->id, &c.cgroups, err);
	if (r < 0)
		goto fail;
	for (size_t i = 0; c.cgroups && c.cgroups[i]; i++)
		log_debug("create %s: cgroup %s", o->id, c.cgroups[i]);
	r = cgroups_apply(c.cgroups, spec->linux_ ? spec->linux_->resources : NULL, spec, err);
	if (r < 0)
		goto fail;
	if (o->console_socket) {
		console = console_connect(o->console_socket, err);
		if (console < 0) {
			r = console;
			goto fail;
		}
	}
	if (build_state(o, spec, bundle, rootfs, c.cgroups, &st) < 0) {
		r = oci_error_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sk) < 0) {
		r = oci_error_set(err, errno, "socketpair: %s", strerror(errno));
		goto fail;
	}
	{
		struct init_args a = { .spec = spec, .opts = o, .rootfs = rootfs, .fifo = fifo,
				       .sync_fd = sk[1], .console_fd = console, .cgroup_paths = c.cgroups };
		fflush(NULL);
		stage1 = fork();
		if (stage1 < 0) {
			r = oci_error_set(err, errno, "fork: %s", strerror(errno));
			goto fail;
		}
		if (stage1 == 0) {
			close(sk[0]);
			init_stage1(&a);
		}
	}
	close(sk[1]);
	sk[1] = -1;
	r = cgroups_enter(c.cgroups, stage1, err);
	if (r == 0)
		sync_send(sk[0], SYNC_GO, 0, NULL);
	if (r == 0)
		r = serve_init(sk[0], stage1, spec, &st, err);
	c.init_pid = st.pid;
	c.init_start = st.pid_start;
	if (r < 0)
		kill(stage1, SIGKILL);
	waitpid(stage1, &status, 0);
	if (r < 0)
		goto fail;
	if (oci_state_save(state_path, &st, err) < 0 ||
	    (o->pid_file && write_pid_file(o->pid_file, st.pid, err) < 0)) {
		r = -err->code;
		goto fail;
	}
	*ret_pid = st.pid;
	r = 0;
	goto out;
fail:
	create_undo(&c);
out:
	if (sk[0] >= 0)
		close(sk[0]);
	if (sk[1] >= 0)
		close(sk[1]);
	free(st.id);
	free(st.bundle);
	free(st.rootfs);
	free(st.created);
	free(st.owner);
	strv_free(c.cgroups);
	return r;
}
