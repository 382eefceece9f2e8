/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A tree in its own mount and network namespaces, as a container: started
 * by mntnet-run.sh through unshare + pivot_root into a prepared root with
 *   /tmp    tmpfs whose files this program writes (contents, modes, a
 *           symlink, a sparse file, a directory)
 *   /data   a bind of a host directory (external 'data'): host.txt is read,
 *           from-tree is written after restore for the runner to see
 *   /ro     a tmpfs mounted ro,nosuid,nodev,noexec
 *   /shr    a shared tmpfs; /peer a bind of it (same peer group); /slv a
 *           slave bind of it
 *   /over   a tmpfs hidden under another tmpfs
 *   /proc, /sys, /usr (external, read-only), /share (external: this
 *   program, the pid and result files)
 * and a listening TCP socket on the veth address given as argv[1].
 *
 * After restore it checks: the mount table has the same shape (sorted,
 * ids and peer group numbers renamed), every file of /tmp, the flags
 * (EROFS on /ro), live propagation (/shr -> /peer and /slv, /slv -/-> /shr),
 * the hidden tmpfs under /over, the bind of the host directory, the socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/zt.h"
#include "mntshape.h"

#define BIG_SIZE (3u << 20)

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) < 0)
		zt_fail("cannot write %s: %m", path);
	close(fd);
}

static void make_tmpfs_files(void)
{
	static char big[BIG_SIZE];
	char *p;

	if (mkdir("/tmp/dir", 0710) < 0 || mkdir("/tmp/dir/sub", 0755) < 0)
		zt_fail("mkdir in /tmp: %m");
	zt_fill(big, 1 << 20, 7);
	/* A sparse file: data at the start and at 2 MiB, a hole between. */
	int fd = open("/tmp/dir/sparse", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || pwrite(fd, big, 4096, 0) != 4096 || pwrite(fd, big + 4096, 4096, 2 << 20) != 4096 ||
	    ftruncate(fd, BIG_SIZE) < 0)
		zt_fail("sparse file: %m");
	close(fd);
	write_file("/tmp/big", big, 1 << 20, 0644);
	write_file("/tmp/dir/sub/secret", "not for others\n", 15, 04750);
	if (symlink("dir/sub/secret", "/tmp/link") < 0)
		zt_fail("symlink: %m");
	p = read_file("/over/top", NULL);
	if (!p || strcmp(p, "top\n"))
		zt_fail("/over/top is not the over-mount's file before the dump");
	free(p);
}

static void check_file(const char *path, const void *want, size_t len, mode_t mode)
{
	struct stat st;
	size_t n;
	char *got = read_file(path, &n);

	if (!got)
		zt_fail("%s is gone after restore: %m", path);
	if (n != len || memcmp(got, want, len))
		zt_fail("%s has other contents after restore (%zu bytes, %zu expected)", path, n, len);
	free(got);
	if (lstat(path, &st) < 0 || (st.st_mode & 07777) != mode)
		zt_fail("%s has mode %o after restore, %o expected", path, (unsigned)(st.st_mode & 07777), (unsigned)mode);
}

static void check_tmpfs_files(void)
{
	static char big[BIG_SIZE], want[BIG_SIZE];
	char target[64];
	struct stat st;
	ssize_t l;

	zt_fill(want, 1 << 20, 7);
	check_file("/tmp/big", want, 1 << 20, 0644);
	check_file("/tmp/dir/sub/secret", "not for others\n", 15, 04750);
	memset(big, 0, sizeof(big));
	memcpy(big, want, 4096);
	memcpy(big + (2 << 20), want + 4096, 4096);
	check_file("/tmp/dir/sparse", big, BIG_SIZE, 0600);
	if (stat("/tmp/dir", &st) < 0 || (st.st_mode & 07777) != 0710)
		zt_fail("/tmp/dir lost its mode");
	l = readlink("/tmp/link", target, sizeof(target) - 1);
	if (l < 0 || (target[l] = 0, strcmp(target, "dir/sub/secret")))
		zt_fail("/tmp/link is not the symlink it was");
}

static void check_propagation(void)
{
	struct stat st;

	if (mkdir("/shr/sub", 0755) < 0 && errno != EEXIST)
		zt_fail("mkdir /shr/sub: %m");
	if (mount("cryo-mn-prop", "/shr/sub", "tmpfs", 0, NULL) < 0)
		zt_fail("mount on /shr/sub: %m");
	write_file("/shr/sub/mark", "m", 1, 0644);
	if (stat("/peer/sub/mark", &st) < 0)
		zt_fail("a mount in /shr did not propagate to its peer /peer after restore");
	if (stat("/slv/sub/mark", &st) < 0)
		zt_fail("a mount in /shr did not propagate to its slave /slv after restore");
	if (mkdir("/slv/back", 0755) < 0 && errno != EEXIST)
		zt_fail("mkdir /slv/back: %m");
	if (mount("cryo-mn-back", "/slv/back", "tmpfs", 0, NULL) < 0)
		zt_fail("mount on /slv/back: %m");
	write_file("/slv/back/mark", "b", 1, 0644);
	if (stat("/shr/back/mark", &st) == 0)
		zt_fail("a mount in the slave /slv propagated back to /shr after restore");
}

static void check_flags_and_binds(void)
{
	char *p;

	if (open("/ro/x", O_WRONLY | O_CREAT | O_CLOEXEC, 0644) >= 0 || errno != EROFS)
		zt_fail("/ro is writable after restore (errno %d)", errno);
	p = read_file("/ro/inside", NULL);
	if (!p || strcmp(p, "ro\n"))
		zt_fail("/ro/inside is not the file of the read-only tmpfs");
	free(p);
	p = read_file("/data/host.txt", NULL);
	if (!p || strcmp(p, "from the host\n"))
		zt_fail("/data/host.txt is not the host's file after restore");
	free(p);
	write_file("/data/from-tree", "written after restore\n", 22, 0644);
	/* The over-mount is on top; the tmpfs below it kept its file. */
	p = read_file("/over/top", NULL);
	if (!p || strcmp(p, "top\n"))
		zt_fail("/over does not show the over-mount after restore");
	free(p);
	if (umount2("/over", MNT_DETACH) < 0)
		zt_fail("umount /over: %m");
	p = read_file("/over/under", NULL);
	if (!p || strcmp(p, "under\n"))
		zt_fail("the tmpfs hidden under /over lost its file");
	free(p);
}

static int listen_on(const char *addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(7777) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		zt_fail("socket or address %s", addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0)
		zt_fail("listen on %s:7777: %m", addr);
	return fd;
}

int main(int argc, char **argv)
{
	zt_init(argc, argv);
	if (argc < 2)
		zt_fail("usage: zt-mntnet ADDR");
	int lfd = listen_on(argv[1]);
	make_tmpfs_files();
	char *before = mount_shape();
	zt_ready();
	zt_wait();

	char *after = mount_shape();
	if (strcmp(before, after)) {
		zt_log("mounts before:\n%s", before);
		zt_log("mounts after:\n%s", after);
		zt_fail("the mount table differs after restore (see the program's stderr)");
	}
	check_tmpfs_files();
	check_flags_and_binds();
	check_propagation();
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char a[32];
	if (getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0 || ntohs(sa.sin_port) != 7777 ||
	    strcmp(inet_ntop(AF_INET, &sa.sin_addr, a, sizeof(a)), argv[1]))
		zt_fail("the listening socket is not on %s:7777 after restore", argv[1]);
	zt_pass();
}
