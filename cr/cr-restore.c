/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cryo-cr restore -D DIR [-d] [--pidfile F] [--shell-job] [-o LOG] [-v4] [--log-format text|binary]
 *
 * CRIU's semantics: with -d cryo-cr exits once the tree runs (it is reparented);
 * without, cryo-cr waits for the root task and exits with its status.  Exit 0 on
 * success, 1 when the restore fails.  CRIU options cryo does not support yet are
 * rejected by name.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "fds.h"
#include "log.h"
#include "mnt.h"
#include "net.h"
#include "netlock/netlock.h"
#include "restore.h"

enum {
	OPT_PIDFILE = 0x100,
	OPT_LOG_FORMAT,
	OPT_INHERIT_FD,
	OPT_TCP_ESTABLISHED,
	OPT_EXT_UNIX_SK,
	OPT_UNSUPPORTED,
	OPT_KEEP_RLIMITS,
	OPT_MANAGE_CGROUPS,
	OPT_CGROUP_ROOT,
	OPT_EXTERNAL,
	OPT_ROOT,
	OPT_NETWORK_LOCK,
	OPT_SKIP_FILE_VALIDATION,
	OPT_FILE_LOCKS,
};

/* CRIU restore options that cryo-cr does not support yet. */
static const char *const unsupported[] = {
	"tcp-close", "lazy-pages",
	"restore-sibling",
	"link-remap", "evasive-devices", "auto-dedup", "cpu-cap", "weak-sysctls", "lsm-profile",
	"unprivileged", "veth-pair", "action-script", "work-dir", "exec-cmd", "page-server",
	"address", "port", "skip-mnt", "enable-fs", "enable-external-sharing",
	"enable-external-masters", "empty-ns", "tls", "tls-cacert", "tls-cert", "tls-key",
	"status-fd", "stream", "timeout", "mntns-compat-mode", "freeze-cgroup",
	"ext-mount-map", "lsm-mount-context", "pidfd-store", "check-only", "display-stats",
	NULL,
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: cryo-cr restore -D DIR [-d] [--pidfile FILE] [--shell-job] [-o LOG]\n"
		   "                      [-v[0-4]] [--log-format text|binary]\n\n"
		   "  -D, --images-dir DIR     image directory (read only)\n"
		   "  -d, --restore-detached   exit once the tree runs, instead of waiting for it\n"
		   "      --pidfile FILE       write the root task's pid to FILE\n"
		   "  -j, --shell-job          the tree belongs to the caller's terminal session\n"
		   "  -o, --log-file FILE      log to FILE\n"
		   "  -v[N]                    verbosity 0-4\n"
		   "      --log-format FMT     text or binary\n"
		   "      --inherit-fd fd[N]:KEY  our fd N stands for the file KEY the dump left out\n"
		   "                           (dump --external fd[KEY]); repeatable\n"
		   "      --manage-cgroups[=MODE]  none, props, soft (default), full, strict, ignore\n"
		   "      --cgroup-root [CONTROLLER:]PATH  the root task's cgroup is PATH on this host\n"
		   "      --root PATH          the host directory for the tree's root mount\n"
		   "      --external mnt[KEY]:PATH\n"
		   "                           the host path for the external mount KEY\n"
		   "      --external veth[IFNAME]:OUTER[@BRIDGE]\n"
		   "                           the outside end of veth IFNAME: its name, and a bridge\n"
		   "                           of ours it joins (or @NETNS: a namespace path or name)\n"
		   "      --network-lock MODE  nftables (default) or skip\n"
		   "      --keep-rlimits       a dumped resource limit above cryo-cr's hard limit keeps\n"
		   "                           the current one (with a warning) instead of failing\n"
		   "      --skip-file-validation  accept opened or mapped files that differ from\n"
		   "                           the dumped ones (size, mtime, digest or build-id)\n"
		   "      --file-locks         take the dumped file locks again (needed for an\n"
		   "                           image dumped with --file-locks)\n"

		   "      --tcp-established    restore the established TCP connections of the image\n"
		   "      --ext-unix-sk        accepted (CRIU): sockets connected outside the tree are\n"
		   "                           connected again by the name the image records\n");
}

static int write_pidfile(const char *path, pid_t pid)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return log_error_errno(negative_errno(), "cannot write %s", tmp);
	if (dprintf(fd, "%d", pid) < 0 || rename(tmp, path) < 0)
		return log_error_errno(negative_errno(), "cannot write %s", path);
	return 0;
}

static int wait_root(pid_t root)
{
	int st;
	while (waitpid(root, &st, 0) < 0)
		if (errno != EINTR)
			return log_error_errno(negative_errno(), "cannot wait for task %d", root), 1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

struct externals {
	struct mnt_external *mnt;
	struct net_external *veth;
};

/* --external mnt[KEY]:PATH or veth[IFNAME]:OUTER[@BRIDGE|@NETNS]. */
static int add_external(struct restore_opts *o, struct externals *x, char *arg)
{
	struct mnt_external m;
	struct net_external n;
	int r = mnt_parse_external(arg, &m);

	if (r > 0) {
		struct mnt_external *v = reallocarray(x->mnt, o->n_mnt_ext + 1, sizeof(*v));
		if (!v)
			return -ENOMEM;
		v[o->n_mnt_ext++] = m;
		o->mnt_ext = x->mnt = v;
		return 0;
	}
	if (r == 0)
		r = net_parse_external(arg, &n);
	if (r > 0) {
		struct net_external *v = reallocarray(x->veth, o->n_veth_ext + 1, sizeof(*v));
		if (!v)
			return -ENOMEM;
		v[o->n_veth_ext++] = n;
		o->veth_ext = x->veth = v;
		return 0;
	}
	if (r == 0)
		fprintf(stderr, "cryo-cr restore: --external %s: expected mnt[KEY]:PATH or veth[IFNAME]:OUTER[@BRIDGE]\n", arg);
	else
		fprintf(stderr, "cryo-cr restore: --external %s: malformed\n", arg);
	return -EINVAL;
}

int cr_restore_main(int argc, char **argv)
{
	struct restore_opts o = { .network_lock = NETLOCK_MODE_NFTABLES };
	struct externals ext = { 0 };
	const char *log_file = NULL, *log_format = NULL;
	int level = LOG_LVL_WARN;
	size_t n_unsup = 0;
	while (unsupported[n_unsup])
		n_unsup++;
	struct option *longopts = calloc(n_unsup + 20, sizeof(*longopts));
	if (!longopts)
		return 1;
	struct option known[] = {
		{ "images-dir", required_argument, NULL, 'D' },
		{ "restore-detached", no_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, OPT_PIDFILE },
		{ "shell-job", no_argument, NULL, 'j' },
		{ "log-file", required_argument, NULL, 'o' },
		{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
		{ "verbosity", optional_argument, NULL, 'v' },
		{ "inherit-fd", required_argument, NULL, OPT_INHERIT_FD },
		{ "manage-cgroups", optional_argument, NULL, OPT_MANAGE_CGROUPS },
		{ "cgroup-root", required_argument, NULL, OPT_CGROUP_ROOT },
		{ "help", no_argument, NULL, 'h' },
		{ "keep-rlimits", no_argument, NULL, OPT_KEEP_RLIMITS },
		{ "external", required_argument, NULL, OPT_EXTERNAL },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "network-lock", required_argument, NULL, OPT_NETWORK_LOCK },
		{ "skip-file-validation", no_argument, NULL, OPT_SKIP_FILE_VALIDATION },
		{ "file-locks", no_argument, NULL, OPT_FILE_LOCKS },
		{ "tcp-established", no_argument, NULL, OPT_TCP_ESTABLISHED },
		{ "ext-unix-sk", no_argument, NULL, OPT_EXT_UNIX_SK },
	};
	memcpy(longopts, known, sizeof(known));
	for (size_t i = 0; i < n_unsup; i++)
		longopts[ARRAY_SIZE(known) + i] =
			(struct option){ unsupported[i], optional_argument, NULL, OPT_UNSUPPORTED };

	int c, idx = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "D:djo:v::hW:", longopts, &idx)) != -1) {
		switch (c) {
		case 'D':
			o.dir = optarg;
			break;
		case 'd':
			o.detach = true;
			break;
		case 'j':
			o.shell_job = true;
			break;
		case OPT_SKIP_FILE_VALIDATION:
			o.skip_file_validation = true;
			break;
		case OPT_FILE_LOCKS:
			o.file_locks = true;
			break;
		case OPT_PIDFILE:
			o.pidfile = optarg;
			break;
		case OPT_KEEP_RLIMITS:
			o.keep_rlimits = true;
			break;
		case 'o':
			log_file = optarg;
			break;
		case 'v':
			/* -v alone or -vvvv: debug; -vN: level N. */
			if (!optarg || optarg[0] == 'v')
				level = LOG_LVL_DEBUG;
			else if (optarg[0] >= '0' && optarg[0] <= '4' && !optarg[1])
				level = optarg[0] - '0';
			else {
				fprintf(stderr, "cryo-cr restore: bad verbosity '%s' (0-4)\n", optarg);
				free(longopts);
				return 1;
			}
			break;
		case OPT_LOG_FORMAT:
			log_format = optarg;
			break;
		case OPT_INHERIT_FD: {
			struct fd_inherit *n = reallocarray(o.inherit, o.nr_inherit + 1, sizeof(*n));
			if (!n || fd_inherit_parse(optarg, &n[o.nr_inherit]) < 0) {
				free(n ? n : o.inherit);
				free(longopts);
				return 1;
			}
			o.inherit = n;
			o.nr_inherit++;
			break;
		}
		case OPT_MANAGE_CGROUPS:
			/* CRIU: without a mode, soft */
			o.manage_cgroups = optarg ? optarg : "soft";
			if (cli_check_cgroup_mode("restore", o.manage_cgroups) < 0) {
				free(longopts);
				return 1;
			}
			break;
		case OPT_EXTERNAL:
			if (add_external(&o, &ext, optarg) < 0) {
				free(longopts);
				return 1;
			}
			break;
		case OPT_CGROUP_ROOT:
			o.cgroup_root = optarg;
			break;
		case OPT_ROOT:
			o.root_path = optarg;
			break;
		case OPT_NETWORK_LOCK:
			if (cli_parse_network_lock("restore", optarg, &o.network_lock) < 0) {
				free(longopts);
				return 1;
			}
			break;
		case OPT_TCP_ESTABLISHED:
			o.tcp_established = true;
			break;
		case OPT_EXT_UNIX_SK:	/* nothing to do: the image names what to connect to */
			break;
		case 'h':
			usage(stdout);
			free(longopts);
			return 0;
		case OPT_UNSUPPORTED:
			fprintf(stderr, "cryo-cr restore: option --%s is not supported yet\n", longopts[idx].name);
			free(longopts);
			return 1;
		case 'W':
			fprintf(stderr, "cryo-cr restore: option -W (--work-dir) is not supported yet\n");
			free(longopts);
			return 1;
		default:
			if (optopt)
				fprintf(stderr, "cryo-cr restore: unknown or incomplete option '-%c'\n", optopt);
			else
				fprintf(stderr, "cryo-cr restore: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			free(longopts);
			return 1;
		}
		idx = -1;
	}
	free(longopts);
	if (optind < argc) {
		fprintf(stderr, "cryo-cr restore: unexpected argument '%s'\n", argv[optind]);
		return 1;
	}
	if (!o.dir) {
		fprintf(stderr, "cryo-cr restore: the image directory is required (-D DIR)\n");
		return 1;
	}
	/* Before the log file is opened: it must not sit at a task's fd number. */
	restore_fds_reserve(o.dir);
	/* Every number up to the tasks' highest is taken now: copies of the
	 * inherited fds land above them, out of the way of the tasks' own. */
	for (size_t i = 0; i < o.nr_inherit; i++) {
		int fd = fcntl(o.inherit[i].fd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0) {
			fprintf(stderr, "cryo-cr restore: --inherit-fd fd[%d]: %m\n", o.inherit[i].fd);
			return 1;
		}
		o.inherit[i].fd = fd;
	}
	/* The namespaces --external opened sit at low numbers: move them above,
	 * a placeholder takes their place. */
	for (size_t i = 0; i < o.n_veth_ext; i++)
		if (ext.veth[i].netns_fd >= 0) {
			int fd = fcntl(ext.veth[i].netns_fd, F_DUPFD_CLOEXEC, 3);
			int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (fd >= 0 && nul >= 0 && dup3(nul, ext.veth[i].netns_fd, O_CLOEXEC) >= 0)
				ext.veth[i].netns_fd = fd;
			else if (fd >= 0)
				close(fd);
			if (nul >= 0)
				close(nul);
		}
	o.log_to_stderr = !log_file || !strcmp(log_file, "-");
	int r;
	char *log_path = cli_log_path(o.dir, log_file, &r);
	if (r < 0)
		return 1;
	/* log_setup_cli() reports bad log options itself. */
	r = log_setup_cli(log_path, log_format, level);
	free(log_path);
	if (r < 0)
		return 1;

	pid_t root;
	r = restore_run(&o, &root);
	if (r < 0) {
		log_error("restore of %s failed", o.dir);
		log_fini();
		return 1;
	}
	log_info("restored tree with root %d", root);
	if (o.pidfile && write_pidfile(o.pidfile, root) < 0) {
		kill(root, SIGKILL);
		log_fini();
		return 1;
	}
	if (o.detach) {
		log_fini();
		return 0;
	}
	int st = wait_root(root);
	log_fini();
	return st;
}
