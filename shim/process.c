/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The last steps before execve, shared by the init and exec: rlimits, user, caps, seccomp, exec. */
#include <grp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "container.h"

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_CPU", RLIMIT_CPU }, { "RLIMIT_FSIZE", RLIMIT_FSIZE }, { "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_STACK", RLIMIT_STACK }, { "RLIMIT_CORE", RLIMIT_CORE }, { "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_NPROC", RLIMIT_NPROC }, { "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_LOCKS", RLIMIT_LOCKS }, { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

int process_set_rlimits(const struct oci_process *p, struct oci_error *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct oci_rlimit *rl = &p->rlimits[i];
		struct rlimit lim = { .rlim_cur = rl->soft, .rlim_max = rl->hard };
		size_t j;

		for (j = 0; j < ARRAY_SIZE(rlimit_names); j++)
			if (!strcmp(rlimit_names[j].name, rl->type))
				break;
		if (j == ARRAY_SIZE(rlimit_names))
			return oci_error_set(err, EINVAL, "unknown rlimit type %s", rl->type);
		if (setrlimit(rlimit_names[j].resource, &lim) < 0)
			return oci_error_set(err, errno, "cannot set %s to %llu:%llu: %s", rl->type,
					     (unsigned long long)rl->soft, (unsigned long long)rl->hard, strerror(errno));
	}
	return 0;
}

int process_set_user_and_caps(const struct oci_process *p, const struct oci_seccomp *seccomp,
			      struct oci_error *err)
{
	const struct oci_user *u = &p->user;
	gid_t gids[256];
	size_t ng = u->n_additional_gids < 256 ? u->n_additional_gids : 256;

	if (caps_drop_bounding(p->capabilities, err) < 0)
		return -err->code;
	/* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the switch below may drop. */
	if (!p->no_new_privileges && seccomp_load_profile(seccomp, err) < 0)
		return -err->code;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return oci_error_set(err, errno, "PR_SET_KEEPCAPS: %s", strerror(errno));
	for (size_t i = 0; i < ng; i++)
		gids[i] = u->additional_gids[i];
	if (setgroups(ng, gids) < 0 && (ng || errno != EPERM))
		return oci_error_set(err, errno, "setgroups: %s", strerror(errno));
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return oci_error_set(err, errno, "cannot set gid %u: %s", u->gid, strerror(errno));
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return oci_error_set(err, errno, "cannot set uid %u: %s", u->uid, strerror(errno));
	if (caps_apply(p->capabilities, err) < 0)
		return -err->code;
	if (u->has_umask)
		umask((mode_t)u->umask);
	if (p->cwd && chdir(p->cwd) < 0)
		return oci_error_set(err, errno, "cannot chdir to %s: %s", p->cwd, strerror(errno));
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return oci_error_set(err, errno, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	/* Last, so the filter sees only the execve of the container's process. */
	if (p->no_new_privileges && seccomp_load_profile(seccomp, err) < 0)
		return -err->code;
	return 0;
}

static const char *env_path(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], "PATH=", 5))
			return env[i] + 5;
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

int process_exec(const struct oci_process *p, struct oci_error *err)
{
	static char *empty_env[] = { NULL };
	char **env = p->env ? p->env : empty_env;
	const char *cmd = p->args[0], *path;
	int saved = ENOENT;

	if (strchr(cmd, '/')) {
		execve(cmd, p->args, env);
		return oci_error_set(err, errno, "exec %s: %s", cmd, strerror(errno));
	}
	/* Look the command up in the container's PATH, not ours. */
	for (path = env_path(env); path;) {
		size_t len = strcspn(path, ":");
		char full[4096];

		snprintf(full, sizeof(full), "%.*s%s%s", (int)len, path, len ? "/" : "", cmd);
		execve(full, p->args, env);
		if (errno != ENOENT && errno != ENOTDIR)
			saved = errno;
		path = path[len] ? path + len + 1 : NULL;
	}
	return oci_error_set(err, saved, "exec %s: %s in $PATH", cmd,
			     saved == ENOENT ? "executable file not found" : strerror(saved));
}

static bool is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int process_check_executable(const struct oci_process *p, struct oci_error *err)
{
	const char *cmd = p->args[0], *path;

	if (strchr(cmd, '/')) {
		if (is_executable(cmd))
			return 0;
		return oci_error_set(err, ENOENT, "exec %s: executable file not found or not executable", cmd);
	}
	for (path = env_path(p->env); path;) {
		size_t len = strcspn(path, ":");
		char full[4096];

		snprintf(full, sizeof(full), "%.*s%s%s", (int)len, path, len ? "/" : "", cmd);
		if (is_executable(full))
			return 0;
		path = path[len] ? path + len + 1 : NULL;
	}
	return oci_error_set(err, ENOENT, "exec %s: executable file not found in $PATH", cmd);
}
