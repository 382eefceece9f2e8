/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The netlock API on real network namespaces: lock, read back with
 * NFT_MSG_GETTABLE, double lock, reuse, unlock of a missing table, atomicity
 * of a batch the kernel rejects half way, big batches, bad input.
 *
 * The test first moves itself into a fresh network namespace, so nothing it
 * does reaches the host's ruleset; the "tree" namespace is another fresh one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kerndat.h"
#include "log.h"
#include "netlock.h"

static int failures;

#define CHECK(cond, ...)                                              \
	do {                                                          \
		if (!(cond)) {                                        \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                          \
			printf("\n");                                 \
			failures++;                                   \
		}                                                     \
	} while (0)

/* A new network namespace, kept alive by the returned fd; the caller stays where it is. */
static int new_netns(void)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), fd;

	if (self < 0 || unshare(CLONE_NEWNET) < 0) {
		perror("new_netns");
		exit(1);
	}
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(self, CLONE_NEWNET) < 0) {
		perror("new_netns: back");
		exit(1);
	}
	close(self);
	return fd;
}

static void test_parse_mode(void)
{
	enum netlock_mode m = NETLOCK_MODE_SKIP;

	CHECK(netlock_parse_mode("nftables", &m) == 0 && m == NETLOCK_MODE_NFTABLES, "nftables");
	CHECK(netlock_parse_mode("skip", &m) == 0 && m == NETLOCK_MODE_SKIP, "skip");
	CHECK(netlock_parse_mode("iptables", &m) == -EINVAL, "iptables must be refused");
	CHECK(netlock_parse_mode("NFTABLES", &m) == -EINVAL, "case matters");
	CHECK(netlock_parse_mode("", &m) == -EINVAL, "empty");
	CHECK(netlock_parse_mode(NULL, &m) == -EINVAL, "NULL");
	CHECK(strcmp(netlock_mode_name(NETLOCK_MODE_NFTABLES), "nftables") == 0, "name");
}

static void test_table_name(void)
{
	char buf[NETLOCK_TABLE_NAME_MAX], big[300];

	CHECK(netlock_table_name(buf, sizeof(buf), "42") == 0 && strcmp(buf, "cryo-lock-42") == 0,
	      "got '%s'", buf);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(netlock_table_name(buf, sizeof(buf), big) == -ENAMETOOLONG, "long id");
}

static void test_netns_lock(int tree)
{
	const char *t = "cryo-lock-api";

	CHECK(netlock_table_exists(tree, t) == 0, "no table before");
	CHECK(netlock_lock_netns(tree, t) == 0, "lock");
	CHECK(netlock_table_exists(tree, t) == 1, "table after lock");
	CHECK(netlock_table_exists(-1, t) == 0, "only in the tree's namespace");
	CHECK(netlock_lock_netns(tree, t) == -EEXIST, "second lock must fail with EEXIST");
	CHECK(netlock_table_exists(tree, t) == 1, "the failed second lock kept the first");
	CHECK(netlock_lock_netns_flags(tree, t, NETLOCK_F_REUSE) == 0, "lock with reuse");
	CHECK(netlock_table_exists(tree, t) == 1, "table after reuse");

	/* A rejected batch with reuse must not have deleted the old table. */
	CHECK(netlock_lock_netns_flags(tree, t, NETLOCK_F_REUSE | NETLOCK_F_FAULT_LAST) < 0,
	      "injected fault must fail");
	CHECK(netlock_table_exists(tree, t) == 1, "old table survives a rejected batch");

	CHECK(netlock_unlock(tree, t) == 0, "unlock");
	CHECK(netlock_table_exists(tree, t) == 0, "no table after unlock");
	CHECK(netlock_unlock(tree, t) == 0, "unlock of a missing table is fine");

	/* The table is the batch's first message; a later failure must undo it. */
	CHECK(netlock_lock_netns_flags(tree, t, NETLOCK_F_FAULT_LAST) < 0, "injected fault");
	CHECK(netlock_table_exists(tree, t) == 0, "no table after a rejected batch");
}

static void test_bad_input(int tree)
{
	char big[300];
	int not_netns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	struct netlock_conn c = { .family = AF_UNIX };

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(netlock_lock_netns(tree, big) == -ENAMETOOLONG, "300-byte table name");
	CHECK(netlock_lock_netns(tree, "") == -EINVAL, "empty table name");
	CHECK(netlock_lock_netns(not_netns, "cryo-lock-x") == -EINVAL, "mount ns fd is not a netns");
	CHECK(netlock_lock_conns(&c, 1, "cryo-lock-bad") == -EAFNOSUPPORT, "AF_UNIX conn");
	CHECK(netlock_table_exists(-1, "cryo-lock-bad") == 0, "no table after bad conn");

	c.family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:10.0.0.1", &c.local.v6);
	inet_pton(AF_INET6, "fd00::1", &c.remote.v6);
	CHECK(netlock_lock_conns(&c, 1, "cryo-lock-bad") == -EINVAL, "mixed mapped/plain");
	close(not_netns);
}

/* Many connections: one batch far bigger than the default socket buffer. */
static void test_many_conns(void)
{
	const size_t n = 1500;
	struct netlock_conn *conns = calloc(n, sizeof(*conns));
	const char *t = "cryo-lock-many";

	for (size_t i = 0; i < n; i++) {
		conns[i].family = i % 2 ? AF_INET6 : AF_INET;
		if (i % 2) {
			inet_pton(AF_INET6, "fd00::1", &conns[i].local.v6);
			inet_pton(AF_INET6, "fd00::2", &conns[i].remote.v6);
		} else {
			conns[i].local.v4.s_addr = htonl(0x0a000001);
			conns[i].remote.v4.s_addr = htonl(0x0a000002);
		}
		conns[i].local_port = 10000 + i;
		conns[i].remote_port = 40000;
	}
	CHECK(netlock_lock_conns(conns, n, t) == 0, "lock %zu connections", n);
	CHECK(netlock_table_exists(-1, t) == 1, "table with %zu connections", n);
	CHECK(netlock_lock_conns(conns, 0, t) == -EEXIST, "second conns lock");
	CHECK(netlock_unlock(-1, t) == 0, "unlock");
	CHECK(netlock_table_exists(-1, t) == 0, "gone");
	CHECK(netlock_lock_conns(NULL, 0, t) == 0, "empty list");
	CHECK(netlock_unlock(-1, t) == 0, "unlock empty");
	free(conns);
}

/* A child in its own netns is a tree to lock as a namespace; we are not. */
static void test_tree(void)
{
	int ready[2], hold[2], fd = -2;
	struct stat a, b;
	char path[64];
	pid_t child;

	if (pipe(ready) < 0 || pipe(hold) < 0) {
		perror("pipe");
		exit(1);
	}
	child = fork();
	if (child == 0) {
		char c;

		close(hold[1]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		(void)!write(ready[1], "r", 1);
		(void)!read(hold[0], &c, 1);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	if (read(ready[0], path, 1) != 1) {
		printf("FAIL: child could not make a network namespace\n");
		exit(1);
	}

	CHECK(netlock_tree_netns(getpid(), &fd) == 0 && fd == -1, "we share our own namespace");
	CHECK(netlock_tree_netns(child, &fd) == 0 && fd >= 0, "child has its own namespace");
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)child);
	CHECK(fd >= 0 && fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino,
	      "the fd is the child's namespace");

	CHECK(netlock_tree_lock(NETLOCK_MODE_SKIP, fd, NULL, 0, "cryo-lock-tree", 0) == 0, "skip");
	CHECK(netlock_table_exists(fd, "cryo-lock-tree") == 0, "skip makes no table");
	CHECK(netlock_tree_lock(NETLOCK_MODE_NFTABLES, fd, NULL, 0, "cryo-lock-tree", 0) == 0, "lock");
	CHECK(netlock_table_exists(fd, "cryo-lock-tree") == 1, "tree lock in the child's namespace");
	CHECK(netlock_table_exists(-1, "cryo-lock-tree") == 0, "not in ours");
	/* Restore takes over the lock a dump left behind. */
	CHECK(netlock_tree_lock(NETLOCK_MODE_NFTABLES, fd, NULL, 0, "cryo-lock-tree", NETLOCK_F_REUSE) == 0,
	      "restore's lock with reuse over the dump's");
	CHECK(netlock_tree_unlock(NETLOCK_MODE_SKIP, fd, "cryo-lock-tree") == 0, "skip unlock");
	CHECK(netlock_table_exists(fd, "cryo-lock-tree") == 1, "skip unlock leaves the table");
	CHECK(netlock_tree_unlock(NETLOCK_MODE_NFTABLES, fd, "cryo-lock-tree") == 0, "unlock");
	CHECK(netlock_table_exists(fd, "cryo-lock-tree") == 0, "unlocked");
	CHECK(netlock_tree_netns(999999999, &fd) == -ENOENT, "no such process");

	close(hold[1]);
	waitpid(child, NULL, 0);
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	int tree;

	log_init(NULL, LOG_FMT_TEXT, LOG_LVL_WARN);
	if (kerndat_init() < 0) {
		printf("FAIL: cannot probe kernel features\n");
		return 1;
	}
	if (!kerndat_has(KD_NFTABLES)) {
		printf("SKIP: kernel feature %s missing: %s (%s)\n", kerndat_feature_name(KD_NFTABLES),
		       kerndat_feature_cost(KD_NFTABLES), kerndat_detail(KD_NFTABLES));
		return 77;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		printf("SKIP: cannot make a network namespace for the test: %s\n", strerror(errno));
		return 77;
	}
	tree = new_netns();

	test_parse_mode();
	test_table_name();
	test_netns_lock(tree);
	test_bad_input(tree);
	test_many_conns();
	test_tree();

	if (failures) {
		printf("FAIL: %d checks failed\n", failures);
		return 1;
	}
	printf("PASS\n");
	return 0;
}
