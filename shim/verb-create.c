/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "container.h"
#include "cryo.h"

int verb_create(int argc, char **argv)
{
	struct create_opts o = { 0 };
	struct oci_error err = { 0 };
	const struct opt opts[] = {
		{ "bundle|b", OPT_STRING, &o.bundle, "path to the bundle (default: current directory)" },
		{ "console-socket", OPT_STRING, &o.console_socket, "unix socket to receive the pty master" },
		{ "pid-file", OPT_STRING, &o.pid_file, "file to write the init's pid to" },
		{ "no-pivot", OPT_BOOL, &o.no_pivot, "use MS_MOVE + chroot instead of pivot_root" },
		{ "no-new-keyring", OPT_BOOL, &o.no_new_keyring, "do not create a new session keyring" },
		{ "preserve-fds", OPT_INT, &o.preserve_fds, "pass N extra fds (from 3) to the container" },
		{},
	};
	int i = opts_parse("create", "[options] CONTAINER_ID", argc, argv, opts);
	pid_t pid;

	if (i < 0)
		return i == -2 ? 0 : 1;
	if (expect_args("create", argc - i, 1, 1) < 0)
		return 1;
	o.id = argv[i];
	if (container_create(&o, &pid, &err) < 0)
		return fail_oci(&err);
	return 0;
}
