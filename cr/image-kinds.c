/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table of image kinds.  Adding a kind is one line in enum img_kind
 * (image.h) and one line here: the file name template, a magic number no
 * other kind uses, and the protobuf types of its records.
 */
#include <stdio.h>
#include <string.h>
#include "image.h"
#include "proto/inventory.pb-c.h"
#include "proto/pstree.pb-c.h"
#include "proto/core.pb-c.h"
#include "proto/mm.pb-c.h"
#include "proto/pagemap.pb-c.h"
#include "proto/taskstate.pb-c.h"
#include "proto/fd.pb-c.h"
#include "proto/mnt.pb-c.h"
#include "proto/net.pb-c.h"
#include "proto/cgroup.pb-c.h"
#include "proto/ns.pb-c.h"

static const struct img_kind_info kinds[IMG_KIND_MAX] = {
	/* magic: "CY" and two letters, as the file shows them (little endian) */
	[IMG_INVENTORY] = { IMG_INVENTORY, "inventory", "inventory.img", 0x56495943, &inventory_entry__descriptor, NULL, 1 },
	[IMG_PSTREE]    = { IMG_PSTREE, "pstree", "pstree.img", 0x53505943, &pstree_entry__descriptor, &pstree_entry__descriptor, 0 },
	[IMG_CORE]      = { IMG_CORE, "core", "core-%d.img", 0x52435943, &thread_core_entry__descriptor, &task_core_entry__descriptor, 2 },
	[IMG_MM]        = { IMG_MM, "mm", "mm-%d.img", 0x4d4d5943, &mm_entry__descriptor, NULL, 1 },
	[IMG_PAGEMAP]   = { IMG_PAGEMAP, "pagemap", "pagemap-%u.img", 0x4d505943, &pagemap_head__descriptor, &pagemap_entry__descriptor, 0 },
	[IMG_TASKSTATE] = { IMG_TASKSTATE, "taskstate", "taskstate-%d.img", 0x53545943, &task_state_entry__descriptor, NULL, 1 },
	[IMG_FDS]       = { IMG_FDS, "fds", "fds-%d.img", 0x44465943, &fd_entry__descriptor, &fd_entry__descriptor, 0 },
	[IMG_FILES]     = { IMG_FILES, "files", "files.img", 0x4c465943, &file_entry__descriptor, &file_entry__descriptor, 0 },
	[IMG_MOUNTS]    = { IMG_MOUNTS, "mounts", "mounts-%u.img", 0x544d5943, &mnt_ns_entry__descriptor, &mnt_entry__descriptor, 0 },
	[IMG_TMPFS]     = { IMG_TMPFS, "tmpfs", "tmpfs-%u.img", 0x46545943, &tmpfs_head__descriptor, &tmpfs_file_entry__descriptor, 0 },
	[IMG_NETNS]     = { IMG_NETNS, "netns", "netns-%u.img", 0x4e4e5943, &net_ns_entry__descriptor, &net_item__descriptor, 0 },
	[IMG_CGROUP]    = { IMG_CGROUP, "cgroup", "cgroup.img", 0x47435943, &cgroup_head__descriptor, &cgroup_item__descriptor, 0 },
	[IMG_NS_IDS]    = { IMG_NS_IDS, "ns-ids", "ns-ids.img", 0x494e5943, &ns_ids_entry__descriptor, &ns_ids_entry__descriptor, 0 },
	[IMG_UTSNS]     = { IMG_UTSNS, "utsns", "utsns-%u.img", 0x53555943, &uts_ns_entry__descriptor, NULL, 1 },
	[IMG_IPCNS]     = { IMG_IPCNS, "ipcns", "ipcns-%u.img", 0x49495943, &ipc_ns_entry__descriptor, NULL, 1 },
	[IMG_TIMENS]    = { IMG_TIMENS, "timens", "timens-%u.img", 0x4e545943, &time_ns_entry__descriptor, NULL, 1 },
	[IMG_USERNS]    = { IMG_USERNS, "userns", "userns-%u.img", 0x4e555943, &user_ns_entry__descriptor, NULL, 1 },
	[IMG_CGROUPNS]  = { IMG_CGROUPNS, "cgroupns", "cgroupns-%u.img", 0x4e435943, &cgroup_ns_entry__descriptor, NULL, 1 },
};

const struct img_kind_info *img_kind_info(enum img_kind kind)
{
	if ((unsigned)kind >= IMG_KIND_MAX || !kinds[kind].name)
		return NULL;
	return &kinds[kind];
}

const struct img_kind_info *img_kind_by_magic(uint32_t magic)
{
	for (unsigned i = 0; i < IMG_KIND_MAX; i++)
		if (kinds[i].name && kinds[i].magic == magic)
			return &kinds[i];
	return NULL;
}

const struct img_kind_info *img_kind_by_short_name(const char *name)
{
	for (unsigned i = 0; i < IMG_KIND_MAX; i++)
		if (kinds[i].name && !strcmp(kinds[i].name, name))
			return &kinds[i];
	return NULL;
}

/* Does name match a template with at most one %d/%u (a decimal number)? */
static bool name_matches_template(const char *name, const char *tmpl)
{
	const char *pct = strchr(tmpl, '%');

	if (!pct)
		return !strcmp(name, tmpl);
	size_t pre = pct - tmpl;
	const char *suffix = pct + 2;	/* templates only use %d or %u */
	size_t nlen = strlen(name), slen = strlen(suffix);

	if (strncmp(name, tmpl, pre) || nlen < pre + slen + 1)
		return false;
	if (strcmp(name + nlen - slen, suffix))
		return false;
	for (const char *p = name + pre; p < name + nlen - slen; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

const struct img_kind_info *img_kind_by_file_name(const char *file_name)
{
	const char *base = strrchr(file_name, '/');

	base = base ? base + 1 : file_name;
	for (unsigned i = 0; i < IMG_KIND_MAX; i++)
		if (kinds[i].name && name_matches_template(base, kinds[i].tmpl))
			return &kinds[i];
	return NULL;
}

bool img_is_pages_file_name(const char *file_name)
{
	const char *base = strrchr(file_name, '/');

	return name_matches_template(base ? base + 1 : file_name, IMG_PAGES_TMPL);
}

const ProtobufCMessageDescriptor *img_kind_record_desc(const struct img_kind_info *k, unsigned idx)
{
	if (k->max_records && idx >= k->max_records)
		return NULL;
	return idx == 0 ? k->first : k->rest;
}
