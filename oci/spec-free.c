/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Freeing the spec model, and the string-array helpers it uses. */
#include <string.h>
#include "spec.h"

size_t strv_length(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

bool strv_contains(char **v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

void oci_process_free(struct oci_process *p)
{
	if (!p)
		return;
	free(p->user.additional_gids);
	free(p->user.username);
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	if (p->capabilities) {
		strv_free(p->capabilities->bounding);
		strv_free(p->capabilities->effective);
		strv_free(p->capabilities->inheritable);
		strv_free(p->capabilities->permitted);
		strv_free(p->capabilities->ambient);
		free(p->capabilities);
	}
	for (size_t i = 0; i < p->n_rlimits; i++)
		free(p->rlimits[i].type);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	free(p);
}

static void resources_free(struct oci_resources *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_devices; i++) {
		free(r->devices[i].type);
		free(r->devices[i].access);
	}
	free(r->devices);
	free(r->cpu.cpus);
	free(r->cpu.mems);
	free(r->block_io.weight_device);
	for (int i = 0; i < 4; i++)
		free(r->block_io.throttle[i]);
	for (size_t i = 0; i < r->n_hugepage_limits; i++)
		free(r->hugepage_limits[i].page_size);
	free(r->hugepage_limits);
	strv_free(r->unified_keys);
	strv_free(r->unified_values);
	free(r);
}

static void seccomp_free(struct oci_seccomp *s)
{
	if (!s)
		return;
	free(s->default_action);
	strv_free(s->architectures);
	strv_free(s->flags);
	free(s->listener_path);
	for (size_t i = 0; i < s->n_syscalls; i++) {
		strv_free(s->syscalls[i].names);
		free(s->syscalls[i].action);
		for (size_t j = 0; j < s->syscalls[i].n_args; j++)
			free(s->syscalls[i].args[j].op);
		free(s->syscalls[i].args);
	}
	free(s->syscalls);
	free(s);
}

static void linux_free(struct oci_linux *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	free(l->cgroups_path);
	resources_free(l->resources);
	free(l->rootfs_propagation);
	seccomp_free(l->seccomp);
	strv_free(l->sysctl_keys);
	strv_free(l->sysctl_values);
	strv_free(l->masked_paths);
	strv_free(l->readonly_paths);
	free(l->mount_label);
	free(l);
}

void oci_spec_free(struct oci_spec *s)
{
	if (!s)
		return;
	free(s->oci_version);
	oci_process_free(s->process);
	free(s->root_path);
	free(s->hostname);
	free(s->domainname);
	for (size_t i = 0; i < s->n_mounts; i++) {
		free(s->mounts[i].destination);
		free(s->mounts[i].source);
		free(s->mounts[i].type);
		strv_free(s->mounts[i].options);
	}
	free(s->mounts);
	for (int k = 0; k < OCI_HOOK__MAX; k++) {
		for (size_t i = 0; i < s->hooks[k].n; i++) {
			free(s->hooks[k].hooks[i].path);
			strv_free(s->hooks[k].hooks[i].args);
			strv_free(s->hooks[k].hooks[i].env);
		}
		free(s->hooks[k].hooks);
	}
	strv_free(s->annotation_keys);
	strv_free(s->annotation_values);
	linux_free(s->linux_);
	free(s);
}
