/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * checkpoint and restore with runc's options.  Every option runc has is
 * accepted by the parser (engines pass them, and probe them with --help);
 * the ones cryo does not implement are refused by name, never ignored.
 */
#include <string.h>
#include "cr-core.h"

struct cr_options {
	const char *image_path, *work_path, *parent_path, *page_server, *manage_cgroups_mode, *status_fd,
		*bundle, *console_socket, *pid_file, *lsm_profile, *lsm_mount_context;
	bool leave_running, tcp_established, ext_unix_sk, shell_job, lazy_pages, file_locks, pre_dump,
		auto_dedup, detach, no_subreaper, no_pivot;
	char **empty_ns;
};

struct refusal {
	const char *name;
	bool given;
	const char *why;
};

/* Log the first option given that cryo does not implement; -1 if any. */
static int refuse_unsupported(const char *verb, const struct refusal *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].given) {
			log_error("%s: option --%s is not supported by cryo: %s", verb, r[i].name, r[i].why);
			return -1;
		}
	return 0;
}

static bool cgroups_mode_unsupported(const char *mode)
{
	/* cryo makes the cgroups from the bundle if missing and leaves existing ones: runc's "soft". */
	return mode && strcmp(mode, "soft");
}

int verb_checkpoint(int argc, char **argv)
{
	struct cr_options o = { 0 };
	const struct opt opts[] = {
		{ "image-path", OPT_STRING, &o.image_path, "path for saving the image files (default ./checkpoint)" },
		{ "work-path", OPT_STRING, &o.work_path, "path for dump.log (default: the image path)" },
		{ "parent-path", OPT_STRING, &o.parent_path, "path of the previous image (pre-dump): not supported" },
		{ "leave-running", OPT_BOOL, &o.leave_running, "leave the container running after checkpoint" },
		{ "tcp-established", OPT_BOOL, &o.tcp_established, "checkpoint established tcp connections" },
		{ "ext-unix-sk", OPT_BOOL, &o.ext_unix_sk, "allow external unix sockets (datagram, connected to a bound name)" },
		{ "shell-job", OPT_BOOL, &o.shell_job, "allow shell jobs (a terminal on stdio)" },
		{ "lazy-pages", OPT_BOOL, &o.lazy_pages, "lazy memory pages with userfaultfd: not supported" },
		{ "status-fd", OPT_STRING, &o.status_fd, "fd for lazy-pages readiness: not supported" },
		{ "page-server", OPT_STRING, &o.page_server, "ADDRESS:PORT of a page server: not supported" },
		{ "file-locks", OPT_BOOL, &o.file_locks, "checkpoint file locks (flock, POSIX, OFD)" },
		{ "pre-dump", OPT_BOOL, &o.pre_dump, "dump memory only, leave running: not supported" },
		{ "manage-cgroups-mode", OPT_STRING, &o.manage_cgroups_mode, "soft (the only mode cryo has)" },
		{ "empty-ns", OPT_LIST, &o.empty_ns, "namespace to leave empty on restore: not supported" },
		{ "auto-dedup", OPT_BOOL, &o.auto_dedup, "deduplicate against the parent image: not supported" },
		{},
	};
	int i = opts_parse("checkpoint", "[options] CONTAINER_ID", argc, argv, opts);
	const struct refusal refused[] = {
		{ "parent-path", o.parent_path != NULL, "pre-dumps are not implemented" },
		{ "pre-dump", o.pre_dump, "pre-dumps are not implemented" },
		{ "lazy-pages", o.lazy_pages, "lazy pages are not implemented" },
		{ "status-fd", o.status_fd != NULL, "it belongs to --lazy-pages, which is not implemented" },
		{ "page-server", o.page_server != NULL, "no page server yet" },
		{ "empty-ns", o.empty_ns != NULL, "every namespace the container owns is checkpointed" },
		{ "auto-dedup", o.auto_dedup, "it belongs to pre-dumps, which are not implemented" },
		{ "manage-cgroups-mode", cgroups_mode_unsupported(o.manage_cgroups_mode),
		  "only \"soft\" (cgroups come from the bundle at restore)" },
	};
	struct checkpoint_opts co;
	struct oci_error err = { 0 };
	int code = 1;

	if (i < 0) {
		code = i == -2 ? 0 : 1;
		goto out;
	}
	if (expect_args("checkpoint", argc - i, 1, 1) < 0 ||
	    refuse_unsupported("checkpoint", refused, ARRAY_SIZE(refused)) < 0)
		goto out;
	co = (struct checkpoint_opts){ .image_path = o.image_path, .work_path = o.work_path,
				       .leave_running = o.leave_running, .shell_job = o.shell_job,
				       .tcp_established = o.tcp_established, .file_locks = o.file_locks,
				       .ext_unix_sk = o.ext_unix_sk };
	code = container_checkpoint(argv[i], &co, &err) < 0 ? fail_oci(&err) : 0;
out:
	strv_free(o.empty_ns);
	return code;
}

int verb_restore(int argc, char **argv)
{
	struct cr_options o = { 0 };
	const struct opt opts[] = {
		{ "image-path", OPT_STRING, &o.image_path, "path to the image files (default ./checkpoint)" },
		{ "work-path", OPT_STRING, &o.work_path, "path for restore.log (default: the image path)" },
		{ "tcp-established", OPT_BOOL, &o.tcp_established, "restore established tcp connections" },
		{ "ext-unix-sk", OPT_BOOL, &o.ext_unix_sk, "allow external unix sockets (datagram, connected to a bound name)" },
		{ "shell-job", OPT_BOOL, &o.shell_job, "allow shell jobs (a terminal on stdio)" },
		{ "file-locks", OPT_BOOL, &o.file_locks, "restore file locks" },
		{ "manage-cgroups-mode", OPT_STRING, &o.manage_cgroups_mode, "soft (the only mode cryo has)" },
		{ "bundle|b", OPT_STRING, &o.bundle, "path to the bundle (default: current directory)" },
		{ "detach|d", OPT_BOOL, &o.detach, "return once the container runs" },
		{ "pid-file", OPT_STRING, &o.pid_file, "file to write the restored init's pid to" },
		{ "console-socket", OPT_STRING, &o.console_socket, "unix socket to receive the new pty master" },
		{ "no-subreaper", OPT_BOOL, &o.no_subreaper, "do not become a subreaper (with --detach)" },
		{ "no-pivot", OPT_BOOL, &o.no_pivot, "do not use pivot_root: not supported" },
		{ "empty-ns", OPT_LIST, &o.empty_ns, "create an empty namespace of this type: not supported" },
		{ "auto-dedup", OPT_BOOL, &o.auto_dedup, "deduplicate memory: not supported" },
		{ "lazy-pages", OPT_BOOL, &o.lazy_pages, "restore memory lazily with userfaultfd: not supported" },
		{ "lsm-profile", OPT_STRING, &o.lsm_profile, "LSM profile for the restored process: not supported" },
		{ "lsm-mount-context", OPT_STRING, &o.lsm_mount_context, "LSM mount context: not supported" },
		{},
	};
	int i = opts_parse("restore", "[options] CONTAINER_ID", argc, argv, opts);
	const struct refusal refused[] = {
		{ "no-pivot", o.no_pivot, "the core always enters the rootfs with pivot_root" },
		{ "empty-ns", o.empty_ns != NULL, "every namespace in the image is restored" },
		{ "auto-dedup", o.auto_dedup, "it belongs to pre-dumps, which are not implemented" },
		{ "lazy-pages", o.lazy_pages, "lazy pages are not implemented" },
		{ "lsm-profile", o.lsm_profile && *o.lsm_profile, "AppArmor and SELinux are not enabled in cryo" },
		{ "lsm-mount-context", o.lsm_mount_context && *o.lsm_mount_context,
		  "AppArmor and SELinux are not enabled in cryo" },
		{ "manage-cgroups-mode", cgroups_mode_unsupported(o.manage_cgroups_mode),
		  "only \"soft\" (cgroups come from the bundle)" },
	};
	struct restore_opts_oci ro;
	struct oci_error err = { 0 };
	int code = 1, status = 0;

	if (i < 0) {
		code = i == -2 ? 0 : 1;
		goto out;
	}
	if (expect_args("restore", argc - i, 1, 1) < 0 || refuse_unsupported("restore", refused, ARRAY_SIZE(refused)) < 0)
		goto out;
	ro = (struct restore_opts_oci){ .image_path = o.image_path, .work_path = o.work_path, .bundle = o.bundle,
					.pid_file = o.pid_file, .console_socket = o.console_socket,
					.detach = o.detach, .no_subreaper = o.no_subreaper, .shell_job = o.shell_job,
					.tcp_established = o.tcp_established, .file_locks = o.file_locks,
					.ext_unix_sk = o.ext_unix_sk };
	code = container_restore(argv[i], &ro, &status, &err) < 0 ? fail_oci(&err) : status;
out:
	strv_free(o.empty_ns);
	return code;
}
