/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Issue 7's "done means": a container-like tree, started by done.sh in new
 * pid, mount, network, uts, ipc and cgroup namespaces (pid 1 of its pid
 * namespace, pivot_root'ed), with a tmpfs, a bind mount of a host
 * directory, a veth pair to a peer namespace, a SysV shm segment shared
 * with a child and an established TCP connection to a peer in
 * another namespace (argv: PEER-ADDR PORT); its root is an overlayfs.  A thread answers the peer
 * with every message upper-cased, through dump and restore.
 *
 * After restore it checks: its pid is 1 and its child still has its pid
 * (in-namespace pids), the hostname, the mount table shape, the tmpfs file, the host
 * directory bind (it writes there for the runner), the shm contents and
 * that the child still shares the segment (the child checks the pattern
 * and answers through it), and that the connection answered the peer after
 * restore (argv[3]: messages answered in all, at least).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/zt.h"
#include "mntshape.h"

#define SHM_SIZE (1u << 20)
#define SHM_ANSWER (SHM_SIZE - 1)	/* the child's verdict: 1 good, 2 bad */
#define HOSTNAME "cryo-mn-done"

static int conn;
static volatile int answered;

static void *echo(void *arg)
{
	char buf[256];
	(void)arg;
	for (;;) {
		ssize_t n = recv(conn, buf, sizeof(buf), 0);
		if (n <= 0)
			return NULL;
		for (ssize_t i = 0; i < n; i++)
			buf[i] = (char)toupper((unsigned char)buf[i]);
		if (send(conn, buf, (size_t)n, 0) != n)
			return NULL;
		__atomic_add_fetch(&answered, 1, __ATOMIC_SEQ_CST);
	}
}

static volatile sig_atomic_t asked;
static void on_usr1(int sig) { (void)sig; asked = 1; }

/* The child: on SIGUSR1 check the segment and answer in its last byte. */
static _Noreturn void child_main(unsigned char *shm)
{
	sigset_t none;
	sigemptyset(&none);
	for (;;) {
		sigsuspend(&none);
		if (asked) {
			asked = 0;
			shm[SHM_ANSWER] = zt_check(shm, SHM_SIZE - 4096, 11) ? 2 : 1;
		}
	}
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		zt_fail("cannot write %s: %m", path);
	close(fd);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET }, got;
	socklen_t sl = sizeof(got);
	char host[64], *p;
	struct sigaction act = { .sa_handler = on_usr1 };
	pthread_t t;
	sigset_t usr1;

	zt_init(argc, argv);
	if (argc < 4)
		zt_fail("usage: zt-done PEER-ADDR PORT MIN-ANSWERS");
	if (getpid() != 1)
		zt_fail("started as pid %d, not as pid 1 of a new pid namespace", getpid());
	if (sethostname(HOSTNAME, strlen(HOSTNAME)) < 0)
		zt_fail("sethostname: %m");
	write_file("/tmp/state", "tmpfs contents\n");
	write_file("/rootfile", "written to the root");

	/* The first segment of the new IPC namespace: id 0, so its mapping
	 * shows inode 0 (the dump must still see a SysV segment). */
	int id = shmget(IPC_PRIVATE, SHM_SIZE, IPC_CREAT | 0600);
	unsigned char *shm = id < 0 ? NULL : shmat(id, NULL, 0);
	if (!shm || shm == (void *)-1)
		zt_fail("SysV shm: %m");
	if (id != 0)
		zt_fail("the first SysV segment of a new IPC namespace has id %d, not 0", id);
	zt_fill(shm, SHM_SIZE - 4096, 11);

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	sigaction(SIGUSR1, &act, NULL);
	pid_t child = fork();
	if (child < 0)
		zt_fail("fork: %m");
	if (child == 0)
		child_main(shm);

	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1)
		zt_fail("bad address %s", argv[1]);
	conn = socket(AF_INET, SOCK_STREAM, 0);
	if (conn < 0 || connect(conn, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		zt_fail("connect to %s:%s: %m", argv[1], argv[2]);
	if (pthread_create(&t, NULL, echo, NULL))
		zt_fail("pthread_create");
	char *before = mount_shape();
	zt_ready();
	zt_wait();

	if (getpid() != 1)
		zt_fail("restored as pid %d in its namespace, not 1", getpid());
	if (kill(child, 0) < 0)
		zt_fail("the child (pid %d) is gone after restore: %m", child);
	if (gethostname(host, sizeof(host)) < 0 || strcmp(host, HOSTNAME))
		zt_fail("hostname after restore is '%s'", host);
	char *after = mount_shape();
	if (strcmp(before, after)) {
		zt_log("mounts before:\n%s", before);
		zt_log("mounts after:\n%s", after);
		zt_fail("the mount table differs after restore (see the program's stderr)");
	}
	p = read_file("/rootfile", NULL);
	if (!p || strcmp(p, "written to the root"))
		zt_fail("/rootfile (the overlay root's upper layer) lost its contents");
	free(p);
	p = read_file("/image.txt", NULL);
	if (!p || strcmp(p, "from the image\n"))
		zt_fail("/image.txt (the overlay root's lower layer) is not there after restore");
	free(p);
	p = read_file("/tmp/state", NULL);
	if (!p || strcmp(p, "tmpfs contents\n"))
		zt_fail("/tmp/state lost its contents");
	free(p);
	p = read_file("/data/host.txt", NULL);
	if (!p || strcmp(p, "from the host\n"))
		zt_fail("/data/host.txt is not the host's file after restore");
	free(p);
	write_file("/data/from-tree", "written after restore\n");
	size_t bad = zt_check(shm, SHM_SIZE - 4096, 11);
	if (bad)
		zt_fail("the shm segment differs at byte %zu after restore", bad - 1);
	shm[SHM_ANSWER] = 0;
	if (kill(child, SIGUSR1) < 0)
		zt_fail("cannot signal the child: %m");
	for (int i = 0; i < 500 && !__atomic_load_n(&shm[SHM_ANSWER], __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	if (shm[SHM_ANSWER] != 1)
		zt_fail("the child %s the segment after restore",
			shm[SHM_ANSWER] == 2 ? "sees other contents in" : "did not answer through");
	if (getpeername(conn, (struct sockaddr *)&got, &sl) < 0 || got.sin_port != sa.sin_port)
		zt_fail("the connection is not to port %s after restore: %m", argv[2]);
	if (__atomic_load_n(&answered, __ATOMIC_SEQ_CST) < atoi(argv[3]))
		zt_fail("answered %d messages, %s expected", answered, argv[3]);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	zt_pass();
}
