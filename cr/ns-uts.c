/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UTS namespaces: hostname and domainname. */
#include <errno.h>
#include <sched.h>
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

static int uts_dump(pid_t pid, uint32_t ino, struct img_dir *d)
{
	struct utsname u;
	UtsNsEntry e = UTS_NS_ENTRY__INIT;
	struct img *img;
	int r;

	r = ns_run_in(pid, CLONE_NEWUTS, read_uname, &u);
	if (r < 0)
		return log_error_errno(r, "task %d: cannot read its uts namespace", pid);
	e.nodename = u.nodename;
	e.domainname = u.domainname;
	r = img_open(d, IMG_UTSNS, true, &img, ino);
	if (r < 0)
		return r;
	r = img_write(img, &e.base);
	int rc = img_close(img);
	return r < 0 ? r : rc;
}

static int uts_restore_fill(struct img_dir *d, uint32_t ino)
{
	struct img *img;
	ProtobufCMessage *m;
	int r;

	r = img_open(d, IMG_UTSNS, false, &img, ino);
	if (r < 0)
		return r == -ENOENT ? log_error_errno(r, "uts namespace %u: utsns-%u.img missing", ino, ino) : r;
	r = img_read_one(img, &m);
	img_close(img);
	if (r < 0)
		return r;
	UtsNsEntry *e = (UtsNsEntry *)m;
	if (sethostname(e->nodename, strlen(e->nodename)) < 0)
		r = log_error_errno(-errno, "uts namespace %u: cannot set the hostname '%s'", ino, e->nodename);
	else if (setdomainname(e->domainname, strlen(e->domainname)) < 0)
		r = log_error_errno(-errno, "uts namespace %u: cannot set the domainname '%s'", ino, e->domainname);
	img_free_msg(m);
	return r;
}

const struct ns_kind ns_kind_uts = {
	.id = NS_UTS,
	.name = "uts",
	.clone_flag = CLONE_NEWUTS,
	.dump = uts_dump,
	.restore_fill = uts_restore_fill,
};
