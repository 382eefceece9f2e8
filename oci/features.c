/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The runtime-spec "features" document: what this build of cryo supports. */
#include <string.h>
#include <yajl/yajl_gen.h>
#include "spec.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(yajl_gen, yajl_gen_free)

static const char *const hooks[] = { "prestart", "createRuntime", "createContainer",
				     "startContainer", "poststart", "poststop", NULL };
static const char *const mount_options[] = {
	"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion",
	"lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion",
	"nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private",
	"rbind", "relatime", "remount", "ro", "rprivate", "rshared", "rslave", "runbindable", "rw",
	"shared", "silent", "slave", "strictatime", "suid", "symfollow", "sync", "tmpcopyup",
	"unbindable", NULL
};
static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid", "time",
					  "user", "uts", NULL };
static const char *const seccomp_actions[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
					       "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
					       "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP", NULL };
static const char *const seccomp_ops[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
					   "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
					   "SCMP_CMP_NE", NULL };
static const char *const seccomp_archs[] = { "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",
					     "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL };
static const char *const seccomp_flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
					     "SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL };

/* Capability names from libcap's numbering (cap_to_name gives lower case "cap_x"). */
#include <sys/capability.h>
#include <ctype.h>

static void gen_str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_list(yajl_gen g, const char *key, const char *const *list)
{
	gen_str(g, key);
	yajl_gen_array_open(g);
	for (size_t i = 0; list[i]; i++)
		gen_str(g, list[i]);
	yajl_gen_array_close(g);
}

static void gen_bool(yajl_gen g, const char *key, bool v)
{
	gen_str(g, key);
	yajl_gen_bool(g, v);
}

static void gen_capabilities(yajl_gen g)
{
	gen_str(g, "capabilities");
	yajl_gen_array_open(g);
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		char *name = cap_to_name(c), up[64];
		size_t i;

		if (!name)
			continue;
		for (i = 0; name[i] && i < sizeof(up) - 1; i++)
			up[i] = (char)toupper((unsigned char)name[i]);
		up[i] = 0;
		cap_free(name);
		if (!strncmp(up, "CAP_", 4))
			gen_str(g, up);
	}
	yajl_gen_array_close(g);
}

char *oci_features_json(void)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	if (!g)
		return NULL;
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_map_open(g);
	gen_str(g, "ociVersionMin");
	gen_str(g, "1.0.0");
	gen_str(g, "ociVersionMax");
	gen_str(g, "1.1.0");
	gen_list(g, "hooks", hooks);
	gen_list(g, "mountOptions", mount_options);
	gen_str(g, "linux");
	yajl_gen_map_open(g);
	gen_list(g, "namespaces", namespaces);
	gen_capabilities(g);
	gen_str(g, "cgroup");
	yajl_gen_map_open(g);
	gen_bool(g, "v1", true);
	gen_bool(g, "v2", true);
	gen_bool(g, "systemd", false);
	gen_bool(g, "systemdUser", false);
	gen_bool(g, "rdma", false);
	yajl_gen_map_close(g);
	gen_str(g, "seccomp");
	yajl_gen_map_open(g);
	gen_bool(g, "enabled", true);
	gen_list(g, "actions", seccomp_actions);
	gen_list(g, "operators", seccomp_ops);
	gen_list(g, "archs", seccomp_archs);
	gen_list(g, "knownFlags", seccomp_flags);
	gen_list(g, "supportedFlags", seccomp_flags);
	yajl_gen_map_close(g);
	gen_str(g, "apparmor");
	yajl_gen_map_open(g);
	gen_bool(g, "enabled", false);
	yajl_gen_map_close(g);
	gen_str(g, "selinux");
	yajl_gen_map_open(g);
	gen_bool(g, "enabled", false);
	yajl_gen_map_close(g);
	gen_str(g, "intelRdt");
	yajl_gen_map_open(g);
	gen_bool(g, "enabled", false);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	gen_str(g, "annotations");
	yajl_gen_map_open(g);
	gen_str(g, "io.github.cryo.version");
	gen_str(g, CRYO_VERSION);
	gen_str(g, "io.github.cryo.checkpoint.enabled");
	gen_str(g, "false");
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		return NULL;
	return strndup((const char *)buf, len);
}
