/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run = create + start; in the foreground cryo forwards signals and exits with the container's status. */
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "container.h"
#include "cryo.h"

int verb_run(int argc, char **argv)
{
	struct create_opts o = { 0 };
	struct oci_error err = { 0 };
	bool detach = false, keep = false, no_subreaper = false;
	const struct opt opts[] = {
		{ "bundle|b", OPT_STRING, &o.bundle, "path to the bundle (default: current directory)" },
		{ "console-socket", OPT_STRING, &o.console_socket, "unix socket to receive the pty master" },
		{ "pid-file", OPT_STRING, &o.pid_file, "file to write the init's pid to" },
		{ "detach|d", OPT_BOOL, &detach, "do not wait for the container to exit" },
		{ "keep", OPT_BOOL, &keep, "do not delete the container after it exits" },
		{ "no-pivot", OPT_BOOL, &o.no_pivot, "use MS_MOVE + chroot instead of pivot_root" },
		{ "no-new-keyring", OPT_BOOL, &o.no_new_keyring, "do not create a new session keyring" },
		{ "no-subreaper", OPT_BOOL, &no_subreaper, "accepted for runc compatibility" },
		{ "preserve-fds", OPT_INT, &o.preserve_fds, "pass N extra fds (from 3) to the container" },
		{},
	};
	int i = opts_parse("run", "[options] CONTAINER_ID", argc, argv, opts), code;
	_cleanup_state_ struct oci_state *s = NULL;
	sigset_t set;
	pid_t pid;

	if (i < 0)
		return i == -2 ? 0 : 1;
	if (expect_args("run", argc - i, 1, 1) < 0)
		return 1;
	o.id = argv[i];
	if (!detach) {
		foreground_prepare(&set);
	}
	if (container_create(&o, &pid, &err) < 0)
		return fail_oci(&err);
	if (container_start(o.id, &err) < 0) {
		struct oci_error e2 = { 0 };
		fail_oci(&err);
		if (container_load(o.id, &s, &e2) == 0)
			container_destroy(s, &e2);
		return 1;
	}
	if (detach)
		return 0;
	code = foreground_wait(pid, &set);
	if (!keep && container_load(o.id, &s, &err) == 0)
		container_destroy(s, &err);
	return code;
}
