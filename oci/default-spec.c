/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config.json that "cryo spec" writes: a small shell container on a ./rootfs. */
#include <string.h>
#include "spec.h"

static const char base_spec[] =
"{\n"
"  \"ociVersion\": \"1.0.2\",\n"
"  \"process\": {\n"
"    \"terminal\": true,\n"
"    \"user\": { \"uid\": 0, \"gid\": 0 },\n"
"    \"args\": [ \"sh\" ],\n"
"    \"env\": [ \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\" ],\n"
"    \"cwd\": \"/\",\n"
"    \"capabilities\": {\n"
"      \"bounding\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],\n"
"      \"effective\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],\n"
"      \"permitted\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],\n"
"      \"ambient\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ]\n"
"    },\n"
"    \"rlimits\": [ { \"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024 } ],\n"
"    \"noNewPrivileges\": true\n"
"  },\n"
"  \"root\": { \"path\": \"rootfs\", \"readonly\": true },\n"
"  \"hostname\": \"cryo\",\n"
"  \"mounts\": [\n"
"    { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },\n"
"    { \"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
"      \"options\": [ \"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\" ] },\n"
"    { \"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
"      \"options\": [ \"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\"%GID5% ] },\n"
"    { \"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\",\n"
"      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\" ] },\n"
"    { \"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\",\n"
"      \"options\": [ \"nosuid\", \"noexec\", \"nodev\" ] },\n"
"    { \"destination\": \"/sys\", \"type\": %SYSTYPE%,\n"
"      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"ro\"%SYSOPTS% ] }%CGROUP%\n"
"  ],\n"
"  \"linux\": {\n"
"%USERNS%"
"    \"resources\": { \"devices\": [ { \"allow\": false, \"access\": \"rwm\" } ] },\n"
"    \"namespaces\": [ { \"type\": \"pid\" }, { \"type\": \"network\" }, { \"type\": \"ipc\" },\n"
"                    { \"type\": \"uts\" }, { \"type\": \"mount\" }, { \"type\": \"cgroup\" }%USERNSTYPE% ],\n"
"    \"maskedPaths\": [ \"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\",\n"
"                     \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\",\n"
"                     \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\" ],\n"
"    \"readonlyPaths\": [ \"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\",\n"
"                       \"/proc/sysrq-trigger\" ]\n"
"  }\n"
"}\n";

/* Replace every "%KEY%" in text by its value. */
static char *substitute(const char *text, const char *const (*pairs)[2], size_t n)
{
	size_t cap = strlen(text) + 1;
	char *out, *o;

	for (size_t i = 0; i < n; i++)
		cap += strlen(pairs[i][1]) * 2;
	out = o = malloc(cap);
	if (!out)
		return NULL;
	while (*text) {
		size_t i;
		for (i = 0; i < n; i++) {
			size_t kl = strlen(pairs[i][0]);
			if (!strncmp(text, pairs[i][0], kl)) {
				o = stpcpy(o, pairs[i][1]);
				text += kl;
				break;
			}
		}
		if (i == n)
			*o++ = *text++;
	}
	*o = 0;
	return out;
}

char *oci_default_spec_json(bool rootless)
{
	const char *const pairs[][2] = {
		{ "%GID5%", rootless ? "" : ", \"gid=5\"" },
		{ "%SYSTYPE%", rootless ? "\"none\", \"source\": \"/sys\"" : "\"sysfs\", \"source\": \"sysfs\"" },
		{ "%SYSOPTS%", rootless ? ", \"rbind\"" : "" },
		{ "%CGROUP%", rootless ? "" :
			",\n    { \"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\",\n"
			"      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\" ] }" },
		{ "%USERNS%", rootless ?
			"    \"uidMappings\": [ { \"containerID\": 0, \"hostID\": 1000, \"size\": 1 } ],\n"
			"    \"gidMappings\": [ { \"containerID\": 0, \"hostID\": 1000, \"size\": 1 } ],\n" : "" },
		{ "%USERNSTYPE%", rootless ? ", { \"type\": \"user\" }" : "" },
	};

	return substitute(base_spec, pairs, ARRAY_SIZE(pairs));
}
