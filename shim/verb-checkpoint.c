/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * checkpoint and restore: the options are runc's (engines probe them with
 * --help); the work itself arrives with the C/R core.
 */
#include "cryo.h"

struct cr_options {
	const char *image_path, *work_path, *parent_path, *page_server, *manage_cgroups_mode, *status_fd,
		*bundle, *console_socket, *pid_file, *lsm_profile, *lsm_mount_context;
	bool leave_running, tcp_established, ext_unix_sk, shell_job, lazy_pages, file_locks, pre_dump,
		auto_dedup, detach, no_subreaper, no_pivot;
	char **empty_ns;
};

static int not_implemented(const char *verb, int argc, char **argv, const struct opt *opts, const char *usage)
{
	int i = opts_parse(verb, usage, argc, argv, opts);

	if (i < 0)
		return i == -2 ? 0 : 1;
	log_error("%s is not implemented yet", verb);
	return 1;
}

int verb_checkpoint(int argc, char **argv)
{
	struct cr_options o = { 0 };
	const struct opt opts[] = {
		{ "image-path", OPT_STRING, &o.image_path, "path for saving the image files" },
		{ "work-path", OPT_STRING, &o.work_path, "path for saving work files and logs" },
		{ "parent-path", OPT_STRING, &o.parent_path, "path of the previous image (pre-dump)" },
		{ "leave-running", OPT_BOOL, &o.leave_running, "leave the container running after checkpoint" },
		{ "tcp-established", OPT_BOOL, &o.tcp_established, "allow open tcp connections" },
		{ "ext-unix-sk", OPT_BOOL, &o.ext_unix_sk, "allow external unix sockets" },
		{ "shell-job", OPT_BOOL, &o.shell_job, "allow shell jobs" },
		{ "lazy-pages", OPT_BOOL, &o.lazy_pages, "use userfaultfd to lazily restore memory pages" },
		{ "status-fd", OPT_STRING, &o.status_fd, "fd to report lazy-pages readiness on" },
		{ "page-server", OPT_STRING, &o.page_server, "ADDRESS:PORT of the page server" },
		{ "file-locks", OPT_BOOL, &o.file_locks, "handle file locks" },
		{ "pre-dump", OPT_BOOL, &o.pre_dump, "dump memory only, leave the container running" },
		{ "manage-cgroups-mode", OPT_STRING, &o.manage_cgroups_mode, "soft, full, strict or ignore" },
		{ "empty-ns", OPT_LIST, &o.empty_ns, "create an empty namespace of this type on restore" },
		{ "auto-dedup", OPT_BOOL, &o.auto_dedup, "deduplicate memory against the parent image" },
		{},
	};

	return not_implemented("checkpoint", argc, argv, opts, "[options] CONTAINER_ID");
}

int verb_restore(int argc, char **argv)
{
	struct cr_options o = { 0 };
	const struct opt opts[] = {
		{ "image-path", OPT_STRING, &o.image_path, "path to the image files" },
		{ "work-path", OPT_STRING, &o.work_path, "path for work files and logs" },
		{ "tcp-established", OPT_BOOL, &o.tcp_established, "allow open tcp connections" },
		{ "ext-unix-sk", OPT_BOOL, &o.ext_unix_sk, "allow external unix sockets" },
		{ "shell-job", OPT_BOOL, &o.shell_job, "allow shell jobs" },
		{ "file-locks", OPT_BOOL, &o.file_locks, "handle file locks" },
		{ "manage-cgroups-mode", OPT_STRING, &o.manage_cgroups_mode, "soft, full, strict or ignore" },
		{ "bundle|b", OPT_STRING, &o.bundle, "path to the bundle" },
		{ "detach|d", OPT_BOOL, &o.detach, "detach from the container's process" },
		{ "pid-file", OPT_STRING, &o.pid_file, "file to write the init's pid to" },
		{ "console-socket", OPT_STRING, &o.console_socket, "unix socket to receive the pty master" },
		{ "no-subreaper", OPT_BOOL, &o.no_subreaper, "do not become a subreaper" },
		{ "no-pivot", OPT_BOOL, &o.no_pivot, "do not use pivot_root" },
		{ "empty-ns", OPT_LIST, &o.empty_ns, "create an empty namespace of this type" },
		{ "auto-dedup", OPT_BOOL, &o.auto_dedup, "deduplicate memory" },
		{ "lazy-pages", OPT_BOOL, &o.lazy_pages, "restore memory lazily with userfaultfd" },
		{ "lsm-profile", OPT_STRING, &o.lsm_profile, "LSM profile for the restored process" },
		{ "lsm-mount-context", OPT_STRING, &o.lsm_mount_context, "LSM mount context" },
		{},
	};

	return not_implemented("restore", argc, argv, opts, "[options] CONTAINER_ID");
}
