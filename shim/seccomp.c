/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.seccomp with libseccomp: actions, architectures, argument conditions, flags. */
#include <seccomp.h>
#include <string.h>
#include "container.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release)

static int parse_action(const char *name, bool has_errno, uint32_t errno_ret, uint32_t *out)
{
	uint32_t e = has_errno ? errno_ret : EPERM;

	if (!strcmp(name, "SCMP_ACT_ALLOW"))
		*out = SCMP_ACT_ALLOW;
	else if (!strcmp(name, "SCMP_ACT_ERRNO"))
		*out = SCMP_ACT_ERRNO(e);
	else if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
		*out = SCMP_ACT_KILL_THREAD;
	else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
		*out = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(name, "SCMP_ACT_TRAP"))
		*out = SCMP_ACT_TRAP;
	else if (!strcmp(name, "SCMP_ACT_TRACE"))
		*out = SCMP_ACT_TRACE(has_errno ? errno_ret : EPERM);
	else if (!strcmp(name, "SCMP_ACT_LOG"))
		*out = SCMP_ACT_LOG;
	else
		return -EINVAL;
	return 0;
}

static int parse_op(const char *name, enum scmp_compare *out)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
		{ "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};

	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (!strcmp(ops[i].name, name)) {
			*out = ops[i].op;
			return 0;
		}
	return -EINVAL;
}

static int arch_token(const char *name, uint32_t *out)
{
	const char *n = !strncmp(name, "SCMP_ARCH_", 10) ? name + 10 : name;
	char lower[32];
	size_t i;

	for (i = 0; n[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] + 32 : n[i]);
	lower[i] = 0;
	*out = seccomp_arch_resolve_name(lower);
	return *out ? 0 : -EINVAL;
}

/* Conditions on the same argument are alternatives (one rule each); distinct arguments combine. */
static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const struct oci_syscall *s, struct oci_error *err)
{
	struct scmp_arg_cmp cmp[6];
	bool repeated = false;
	int r;

	if (s->n_args > 6)
		return oci_error_set(err, EINVAL, "seccomp: more than 6 argument conditions for %s", s->names[0]);
	for (size_t i = 0; i < s->n_args; i++) {
		enum scmp_compare op;
		if (parse_op(s->args[i].op, &op) < 0)
			return oci_error_set(err, EINVAL, "seccomp: unknown operator %s", s->args[i].op);
		if (s->args[i].index > 5)
			return oci_error_set(err, EINVAL, "seccomp: argument index %u out of range", s->args[i].index);
		cmp[i] = (struct scmp_arg_cmp){ .arg = s->args[i].index, .op = op, .datum_a = s->args[i].value,
						.datum_b = s->args[i].value_two };
		for (size_t j = 0; j < i; j++)
			repeated |= s->args[j].index == s->args[i].index;
	}
	if (!repeated)
		r = seccomp_rule_add_array(ctx, action, nr, (unsigned)s->n_args, cmp);
	else {
		r = 0;
		for (size_t i = 0; i < s->n_args && r == 0; i++)
			r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[i]);
	}
	if (r < 0)
		return oci_error_set(err, -r, "seccomp: cannot add a rule for syscall %d: %s", nr, strerror(-r));
	return 0;
}

static int build_filter(const struct oci_seccomp *s, bool load, struct oci_error *err)
{
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
	uint32_t def;
	int r;

	if (!s)
		return 0;
	if (parse_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret, &def) < 0)
		return oci_error_set(err, EINVAL, "seccomp: unsupported default action %s", s->default_action);
	ctx = seccomp_init(def);
	if (!ctx)
		return oci_error_set(err, ENOMEM, "seccomp_init failed");
	for (size_t i = 0; s->architectures && s->architectures[i]; i++) {
		uint32_t arch;
		if (arch_token(s->architectures[i], &arch) < 0)
			return oci_error_set(err, EINVAL, "seccomp: unknown architecture %s", s->architectures[i]);
		r = seccomp_arch_add(ctx, arch);
		if (r < 0 && r != -EEXIST)
			return oci_error_set(err, -r, "seccomp: cannot add architecture %s: %s", s->architectures[i],
					     strerror(-r));
	}
	for (size_t i = 0; s->flags && s->flags[i]; i++) {
		const char *f = s->flags[i];
		if (!strcmp(f, "SECCOMP_FILTER_FLAG_TSYNC"))
			r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
		else if (!strcmp(f, "SECCOMP_FILTER_FLAG_LOG"))
			r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
		else if (!strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
			r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
		else
			return oci_error_set(err, EINVAL, "seccomp: unknown flag %s", f);
		if (r < 0)
			return oci_error_set(err, -r, "seccomp: cannot set flag %s: %s", f, strerror(-r));
	}
	for (size_t i = 0; i < s->n_syscalls; i++) {
		const struct oci_syscall *sc = &s->syscalls[i];
		uint32_t action;

		if (!strcmp(sc->action, "SCMP_ACT_NOTIFY"))
			return oci_error_set(err, ENOTSUP, "seccomp: SCMP_ACT_NOTIFY is not supported");
		if (parse_action(sc->action, sc->has_errno_ret, sc->errno_ret, &action) < 0)
			return oci_error_set(err, EINVAL, "seccomp: unknown action %s", sc->action);
		if (action == def)
			continue; /* libseccomp rejects rules equal to the default */
		for (size_t j = 0; sc->names && sc->names[j]; j++) {
			int nr = seccomp_syscall_resolve_name(sc->names[j]);
			if (nr == __NR_SCMP_ERROR)
				continue; /* unknown here (other arch or newer kernel): skip, as runc does */
			r = add_rule(ctx, action, nr, sc, err);
			if (r < 0)
				return r;
		}
	}
	if (!load)
		return 0;
	r = seccomp_load(ctx);
	if (r < 0)
		return oci_error_set(err, -r, "seccomp: cannot load the filter: %s", strerror(-r));
	return 0;
}

int seccomp_load_profile(const struct oci_seccomp *s, struct oci_error *err)
{
	return build_filter(s, true, err);
}

int seccomp_check_profile(const struct oci_seccomp *s, struct oci_error *err)
{
	return build_filter(s, false, err);
}
