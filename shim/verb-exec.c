/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exec: the process comes from --process FILE, or from the container's own process with overrides. */
#include <string.h>
#include "container.h"
#include "cryo.h"

static char **strv_append(char **v, const char *s)
{
	size_t n = strv_length(v);
	char **nv = realloc(v, (n + 2) * sizeof(char *));

	if (!nv)
		return v;
	nv[n] = strdup(s);
	nv[n + 1] = NULL;
	return nv;
}

static char **strv_copy(char **v)
{
	char **out = calloc(strv_length(v) + 1, sizeof(char *));

	for (size_t i = 0; out && v && v[i]; i++)
		out[i] = strdup(v[i]);
	return out;
}

/* A copy of the container's process: env, user, caps, rlimits are inherited by exec. */
static struct oci_process *process_from_spec(const struct oci_process *base)
{
	struct oci_process *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->env = strv_copy(base->env);
	p->cwd = strdup(base->cwd ? base->cwd : "/");
	p->user = base->user;
	p->user.username = NULL;
	p->user.additional_gids = NULL;
	p->user.n_additional_gids = 0;
	if (base->user.n_additional_gids) {
		p->user.additional_gids = calloc(base->user.n_additional_gids, sizeof(uint32_t));
		if (p->user.additional_gids) {
			memcpy(p->user.additional_gids, base->user.additional_gids,
			       base->user.n_additional_gids * sizeof(uint32_t));
			p->user.n_additional_gids = base->user.n_additional_gids;
		}
	}
	p->no_new_privileges = base->no_new_privileges;
	if (base->capabilities) {
		p->capabilities = calloc(1, sizeof(*p->capabilities));
		p->capabilities->bounding = strv_copy(base->capabilities->bounding);
		p->capabilities->effective = strv_copy(base->capabilities->effective);
		p->capabilities->permitted = strv_copy(base->capabilities->permitted);
		p->capabilities->inheritable = strv_copy(base->capabilities->inheritable);
		p->capabilities->ambient = strv_copy(base->capabilities->ambient);
	}
	return p;
}

static int parse_user(const char *s, struct oci_user *u)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s || (*end && *end != ':'))
		return -EINVAL;
	u->uid = (uint32_t)v;
	if (*end == ':') {
		const char *g = end + 1;
		v = strtoul(g, &end, 10);
		if (end == g || *end)
			return -EINVAL;
		u->gid = (uint32_t)v;
	}
	return 0;
}

int verb_exec(int argc, char **argv)
{
	_cleanup_state_ struct oci_state *s = NULL;
	_cleanup_spec_ struct oci_spec *spec = NULL;
	_cleanup_process_ struct oci_process *p = NULL;
	struct oci_error err = { 0 };
	struct exec_opts o = { 0 };
	const char *process_file = NULL, *cwd = NULL, *user = NULL, *apparmor = NULL, *label = NULL, *cgroup = NULL;
	_cleanup_(strv_freep) char **env = NULL, **caps = NULL, **gids = NULL;
	bool tty = false, nnp = false, ignore_paused = false;
	const struct opt opts[] = {
		{ "process|p", OPT_STRING, &process_file, "path to a process.json" },
		{ "detach|d", OPT_BOOL, &o.detach, "do not wait for the process" },
		{ "tty|t", OPT_BOOL, &tty, "allocate a pseudo-TTY" },
		{ "console-socket", OPT_STRING, &o.console_socket, "unix socket to receive the pty master" },
		{ "pid-file", OPT_STRING, &o.pid_file, "file to write the process pid to" },
		{ "env|e", OPT_LIST, &env, "set an environment variable (KEY=VALUE)" },
		{ "cwd", OPT_STRING, &cwd, "working directory" },
		{ "user|u", OPT_STRING, &user, "UID[:GID]" },
		{ "additional-gids|g", OPT_LIST, &gids, "additional gid" },
		{ "cap|c", OPT_LIST, &caps, "add a capability" },
		{ "no-new-privs", OPT_BOOL, &nnp, "set no_new_privs" },
		{ "apparmor", OPT_STRING, &apparmor, "AppArmor profile (ignored: not enabled)" },
		{ "process-label", OPT_STRING, &label, "SELinux label (ignored: not enabled)" },
		{ "preserve-fds", OPT_INT, &o.preserve_fds, "pass N extra fds (from 3)" },
		{ "cgroup", OPT_STRING, &cgroup, "sub-cgroup (not supported)" },
		{ "ignore-paused", OPT_BOOL, &ignore_paused, "accepted for runc compatibility" },
		{},
	};
	int i = opts_parse("exec", "[options] CONTAINER_ID [COMMAND [ARGS...]]", argc, argv, opts), r;
	enum oci_status st;

	if (i < 0)
		return i == -2 ? 0 : 1;
	if (expect_args("exec", argc - i, 1, -1) < 0)
		return 1;
	if (container_load(argv[i], &s, &err) < 0)
		return fail_oci(&err);
	st = container_status(s);
	if (st != OCI_STATUS_RUNNING && st != OCI_STATUS_CREATED) {
		log_error("cannot exec in container \"%s\": it is %s", argv[i], oci_status_name(st));
		return 1;
	}
	if (container_load_spec(s, &spec, &err) < 0)
		return fail_oci(&err);
	if (process_file) {
		if (oci_process_load(process_file, &p, &err) < 0)
			return fail_oci(&err);
	} else {
		if (argc - i < 2) {
			log_error("exec: no command given (use --process FILE or arguments)");
			return 1;
		}
		p = process_from_spec(spec->process);
		if (!p)
			return 1;
		p->args = strv_copy(argv + i + 1);
		for (size_t k = 0; env && env[k]; k++)
			p->env = strv_append(p->env, env[k]);
		if (cwd) {
			free(p->cwd);
			p->cwd = strdup(cwd);
		}
		if (user && parse_user(user, &p->user) < 0) {
			log_error("invalid --user \"%s\" (use UID[:GID])", user);
			return 1;
		}
		for (size_t k = 0; gids && gids[k]; k++) {
			uint32_t *ng = realloc(p->user.additional_gids, (p->user.n_additional_gids + 1) * sizeof(uint32_t));
			if (!ng)
				return 1;
			p->user.additional_gids = ng;
			ng[p->user.n_additional_gids++] = (uint32_t)strtoul(gids[k], NULL, 10);
		}
		if (caps && !p->capabilities)
			p->capabilities = calloc(1, sizeof(*p->capabilities));
		for (size_t k = 0; caps && caps[k]; k++) {
			p->capabilities->bounding = strv_append(p->capabilities->bounding, caps[k]);
			p->capabilities->effective = strv_append(p->capabilities->effective, caps[k]);
			p->capabilities->permitted = strv_append(p->capabilities->permitted, caps[k]);
			p->capabilities->inheritable = strv_append(p->capabilities->inheritable, caps[k]);
		}
		p->terminal = tty;
		p->no_new_privileges |= nnp;
	}
	if (cgroup)
		log_warn("--cgroup %s ignored: sub-cgroups are not supported", cgroup);
	struct tty_proxy proxy = { .listen_fd = -1, .master = -1 };
	if (p->terminal && !o.console_socket && !o.detach) {
		if (tty_proxy_listen(&proxy, &err) < 0) {
			tty_proxy_close(&proxy);
			return fail_oci(&err);
		}
		o.console_socket = proxy.path;
		o.tty = &proxy;
	}
	r = container_exec(s, spec, p, &o, &err);
	tty_proxy_close(&proxy);
	if (r < 0)
		return fail_oci(&err);
	return r;
}
