/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run = create + start; in the foreground cryo forwards signals and exits with the container's status. */
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "container.h"
#include "cryo.h"

static bool bundle_wants_terminal(const char *bundle)
{
	_cleanup_spec_ struct oci_spec *spec = NULL;
	_cleanup_free_ char *path = NULL;
	struct oci_error err = { 0 };

	if (asprintf(&path, "%s/config.json", bundle && *bundle ? bundle : ".") < 0 ||
	    oci_spec_load(path, &spec, &err) < 0)
		return false; /* create reports the problem */
	return spec->process && spec->process->terminal;
}

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
	struct tty_proxy tty = { .listen_fd = -1, .master = -1 };
	bool terminal = false;
	_cleanup_state_ struct oci_state *s = NULL;
	sigset_t set;
	pid_t pid;

	if (i < 0)
		return i == -2 ? 0 : 1;
	if (expect_args("run", argc - i, 1, 1) < 0)
		return 1;
	o.id = argv[i];
	if (!detach && !o.console_socket && bundle_wants_terminal(o.bundle)) {
		/* Like runc: cryo itself holds the terminal of a foreground container. */
		if (tty_proxy_listen(&tty, &err) < 0) {
			tty_proxy_close(&tty);
			return fail_oci(&err);
		}
		o.console_socket = tty.path;
		terminal = true;
	}
	if (!detach) {
		foreground_prepare(&set);
	}
	if (container_create(&o, &pid, &err) < 0) {
		tty_proxy_close(&tty);
		return fail_oci(&err);
	}
	if ((terminal && tty_proxy_accept(&tty, &err) < 0) || container_start(o.id, &err) < 0) {
		struct oci_error e2 = { 0 };
		tty_proxy_close(&tty);
		fail_oci(&err);
		if (container_load(o.id, &s, &e2) == 0)
			container_destroy(s, &e2);
		return 1;
	}
	if (detach)
		return 0;
	code = terminal ? tty_proxy_wait(&tty, pid, &set) : foreground_wait(pid, &set);
	tty_proxy_close(&tty);
	if (!keep && container_load(o.id, &s, &err) == 0)
		container_destroy(s, &err);
	return code;
}
