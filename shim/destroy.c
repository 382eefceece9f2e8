/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Starting a created container, and tearing a container down. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include "container.h"
#include "cryo.h"
#include "oci/hooks.h"

int container_start(const char *id, struct oci_error *err)
{
	_cleanup_state_ struct oci_state *s = NULL;
	_cleanup_spec_ struct oci_spec *spec = NULL;
	_cleanup_free_ char *fifo = NULL, *json = NULL;
	_cleanup_close_ int fd = -1;
	enum oci_status st;

	if (container_load(id, &s, err) < 0)
		return -err->code;
	st = container_status(s);
	if (st != OCI_STATUS_CREATED)
		return oci_error_set(err, EINVAL, "cannot start container \"%s\": it is %s, not created", id,
				     oci_status_name(st));
	fifo = container_file(id, "exec.fifo");
	/* The init holds the FIFO open for reading; without it open fails with ENXIO. */
	fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return oci_error_set(err, errno, "cannot start container \"%s\": its init is not waiting (%s)", id,
				     strerror(errno));
	if (write(fd, "s", 1) != 1)
		return oci_error_set(err, errno, "cannot start container \"%s\": %s", id, strerror(errno));
	unlink(fifo);
	log_debug("start %s: init %d released", id, s->pid);
	if (container_load_spec(s, &spec, err) < 0)
		return 0; /* started; the bundle went away, so no poststart hooks to run */
	json = oci_state_json(s, OCI_STATUS_RUNNING);
	if (json && oci_hooks_run(&spec->hooks[OCI_HOOK_POSTSTART], "poststart", json, err) < 0)
		log_warn("%s", err->msg); /* the spec says poststart failures are only logged */
	return 0;
}

int container_destroy(const struct oci_state *s, struct oci_error *err)
{
	_cleanup_spec_ struct oci_spec *spec = NULL;
	_cleanup_free_ char *json = NULL;
	struct oci_error herr = { 0 };

	(void)err;
	log_debug("delete %s: killing init %d and its cgroup", s->id, s->pid);
	if (cgroups_frozen(s->cgroup_paths)) {
		container_signal_all(s, SIGKILL);
		cgroups_freeze(s->cgroup_paths, false, &herr);
	}
	for (int i = 0; i < 3; i++) {
		container_signal_all(s, SIGKILL);
		if (wait_pid_gone(s->pid, s->pid_start, 1000) == 0)
			break;
	}
	/* Processes without a pid namespace of their own outlive the init: kill the rest. */
	for (int i = 0; i < 50; i++) {
		_cleanup_free_ pid_t *pids = NULL;
		if (cgroups_pids(s->cgroup_paths, &pids) <= 0)
			break;
		container_signal_all(s, SIGKILL);
		usleep(20000);
	}
	cgroups_destroy(s->cgroup_paths);
	if (container_load_spec(s, &spec, &herr) == 0) {
		json = oci_state_json(s, OCI_STATUS_STOPPED);
		if (json && oci_hooks_run(&spec->hooks[OCI_HOOK_POSTSTOP], "poststop", json, &herr) < 0)
			log_warn("%s", herr.msg);
	}
	container_remove_dir(s->id);
	return 0;
}
