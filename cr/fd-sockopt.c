/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Socket options: each one in the table is read from the dumped socket and
 * from a new socket of the same kind; only those that differ go to the
 * image.  The table's order is the order they are set at restore: IP_TOS
 * changes SO_PRIORITY as a side effect, so it comes first.
 *
 * Buffer sizes: getsockopt gives twice what setsockopt takes (the kernel
 * doubles for its bookkeeping), and the limits of net.core.[rw]mem_max do
 * not apply to root: they are set with SO_{SND,RCV}BUFFORCE and half the
 * value, which gives the same value back.  Like setting them in the task did,
 * this locks them (no autotuning).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "fd-sockopt.h"
#include "log.h"
#include "util.h"

enum opt_form { OPT_INT, OPT_BUF, OPT_TIMEO };

static const struct sockopt_def {
	int level, name;
	enum opt_form form;
	const char *label;
} defs[] = {
	{ IPPROTO_IP, IP_TOS, OPT_INT, "IP_TOS" },
	{ IPPROTO_IPV6, IPV6_TCLASS, OPT_INT, "IPV6_TCLASS" },
	{ SOL_SOCKET, SO_SNDBUF, OPT_BUF, "SO_SNDBUF" },
	{ SOL_SOCKET, SO_RCVBUF, OPT_BUF, "SO_RCVBUF" },
	{ SOL_SOCKET, SO_RCVTIMEO, OPT_TIMEO, "SO_RCVTIMEO" },
	{ SOL_SOCKET, SO_SNDTIMEO, OPT_TIMEO, "SO_SNDTIMEO" },
	{ SOL_SOCKET, SO_REUSEPORT, OPT_INT, "SO_REUSEPORT" },
	{ SOL_SOCKET, SO_KEEPALIVE, OPT_INT, "SO_KEEPALIVE" },
	{ SOL_SOCKET, SO_BROADCAST, OPT_INT, "SO_BROADCAST" },
	{ SOL_SOCKET, SO_PRIORITY, OPT_INT, "SO_PRIORITY" },
	{ SOL_SOCKET, SO_RCVLOWAT, OPT_INT, "SO_RCVLOWAT" },
	{ SOL_SOCKET, SO_MARK, OPT_INT, "SO_MARK" },
	{ SOL_SOCKET, SO_OOBINLINE, OPT_INT, "SO_OOBINLINE" },
	{ SOL_SOCKET, SO_PASSCRED, OPT_INT, "SO_PASSCRED" },
	{ SOL_SOCKET, SO_PASSSEC, OPT_INT, "SO_PASSSEC" },
	{ SOL_SOCKET, SO_PEEK_OFF, OPT_INT, "SO_PEEK_OFF" },
	{ SOL_SOCKET, SO_TIMESTAMP, OPT_INT, "SO_TIMESTAMP" },
	{ IPPROTO_TCP, TCP_NODELAY, OPT_INT, "TCP_NODELAY" },
	{ IPPROTO_TCP, TCP_KEEPIDLE, OPT_INT, "TCP_KEEPIDLE" },
	{ IPPROTO_TCP, TCP_KEEPINTVL, OPT_INT, "TCP_KEEPINTVL" },
	{ IPPROTO_TCP, TCP_KEEPCNT, OPT_INT, "TCP_KEEPCNT" },
	{ IPPROTO_TCP, TCP_CORK, OPT_INT, "TCP_CORK" },
	{ IPPROTO_TCP, TCP_USER_TIMEOUT, OPT_INT, "TCP_USER_TIMEOUT" },
	{ IPPROTO_IP, IP_TTL, OPT_INT, "IP_TTL" },
	{ IPPROTO_IP, IP_FREEBIND, OPT_INT, "IP_FREEBIND" },
	{ IPPROTO_IPV6, IPV6_V6ONLY, OPT_INT, "IPV6_V6ONLY" },
	{ IPPROTO_IPV6, IPV6_UNICAST_HOPS, OPT_INT, "IPV6_UNICAST_HOPS" },
};

static bool applies(const struct sockopt_def *d, int family, int protocol)
{
	switch (d->level) {
	case IPPROTO_IP: return family == AF_INET || family == AF_INET6;
	case IPPROTO_IPV6: return family == AF_INET6;
	case IPPROTO_TCP: return protocol == IPPROTO_TCP && family != AF_UNIX;
	}
	/* SO_PEEK_OFF means something only for unix sockets (and is refused by TCP) */
	return d->name != SO_PEEK_OFF || family == AF_UNIX;
}

/* The value as an int, or timeouts in usec. */
static int read_opt(int fd, const struct sockopt_def *d, int64_t *ret)
{
	if (d->form == OPT_TIMEO) {
		struct timeval tv;
		socklen_t len = sizeof(tv);
		if (getsockopt(fd, d->level, d->name, &tv, &len) < 0)
			return negative_errno();
		*ret = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
		return 0;
	}
	int v;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, d->level, d->name, &v, &len) < 0)
		return negative_errno();
	*ret = v;
	return 0;
}

static int add_opt(const struct sockopt_def *d, int64_t v, SockOpt ***opts, size_t *n_opts)
{
	SockOpt **n = realloc(*opts, (*n_opts + 1) * sizeof(*n));
	SockOpt *o;

	if (!n)
		return -ENOMEM;
	*opts = n;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	sock_opt__init(o);
	o->level = d->level;
	o->name = d->name;
	if (d->form == OPT_TIMEO) {
		o->has_usec = true;
		o->usec = v;
	} else
		o->value = (int32_t)v;
	n[(*n_opts)++] = o;
	return 0;
}

int sockopts_collect(int fd, int family, int type, int protocol, SockOpt ***opts, size_t *n_opts)
{
	_cleanup_close_ int fresh = socket(family, type | SOCK_CLOEXEC, protocol);

	if (fresh < 0)
		return negative_errno();
	for (size_t i = 0; i < ARRAY_SIZE(defs); i++) {
		int64_t v, d;

		if (!applies(&defs[i], family, protocol))
			continue;
		/* an option this kernel or socket does not have is not in use */
		if (read_opt(fd, &defs[i], &v) < 0 || read_opt(fresh, &defs[i], &d) < 0 || v == d)
			continue;
		int r = add_opt(&defs[i], v, opts, n_opts);
		if (r < 0)
			return r;
	}
	return 0;
}

static const struct sockopt_def *find_def(const SockOpt *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(defs); i++)
		if (defs[i].level == o->level && defs[i].name == o->name)
			return &defs[i];
	return NULL;
}

static int set_opt(int fd, const struct sockopt_def *d, const SockOpt *o)
{
	if (d->form == OPT_TIMEO) {
		if (!o->has_usec || o->usec < 0)
			return -EBADMSG;
		struct timeval tv = { .tv_sec = o->usec / 1000000, .tv_usec = o->usec % 1000000 };
		return setsockopt(fd, d->level, d->name, &tv, sizeof(tv)) < 0 ? negative_errno() : 0;
	}
	int v = o->value, name = d->name;
	if (d->form == OPT_BUF) {
		v /= 2;
		name = d->name == SO_SNDBUF ? SO_SNDBUFFORCE : SO_RCVBUFFORCE;
	}
	return setsockopt(fd, d->level, name, &v, sizeof(v)) < 0 ? negative_errno() : 0;
}

int sockopts_restore(int fd, SockOpt *const *opts, size_t n_opts, enum sockopts_which which)
{
	for (size_t i = 0; i < n_opts; i++) {
		const struct sockopt_def *d = find_def(opts[i]);

		if (!d) {
			log_error("socket option (level %d, option %d) in the image is unknown", opts[i]->level,
				  opts[i]->name);
			return -EBADMSG;
		}
		if ((which == SOCKOPTS_BUT_BUFFERS && d->form == OPT_BUF) ||
		    (which == SOCKOPTS_BUFFERS && d->form != OPT_BUF))
			continue;
		int r = set_opt(fd, d, opts[i]);
		if (r < 0)
			return log_error_errno(r, "setsockopt %s to %d", d->label, opts[i]->value);
	}
	return 0;
}
