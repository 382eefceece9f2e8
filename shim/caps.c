/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Capabilities with libcap: bounding set first (needs CAP_SETPCAP), then E/P/I, then ambient. */
#include <ctype.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include "container.h"
#include "cryo.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(cap_t, cap_free)

/* "CAP_SYS_ADMIN" -> value; -1 (with a warning, like runc) for names this kernel lacks. */
static int cap_value(const char *name)
{
	char lower[64];
	cap_value_t v;
	size_t i;

	for (i = 0; name[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)name[i]);
	lower[i] = 0;
	if (cap_from_name(lower, &v) < 0 || v > CAP_LAST_CAP) {
		fprintf(stderr, "cryo: warning: unknown capability %s ignored\n", name);
		return -1;
	}
	return v;
}

static bool list_has(char **list, cap_value_t c)
{
	for (size_t i = 0; list && list[i]; i++)
		if (cap_value(list[i]) == c)
			return true;
	return false;
}

int caps_drop_bounding(const struct oci_capabilities *c, struct oci_error *err)
{
	int last = CAP_LAST_CAP;

	if (cap_max_bits() > 0)
		last = (int)cap_max_bits() - 1;
	for (int v = 0; v <= last; v++) {
		if (c && list_has(c->bounding, v))
			continue;
		if (prctl(PR_CAPBSET_DROP, v, 0, 0, 0) < 0 && errno != EINVAL)
			return oci_error_set(err, errno, "cannot drop capability %d from the bounding set: %s", v,
					     strerror(errno));
	}
	return 0;
}

static int add_set(cap_t caps, cap_flag_t flag, char **list)
{
	for (size_t i = 0; list && list[i]; i++) {
		int v = cap_value(list[i]);
		cap_value_t cv = v;
		if (v >= 0 && cap_set_flag(caps, flag, 1, &cv, CAP_SET) < 0)
			return negative_errno();
	}
	return 0;
}

int caps_apply(const struct oci_capabilities *c, struct oci_error *err)
{
	_cleanup_(cap_freep) cap_t caps = cap_init();

	if (!caps)
		return oci_error_set(err, ENOMEM, "out of memory");
	if (c && (add_set(caps, CAP_EFFECTIVE, c->effective) < 0 || add_set(caps, CAP_PERMITTED, c->permitted) < 0 ||
		  add_set(caps, CAP_INHERITABLE, c->inheritable) < 0))
		return oci_error_set(err, errno, "cannot build the capability sets: %s", strerror(errno));
	if (cap_set_proc(caps) < 0)
		return oci_error_set(err, errno, "cannot set capabilities: %s", strerror(errno));
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	for (size_t i = 0; c && c->ambient && c->ambient[i]; i++) {
		int v = cap_value(c->ambient[i]);
		/* Ambient needs the cap in P and I; without those the kernel refuses, and runc goes on too. */
		if (v < 0 || !list_has(c->permitted, v) || !list_has(c->inheritable, v))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, v, 0, 0) < 0)
			fprintf(stderr, "cryo: warning: cannot raise ambient capability %s: %s\n", c->ambient[i],
				strerror(errno));
	}
	return 0;
}
