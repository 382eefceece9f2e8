/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test helper: parse a config.json with the oci/ parser and print what landed
 * in the structs, one "path=value" line per field, so a test can check that
 * every supported field is parsed (and errors name their JSON path).
 */
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include "oci/spec.h"

static void strv(const char *name, char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		printf("%s[%zu]=%s\n", name, i, v[i]);
}

static void process(const struct oci_process *p)
{
	printf("process.terminal=%d\nprocess.consoleSize=%ux%u\n", p->terminal, p->console_height, p->console_width);
	printf("process.user=%u:%u umask=%o gids=%zu:%u\n", p->user.uid, p->user.gid, p->user.umask,
	       p->user.n_additional_gids, p->user.n_additional_gids ? p->user.additional_gids[0] : 0);
	strv("process.args", p->args);
	strv("process.env", p->env);
	printf("process.cwd=%s\n", p->cwd);
	if (p->capabilities) {
		strv("caps.bounding", p->capabilities->bounding);
		strv("caps.effective", p->capabilities->effective);
		strv("caps.inheritable", p->capabilities->inheritable);
		strv("caps.permitted", p->capabilities->permitted);
		strv("caps.ambient", p->capabilities->ambient);
	}
	for (size_t i = 0; i < p->n_rlimits; i++)
		printf("rlimit=%s %" PRIu64 " %" PRIu64 "\n", p->rlimits[i].type, p->rlimits[i].soft, p->rlimits[i].hard);
	printf("process.nnp=%d oom=%d:%d apparmor=%s selinux=%s\n", p->no_new_privileges, p->has_oom_score_adj,
	       p->oom_score_adj, p->apparmor_profile ? p->apparmor_profile : "", p->selinux_label ? p->selinux_label : "");
}

static void resources(const struct oci_resources *r)
{
	for (size_t i = 0; i < r->n_devices; i++)
		printf("res.device=%d %s %" PRId64 ":%" PRId64 " %s\n", r->devices[i].allow,
		       r->devices[i].type ? r->devices[i].type : "-", r->devices[i].major, r->devices[i].minor,
		       r->devices[i].access ? r->devices[i].access : "-");
	printf("res.memory=%" PRId64 " %" PRId64 " %" PRId64 " %" PRIu64 " oom=%d\n", r->memory.limit,
	       r->memory.reservation, r->memory.swap, r->memory.swappiness, r->memory.disable_oom_killer);
	printf("res.cpu=%" PRIu64 " %" PRId64 " %" PRIu64 " %s %s\n", r->cpu.shares, r->cpu.quota, r->cpu.period,
	       r->cpu.cpus ? r->cpu.cpus : "-", r->cpu.mems ? r->cpu.mems : "-");
	printf("res.pids=%" PRId64 "\n", r->pids.limit);
	printf("res.blkio=%u %zu %zu\n", r->block_io.weight, r->block_io.n_weight_device, r->block_io.n_throttle[0]);
	for (size_t i = 0; i < r->n_hugepage_limits; i++)
		printf("res.hugepage=%s %" PRIu64 "\n", r->hugepage_limits[i].page_size, r->hugepage_limits[i].limit);
	strv("res.unified", r->unified_keys);
}

static void linux_(const struct oci_linux *l)
{
	for (size_t i = 0; i < l->n_namespaces; i++)
		printf("ns=%s %s\n", oci_namespace_proc_name(l->namespaces[i].type),
		       l->namespaces[i].path ? l->namespaces[i].path : "-");
	for (size_t i = 0; i < l->n_uid_mappings; i++)
		printf("uidmap=%u %u %u\n", l->uid_mappings[i].container_id, l->uid_mappings[i].host_id,
		       l->uid_mappings[i].size);
	for (size_t i = 0; i < l->n_gid_mappings; i++)
		printf("gidmap=%u %u %u\n", l->gid_mappings[i].container_id, l->gid_mappings[i].host_id,
		       l->gid_mappings[i].size);
	for (size_t i = 0; i < l->n_devices; i++)
		printf("device=%s %c %" PRId64 ":%" PRId64 " %o %u %u\n", l->devices[i].path, l->devices[i].type,
		       l->devices[i].major, l->devices[i].minor, l->devices[i].mode, l->devices[i].uid, l->devices[i].gid);
	printf("cgroupsPath=%s\n", l->cgroups_path ? l->cgroups_path : "-");
	if (l->resources)
		resources(l->resources);
	printf("rootfsPropagation=%s\n", l->rootfs_propagation ? l->rootfs_propagation : "-");
	if (l->seccomp) {
		const struct oci_seccomp *s = l->seccomp;
		printf("seccomp.default=%s\n", s->default_action);
		strv("seccomp.arch", s->architectures);
		strv("seccomp.flags", s->flags);
		for (size_t i = 0; i < s->n_syscalls; i++) {
			printf("seccomp.syscall=%s %s %u\n", s->syscalls[i].names[0], s->syscalls[i].action,
			       s->syscalls[i].errno_ret);
			for (size_t j = 0; j < s->syscalls[i].n_args; j++)
				printf("seccomp.arg=%u %" PRIu64 " %" PRIu64 " %s\n", s->syscalls[i].args[j].index,
				       s->syscalls[i].args[j].value, s->syscalls[i].args[j].value_two, s->syscalls[i].args[j].op);
		}
	}
	for (size_t i = 0; l->sysctl_keys && l->sysctl_keys[i]; i++)
		printf("sysctl=%s=%s\n", l->sysctl_keys[i], l->sysctl_values[i]);
	strv("masked", l->masked_paths);
	strv("readonly", l->readonly_paths);
	if (l->monotonic.set)
		printf("time.monotonic=%" PRId64 " %u\n", l->monotonic.secs, l->monotonic.nanosecs);
	if (l->boottime.set)
		printf("time.boottime=%" PRId64 " %u\n", l->boottime.secs, l->boottime.nanosecs);
}

int main(int argc, char **argv)
{
	struct oci_spec *s = NULL;
	struct oci_error err = { 0 };

	if (argc != 2) {
		fprintf(stderr, "usage: spec-dump CONFIG.JSON\n");
		return 2;
	}
	if (oci_spec_load(argv[1], &s, &err) < 0) {
		printf("error=%s\n", err.msg);
		return 1;
	}
	printf("ociVersion=%s\n", s->oci_version);
	if (s->process)
		process(s->process);
	printf("root=%s ro=%d\nhostname=%s\ndomainname=%s\n", s->root_path, s->root_readonly,
	       s->hostname ? s->hostname : "-", s->domainname ? s->domainname : "-");
	for (size_t i = 0; i < s->n_mounts; i++) {
		printf("mount=%s %s %s\n", s->mounts[i].destination, s->mounts[i].type ? s->mounts[i].type : "-",
		       s->mounts[i].source ? s->mounts[i].source : "-");
		strv("mount.options", s->mounts[i].options);
	}
	for (int k = 0; k < OCI_HOOK__MAX; k++)
		for (size_t i = 0; i < s->hooks[k].n; i++)
			printf("hook.%s=%s timeout=%d\n", oci_hook_kind_name(k), s->hooks[k].hooks[i].path,
			       s->hooks[k].hooks[i].timeout);
	for (size_t i = 0; s->annotation_keys && s->annotation_keys[i]; i++)
		printf("annotation=%s=%s\n", s->annotation_keys[i], s->annotation_values[i]);
	if (s->linux_)
		linux_(s->linux_);
	oci_spec_free(s);
	return 0;
}
