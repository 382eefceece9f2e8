/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * POSIX message queues of an IPC namespace.  They are listed through a mount
 * of the namespace's mqueue filesystem, made in a private mount namespace of
 * the collecting thread (which already joined the IPC namespace), so nothing
 * shows outside.  There is no way to read a POSIX queue without consuming:
 * every message is received and sent back in the same order, with the same
 * priority (the dumped tasks are frozen meanwhile).  mq_notify registrations
 * are not kept.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ipc-mqueue.h"
#include "log.h"
#include "util.h"

static int mq_msgs_add(MqueueEntry *e, unsigned prio, const char *buf, size_t len)
{
	MqMsg **a = realloc(e->messages, (e->n_messages + 1) * sizeof(*a));
	MqMsg *m;

	if (!a)
		return -ENOMEM;
	e->messages = a;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	mq_msg__init(m);
	a[e->n_messages++] = m;
	m->prio = prio;
	m->data.data = malloc(len ? len : 1);
	if (!m->data.data)
		return -ENOMEM;
	memcpy(m->data.data, buf, len);
	m->data.len = len;
	return 0;
}

/* Receive everything (highest priority first, FIFO within one), then send it back. */
static int collect_queue(const char *name, MqueueEntry *e)
{
	char qname[NAME_MAX + 2];
	struct mq_attr attr;
	_cleanup_free_ char *buf = NULL;
	mqd_t q;
	int r = 0;

	snprintf(qname, sizeof(qname), "/%s", name);
	q = mq_open(qname, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (q == (mqd_t)-1)
		return -errno;
	if (mq_getattr(q, &attr) < 0) {
		r = -errno;
		goto out;
	}
	e->maxmsg = attr.mq_maxmsg;
	e->msgsize = attr.mq_msgsize;
	buf = malloc(attr.mq_msgsize + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		unsigned prio;
		ssize_t n = mq_receive(q, buf, attr.mq_msgsize, &prio);
		if (n < 0) {
			if (errno != EAGAIN)
				r = -errno;
			break;
		}
		r = mq_msgs_add(e, prio, buf, n);
		if (r < 0)
			break;
	}
	/* Put back what was taken, even after an error. */
	for (size_t i = 0; i < e->n_messages; i++)
		if (mq_send(q, (char *)e->messages[i]->data.data, e->messages[i]->data.len,
			    e->messages[i]->prio) < 0 && r >= 0)
			r = -errno;
out:
	mq_close(q);
	return r;
}

static int list_queues(const char *dir, IpcNsEntry *ns)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct stat st;
		int r;

		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0)
			return -errno;
		MqueueEntry *e = calloc(1, sizeof(*e));
		MqueueEntry **a = e ? realloc(ns->mqueue, (ns->n_mqueue + 1) * sizeof(*a)) : NULL;
		if (!a)
			return free(e), -ENOMEM;
		ns->mqueue = a;
		a[ns->n_mqueue++] = e;
		mqueue_entry__init(e);
		e->name = strdup(de->d_name);
		if (!e->name)
			return -ENOMEM;
		e->uid = st.st_uid;
		e->gid = st.st_gid;
		e->mode = st.st_mode & 0777;
		r = collect_queue(de->d_name, e);
		if (r < 0)
			return log_error_errno(r, "POSIX message queue /%s", de->d_name);
	}
	return 0;
}

int ipc_mqueue_collect(IpcNsEntry *ns)
{
	char dir[] = "/tmp/cryo-mqueue-XXXXXX";
	int r;

	/* A mount namespace of this thread only: the mount dies with it. */
	if (unshare(CLONE_NEWNS) < 0)
		return log_error_errno(-errno, "cannot unshare a mount namespace to list POSIX message queues");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return log_error_errno(-errno, "cannot make the private mount namespace private");
	if (!mkdtemp(dir))
		return log_error_errno(-errno, "cannot make a directory for the mqueue mount");
	if (mount("mqueue", dir, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		r = log_error_errno(-errno, "cannot mount the mqueue filesystem of the ipc namespace");
		rmdir(dir);
		return r;
	}
	r = list_queues(dir, ns);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	return r;
}

int ipc_mqueue_restore(const MqueueEntry *e)
{
	char qname[NAME_MAX + 2];
	struct mq_attr attr = { .mq_maxmsg = e->maxmsg, .mq_msgsize = e->msgsize };
	mqd_t q;
	int r = 0;

	if (!e->name[0] || strchr(e->name, '/') || strlen(e->name) > NAME_MAX) {
		log_error("POSIX message queue '%s': bad name", e->name);
		return -EBADMSG;
	}
	snprintf(qname, sizeof(qname), "/%s", e->name);
	q = mq_open(qname, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600, &attr);
	if (q == (mqd_t)-1)
		return log_error_errno(-errno, "POSIX message queue %s: cannot create it (%lld messages of %lld bytes)",
				       qname, (long long)e->maxmsg, (long long)e->msgsize);
	for (size_t i = 0; i < e->n_messages && r >= 0; i++)
		if (mq_send(q, (char *)e->messages[i]->data.data, e->messages[i]->data.len, e->messages[i]->prio) < 0)
			r = log_error_errno(-errno, "POSIX message queue %s: cannot send message %zu", qname, i);
	/* mq_open applied the umask; a queue is a file of the mqueue filesystem. */
	if (r >= 0 && (fchown(q, e->uid, e->gid) < 0 || fchmod(q, e->mode) < 0))
		r = log_error_errno(-errno, "POSIX message queue %s: cannot set owner %u:%u mode %o",
				    qname, e->uid, e->gid, e->mode);
	mq_close(q);
	return r;
}
