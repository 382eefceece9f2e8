/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cryo-netlock: the network lock by hand, for tests and debugging.  cryo and
 * cryo-cr call the library (netlock.h) directly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "netlock.h"

static void usage(FILE *f)
{
	fputs("usage: cryo-netlock [-v N] VERB [OPTIONS]\n"
	      "  lock [--netns PATH] --table NAME [--reuse]\n"
	      "        drop all traffic of a network namespace (default: ours)\n"
	      "  lock-conns --table NAME [--reuse] LOCAL,REMOTE...\n"
	      "        drop the TCP connections given as ADDR:PORT,ADDR:PORT\n"
	      "        (IPv6 as [ADDR]:PORT), in our network namespace\n"
	      "  unlock [--netns PATH] --table NAME\n"
	      "        remove the lock; a missing table is not an error\n"
	      "  exists [--netns PATH] --table NAME\n"
	      "        exit 0 if the table exists, 1 if not\n"
	      "  parse-mode MODE\n"
	      "        check a --network-lock value (nftables|skip)\n",
	      f);
}

/* "1.2.3.4:80" or "[::1]:80" */
static int parse_endpoint(const char *s, int *family, void *addr, uint16_t *port)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h = s;
	size_t hlen;
	char *end;
	unsigned long p;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
		*family = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - s);
		*family = AF_INET;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (inet_pton(*family, host, addr) != 1)
		return -EINVAL;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p == 0 || p > 65535)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static int parse_conn(const char *s, struct netlock_conn *c)
{
	char buf[128];
	char *comma;
	int f1, f2;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	comma = strchr(buf, ',');
	if (!comma)
		return -EINVAL;
	*comma = '\0';
	if (parse_endpoint(buf, &f1, &c->local, &c->local_port) < 0 ||
	    parse_endpoint(comma + 1, &f2, &c->remote, &c->remote_port) < 0 || f1 != f2)
		return -EINVAL;
	c->family = f1;
	return 0;
}

struct opts {
	const char *netns, *table;
	unsigned int flags;
};

static int open_netns(const char *path)
{
	int fd;

	if (!path)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		log_error_errno(negative_errno(), "cannot open network namespace %s", path);
	return fd;
}

static int run_lock_conns(const struct opts *o, int argc, char **argv)
{
	_cleanup_free_ struct netlock_conn *conns = calloc(argc > 0 ? argc : 1, sizeof(*conns));

	if (!conns)
		return 1;
	for (int i = 0; i < argc; i++)
		if (parse_conn(argv[i], &conns[i]) < 0) {
			log_error("lock-conns: bad connection '%s' (want LOCAL,REMOTE as ADDR:PORT or [ADDR6]:PORT)",
				  argv[i]);
			return 2;
		}
	return netlock_lock_conns_flags(conns, argc, o->table, o->flags) < 0 ? 1 : 0;
}

static int run_verb(const char *verb, const struct opts *o, int argc, char **argv)
{
	_cleanup_close_ int fd = -1;
	int r;

	if (strcmp(verb, "lock-conns") == 0)
		return run_lock_conns(o, argc, argv);
	if (argc > 0) {
		log_error("%s: unexpected argument '%s'", verb, argv[0]);
		return 2;
	}
	fd = open_netns(o->netns);
	if (o->netns && fd < 0)
		return 1;
	if (strcmp(verb, "lock") == 0)
		return netlock_lock_netns_flags(fd, o->table, o->flags) < 0 ? 1 : 0;
	if (strcmp(verb, "unlock") == 0)
		return netlock_unlock(fd, o->table) < 0 ? 1 : 0;
	r = netlock_table_exists(fd, o->table);
	if (r < 0)
		return 2;
	printf("table inet %s: %s\n", o->table, r ? "present" : "absent");
	return r ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "table", required_argument, NULL, 't' },
		{ "reuse", no_argument, NULL, 'r' },
		{ "fault-last", no_argument, NULL, 'F' }, /* tests: the kernel rejects the batch */
		{ "verbosity", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct opts o = { 0 };
	const char *verb;
	int verbosity = 2, c;

	while ((c = getopt_long(argc, argv, "+n:t:v:h", options, NULL)) != -1) {
		switch (c) {
		case 'n': o.netns = optarg; break;
		case 't': o.table = optarg; break;
		case 'r': o.flags |= NETLOCK_F_REUSE; break;
		case 'F': o.flags |= NETLOCK_F_FAULT_LAST; break;
		case 'v': verbosity = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (log_setup_cli(NULL, NULL, verbosity) < 0)
		return 2;
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	verb = argv[optind++];
	if (strcmp(verb, "parse-mode") == 0) {
		enum netlock_mode m;

		if (optind + 1 != argc) {
			log_error("parse-mode: want exactly one MODE");
			return 2;
		}
		if (netlock_parse_mode(argv[optind], &m) < 0)
			return 2;
		printf("%s\n", netlock_mode_name(m));
		return 0;
	}
	/* Options may also follow the verb. */
	while ((c = getopt_long(argc, argv, "n:t:", options, NULL)) != -1) {
		switch (c) {
		case 'n': o.netns = optarg; break;
		case 't': o.table = optarg; break;
		case 'r': o.flags |= NETLOCK_F_REUSE; break;
		case 'F': o.flags |= NETLOCK_F_FAULT_LAST; break;
		default: usage(stderr); return 2;
		}
	}
	if (strcmp(verb, "lock") && strcmp(verb, "lock-conns") && strcmp(verb, "unlock") &&
	    strcmp(verb, "exists")) {
		log_error("unknown verb '%s'", verb);
		usage(stderr);
		return 2;
	}
	if (!o.table) {
		log_error("%s: --table NAME is required", verb);
		return 2;
	}
	if (o.netns && strcmp(verb, "lock-conns") == 0) {
		log_error("lock-conns works in our own network namespace; run it there (ip netns exec)");
		return 2;
	}
	return run_verb(verb, &o, argc - optind, argv + optind);
}
