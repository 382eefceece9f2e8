/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UTS namespaces: hostname and domainname. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "image.h"
#include "log.h"
#include "ns.h"
#include "proto/ns.pb-c.h"

static int read_uname(void *arg)
{
	return uname(arg) < 0 ? -errno : 0;
}

static int uts_collect(pid_t pid, uint32_t ino, ProtobufCMessage **ret)
{
	struct utsname u;
	UtsNsEntry *e;
	int r;

	r = ns_run_in(pid, CLONE_NEWUTS, read_uname, &u);
	if (r < 0)
		return log_error_errno(r, "task %d: cannot read its uts namespace %u", pid, ino);
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	uts_ns_entry__init(e);
	e->nodename = strdup(u.nodename);
	e->domainname = strdup(u.domainname);
	*ret = &e->base;
	return e->nodename && e->domainname ? 0 : -ENOMEM;
}

static int uts_restore_fill(const ProtobufCMessage *state, uint32_t ino)
{
	const UtsNsEntry *e = (const UtsNsEntry *)state;

	if (sethostname(e->nodename, strlen(e->nodename)) < 0)
		return log_error_errno(-errno, "uts namespace %u: cannot set the hostname '%s'", ino, e->nodename);
	if (setdomainname(e->domainname, strlen(e->domainname)) < 0)
		return log_error_errno(-errno, "uts namespace %u: cannot set the domainname '%s'", ino, e->domainname);
	return 0;
}

const struct ns_kind ns_kind_uts = {
	.id = NS_UTS,
	.name = "uts",
	.clone_flag = CLONE_NEWUTS,
	.img = IMG_UTSNS,
	.collect = uts_collect,
	.restore_fill = uts_restore_fill,
};
