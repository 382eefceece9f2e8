/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TCP connections of a tree in the host network namespace, for the
 * connection lock: the socket inodes of every process's fds
 * (/proc/PID/fd -> "socket:[INO]"), matched against /proc/PID/net/tcp and
 * tcp6 (the rows of the namespace the processes live in).  docs/netlock.md.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "netlock.h"

/* /proc/net/tcp states that have no peer to lock. */
#define TCP_STATE_CLOSE 0x07
#define TCP_STATE_LISTEN 0x0a

struct inode_set {
	uint64_t *v;
	size_t n, cap;
};

static int inode_add(struct inode_set *s, uint64_t ino)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == ino)
			return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		uint64_t *v = reallocarray(s->v, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = ino;
	return 0;
}

static bool inode_has(const struct inode_set *s, uint64_t ino)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == ino)
			return true;
	return false;
}

static int collect_socket_inodes(pid_t pid, struct inode_set *s)
{
	char path[64], target[64];
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	_cleanup_closedir_ DIR *d = opendir(path);
	if (!d)
		return log_error_errno(negative_errno(), "network lock: cannot list %s", path);
	while ((de = readdir(d))) {
		char link[320];
		uint64_t ino;
		ssize_t l;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, de->d_name);
		l = readlink(link, target, sizeof(target) - 1);
		if (l < 0)
			continue;	/* closed meanwhile: the tree is frozen, so not ours to lock */
		target[l] = 0;
		if (sscanf(target, "socket:[%" SCNu64 "]", &ino) == 1) {
			int r = inode_add(s, ino);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* "0100007F:1F90" (tcp) or 32 hex digits and a port (tcp6): the kernel prints
 * the raw address as native 32-bit words. */
static int parse_endpoint(const char *s, int family, void *addr, uint16_t *port)
{
	unsigned words = family == AF_INET ? 1 : 4;
	uint32_t w[4];
	unsigned p;

	for (unsigned i = 0; i < words; i++) {
		char hex[9];
		memcpy(hex, s + 8 * i, 8);
		hex[8] = 0;
		if (sscanf(hex, "%" SCNx32, &w[i]) != 1)
			return -EINVAL;
	}
	if (s[8 * words] != ':' || sscanf(s + 8 * words + 1, "%x", &p) != 1)
		return -EINVAL;
	memcpy(addr, w, 4 * words);
	*port = (uint16_t)p;
	return 0;
}

static int conn_add(struct netlock_conn **v, size_t *n, const struct netlock_conn *c)
{
	struct netlock_conn *nv = reallocarray(*v, *n + 1, sizeof(**v));
	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = *c;
	*v = nv;
	return 0;
}

static int scan_table(pid_t pid, int family, const struct inode_set *s, struct netlock_conn **v, size_t *n)
{
	char path[64], line[512];

	snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, family == AF_INET ? "tcp" : "tcp6");
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && family == AF_INET6)
			return 0;	/* no IPv6 in this kernel */
		return log_error_errno(negative_errno(), "network lock: cannot read %s", path);
	}
	while (fgets(line, sizeof(line), f)) {
		char local[64], remote[64];
		unsigned state;
		uint64_t ino;
		struct netlock_conn c = { .family = family };

		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(line, " %*s %63s %63s %x %*s %*s %*s %*s %*s %" SCNu64, local, remote, &state, &ino) != 4)
			continue;	/* the header line */
		if (state == TCP_STATE_LISTEN || state == TCP_STATE_CLOSE || !inode_has(s, ino))
			continue;
		if (parse_endpoint(local, family, &c.local, &c.local_port) < 0 ||
		    parse_endpoint(remote, family, &c.remote, &c.remote_port) < 0) {
			log_error("network lock: %s: cannot parse the row of socket %" PRIu64, path, ino);
			return -EBADMSG;
		}
		int r = conn_add(v, n, &c);
		if (r < 0)
			return r;
	}
	return 0;
}

int netlock_tree_conns(const pid_t *pids, size_t n_pids, struct netlock_conn **ret, size_t *ret_n)
{
	struct inode_set s = { 0 };
	struct netlock_conn *v = NULL;
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; i < n_pids && r >= 0; i++)
		r = collect_socket_inodes(pids[i], &s);
	if (r >= 0 && n_pids && s.n) {
		r = scan_table(pids[0], AF_INET, &s, &v, &n);
		if (r >= 0)
			r = scan_table(pids[0], AF_INET6, &s, &v, &n);
	}
	free(s.v);
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
