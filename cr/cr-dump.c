/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cryo-cr dump: CRIU's command line for checkpointing a process tree. */
#include <errno.h>
#include <stdint.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"
#include "cli.h"
#include "dump.h"
#include "fds.h"
#include "kerndat.h"
#include "log.h"
#include "mnt.h"
#include "netlock/netlock.h"

enum {
	OPT_LOG_FORMAT = 0x100,
	OPT_LEAVE_STOPPED,
	OPT_FREEZE_CGROUP,
	OPT_EXTERNAL,
	OPT_TCP_ESTABLISHED,
	OPT_EXT_UNIX_SK,
	OPT_UNSUPPORTED,
	OPT_MANAGE_CGROUPS,
	OPT_NETWORK_LOCK,
	OPT_GHOST_LIMIT,
	OPT_FILE_LOCKS,
};

/* CRIU options a user may pass that cryo does not implement yet: refused by name. */
static const char *const unsupported[] = {
	"tcp-close",
	"track-mem", "prev-images-dir", "page-server", "lazy-pages", "address", "port",
	"ext-mount-map", "link-remap", "evasive-devices",
	"inherit-fd", "cpu-cap", "auto-dedup", "skip-in-flight",
	"timeout", "empty-ns", "enable-fs", "enable-external-sharing",
	"enable-external-masters", "freeze-cgroup-timeout", "irmap-scan-path",
	"ext-masters", "orphan-pts-master", "skip-mnt", "force-irmap", "cgroup-root",
	"cgroup-props", "cgroup-props-file", "cgroup-dump-controller", "weak-sysctls",
	"lsm-profile", "tls", "tls-cacert", "tls-cert", "tls-key", "pre-dump-mode",
	"stream", "mntns-compat-mode", "unprivileged", "ghost-fiemap",
	"display-stats", "work-dir", "root", "config", "no-default-config",
	"status-fd", "pidfile", "exec-cmd", "action-script", "skip-file-rwx-check",
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cryo-cr dump -t PID -D DIR [OPTIONS]\n\n"
		"Checkpoint the process tree rooted at PID into the image directory DIR.\n"
		"After a successful dump the tree is killed unless -R or -s is given.\n\n"
		"  -t, --tree PID            root of the tree to dump\n"
		"  -D, --images-dir DIR      image directory (created if needed)\n"
		"  -o, --log-file FILE       log to FILE (default: stderr)\n"
		"  -v[N], --verbosity[=N]    log level 0-4 (-v alone: 4, like -vvvv)\n"
		"      --log-format FMT      text or binary (default: binary to a file)\n"
		"  -j, --shell-job           the tree may belong to a session led from outside it\n"
		"  -R, --leave-running       leave the tree running after the dump\n"
		"  -s, --leave-stopped       leave the tree stopped after the dump\n"
		"      --freeze-cgroup PATH  freeze the tree with this v1 freezer cgroup first\n"
		"      --external fd[KEY]    fds on file KEY (as /proc/PID/fd/N reads, e.g.\n"
		"                            pipe:[123]) are outside the dump: restore takes\n"
		"                            them from --inherit-fd fd[N]:KEY\n"
		"      --manage-cgroups[=MODE]  accepted (cgroups are always dumped; MODE is checked)\n"
		"      --external mnt[MOUNTPOINT]:KEY\n"
		"                            a mount of the tree's mount namespace that comes from\n"
		"                            outside it (a bind of a host path): restore maps KEY\n"
		"                            (mnt[KEY]:MOUNTPOINT is accepted too)\n"
		"      --network-lock MODE   nftables (default) or skip\n"
		"      --ghost-limit SIZE    max size of an unlinked open file or memfd kept in the\n"
		"                            image (bytes, or with K, M, G; default 1M)\n"
		"      --file-locks          dump flock, POSIX and OFD locks (else a tree holding\n"
		"                            locks is refused)\n"
		"      --tcp-established     dump established TCP connections (TCP_REPAIR); restore\n"
		"                            them with restore --tcp-established\n"
		"      --ext-unix-sk         unix datagram sockets connected to a bound socket outside\n"
		"                            the tree connect to that name again at restore\n"
		"  -h, --help                this text\n");
}

static int parse_verbosity(const char *arg, int *level)
{
	if (!arg) {
		*level = LOG_LVL_DEBUG;
		return 0;
	}
	if (arg[0] == 'v') {	/* -vvvv: getopt gives "vvv" as the argument */
		*level = 1 + (int)strlen(arg) + 1;
		if (*level > LOG_LVL_DEBUG)
			*level = LOG_LVL_DEBUG;
		return 0;
	}
	if (arg[0] < '0' || arg[0] > '4' || arg[1]) {
		fprintf(stderr, "cryo-cr dump: bad verbosity '%s' (0-4)\n", arg);
		return -EINVAL;
	}
	*level = arg[0] - '0';
	return 0;
}

/* SIZE: a number of bytes with an optional K, M or G (powers of 1024). */
static int parse_size(const char *arg, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!arg || arg[0] < '0' || arg[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno)
		return -EINVAL;
	unsigned shift = 0;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	default: return -EINVAL;
	}
	if (*end && end[1])
		return -EINVAL;
	if (v == 0 || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*ret = (uint64_t)v << shift;
	return 0;
}

/* --external mnt[MOUNTPOINT]:KEY (or mnt[KEY]:MOUNTPOINT); other kinds are refused by name. */
static int add_external(struct dump_opts *o, struct mnt_external **v, char *arg)
{
	struct mnt_external e;
	int r = mnt_parse_external_dump(arg, &e);

	if (r == 0) {
		fprintf(stderr, "cryo-cr dump: --external %s: only mnt[MOUNTPOINT]:KEY is supported at dump\n", arg);
		return -EINVAL;
	}
	if (r < 0) {
		fprintf(stderr, "cryo-cr dump: --external %s: expected mnt[MOUNTPOINT]:KEY\n", arg);
		return r;
	}
	struct mnt_external *nv = reallocarray(*v, o->n_mnt_ext + 1, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	nv[o->n_mnt_ext++] = e;
	*v = nv;
	o->mnt_ext = nv;
	return 0;
}

int cr_dump_main(int argc, char **argv)
{
	struct option *opts;
	static const struct option known[] = {
		{ "tree", required_argument, NULL, 't' },
		{ "images-dir", required_argument, NULL, 'D' },
		{ "log-file", required_argument, NULL, 'o' },
		{ "verbosity", optional_argument, NULL, 'v' },
		{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
		{ "shell-job", no_argument, NULL, 'j' },
		{ "leave-running", no_argument, NULL, 'R' },
		{ "leave-stopped", no_argument, NULL, 's' },
		{ "freeze-cgroup", required_argument, NULL, OPT_FREEZE_CGROUP },
		{ "external", required_argument, NULL, OPT_EXTERNAL },
		{ "manage-cgroups", optional_argument, NULL, OPT_MANAGE_CGROUPS },
		{ "network-lock", required_argument, NULL, OPT_NETWORK_LOCK },
		{ "ghost-limit", required_argument, NULL, OPT_GHOST_LIMIT },
		{ "file-locks", no_argument, NULL, OPT_FILE_LOCKS },
		{ "tcp-established", no_argument, NULL, OPT_TCP_ESTABLISHED },
		{ "ext-unix-sk", no_argument, NULL, OPT_EXT_UNIX_SK },
		{ "help", no_argument, NULL, 'h' },
	};
	struct dump_opts o = { .release = RELEASE_KILL, .network_lock = NETLOCK_MODE_NFTABLES };
	_cleanup_free_ struct mnt_external *mnt_ext = NULL;
	const char *log_file = NULL, *log_format = NULL;
	int level = LOG_LVL_WARN, c, idx, r;
	_cleanup_free_ const char **ext_fds = NULL;
	size_t nk = ARRAY_SIZE(known), nu = ARRAY_SIZE(unsupported);

	opts = calloc(nk + nu + 1, sizeof(*opts));
	if (!opts)
		return 1;
	memcpy(opts, known, sizeof(known));
	for (size_t i = 0; i < nu; i++)
		opts[nk + i] = (struct option){ unsupported[i], optional_argument, NULL, OPT_UNSUPPORTED };

	optind = 1;
	while ((c = getopt_long(argc, argv, "t:D:o:v::jRsh", opts, &idx)) != -1) {
		switch (c) {
		case 't': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v <= 0 || v > 0x7fffffff) {
				fprintf(stderr, "cryo-cr dump: bad pid '%s'\n", optarg);
				goto fail;
			}
			o.pid = (pid_t)v;
			break;
		}
		case 'D': o.dir = optarg; break;
		case 'o': log_file = optarg; break;
		case 'v':
			if (parse_verbosity(optarg, &level) < 0)
				goto fail;
			break;
		case OPT_LOG_FORMAT: log_format = optarg; break;
		case 'j': o.shell_job = true; break;
		case 'R': o.release = RELEASE_RUNNING; break;
		case 's': o.release = RELEASE_STOPPED; break;
		case OPT_FREEZE_CGROUP: o.freeze_cgroup = optarg; break;
		case OPT_EXTERNAL: {
			/* fd[KEY] (fd-inherit.c), else the mount forms (add_external) */
			const char *key, **n;
			int k = fd_external_parse(optarg, &key);
			if (k < 0)
				goto fail;
			if (k == 0) {
				if (add_external(&o, &mnt_ext, optarg) < 0)
					goto fail;
				break;
			}
			n = reallocarray(ext_fds, o.nr_external_fds + 1, sizeof(*n));
			if (!n)
				goto fail;
			ext_fds = n;
			ext_fds[o.nr_external_fds++] = key;
			o.external_fds = ext_fds;
			break;
		}
		case OPT_GHOST_LIMIT:
			if (parse_size(optarg, &o.ghost_limit) < 0) {
				fprintf(stderr, "cryo-cr dump: bad --ghost-limit '%s' (bytes, or a number with K, M or G)\n", optarg);
				goto fail;
			}
			break;
		case OPT_FILE_LOCKS: o.file_locks = true; break;
		case OPT_MANAGE_CGROUPS:
			/* cgroups are always dumped (cgroup.img); the mode matters at restore */
			if (optarg && cli_check_cgroup_mode("dump", optarg) < 0)
				goto fail;
			break;
		case OPT_NETWORK_LOCK:
			if (cli_parse_network_lock("dump", optarg, &o.network_lock) < 0)
				goto fail;
			break;
		case OPT_TCP_ESTABLISHED: o.tcp_established = true; break;
		case OPT_EXT_UNIX_SK: o.ext_unix_sk = true; break;
		case 'h':
			usage(stdout);
			free(opts);
			return 0;
		case OPT_UNSUPPORTED:
			fprintf(stderr, "cryo-cr dump: option --%s is not supported yet\n", opts[idx].name);
			goto fail;
		default:
			usage(stderr);
			goto fail;
		}
	}
	free(opts);
	opts = NULL;
	if (optind < argc) {
		fprintf(stderr, "cryo-cr dump: unexpected argument '%s'\n", argv[optind]);
		return 1;
	}
	if (!o.pid || !o.dir) {
		fprintf(stderr, "cryo-cr dump: -t PID and -D DIR are required\n");
		return 1;
	}
	char *log_path = cli_log_path(o.dir, log_file, &r);
	if (r < 0)
		return 1;
	/* log_setup_cli() reports bad log options itself. */
	r = log_setup_cli(log_path, log_format, level);
	free(log_path);
	if (r < 0)
		return 1;
	r = kerndat_init();
	if (r < 0)
		log_error_errno(r, "cannot probe kernel features");
	else
		r = cr_dump(&o);
	if (r < 0)
		log_error("dump of %d failed", o.pid);
	else
		log_info("dump of %d finished", o.pid);
	log_fini();
	if (r < 0 && log_file)
		fprintf(stderr, "cryo-cr dump: dump of %d failed; see %s\n", o.pid, log_file);
	return r < 0 ? 1 : 0;
fail:
	free(opts);
	return 1;
}

int cr_pre_dump_main(int argc, char **argv) { (void)argc; return verb_not_implemented("cryo-cr", argv[0]); }
int cr_page_server_main(int argc, char **argv) { (void)argc; return verb_not_implemented("cryo-cr", argv[0]); }
int cr_lazy_pages_main(int argc, char **argv) { (void)argc; return verb_not_implemented("cryo-cr", argv[0]); }
