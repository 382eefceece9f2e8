// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Mount namespace C/R through the library, on real namespaces.
 *
 * A child builds its own mount namespace on a tmpfs root: proc, sysfs, devpts,
 * mqueue, a bind of a host directory (external "data"), a tmpfs with files, a
 * bind of a directory of it, a tmpfs inside it, a read-only nosuid/nodev/noexec tmpfs, a shared tmpfs with a peer
 * bind and a slave bind, and a tmpfs hidden under another one.  The parent
 * collects and dumps it, kills it, and a second child restores the image into
 * a fresh mount namespace.  Checked: the mountinfo shape (mountpoints, types,
 * roots, flags, propagation with group numbers renamed), file contents byte for
 * byte with modes/owners/xattrs/symlinks, the hidden tmpfs's files, live
 * propagation (a mount under the shared one shows in its peer and slave, one
 * under the slave does not go back), and that an unnamed external is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "log.h"
#include "mnt.h"
#include "image.h"
#include "proto/inventory.pb-c.h"

static char work[64], hostdata[128];
static pid_t a, b;	/* the children, killed at exit if still there */
static int failures;

#define FAIL(...) do { fprintf(stderr, "FAIL: " __VA_ARGS__); fputc('\n', stderr); failures++; } while (0)
#define DIE(...) do { fprintf(stderr, "ERROR: " __VA_ARGS__); fprintf(stderr, ": %s\n", strerror(errno)); _exit(2); } while (0)

#define BIG_SIZE (3u << 20)

/* Deterministic bytes with a hole of zeros in the middle (a sparse chunk). */
static unsigned char big_byte(size_t i)
{
	if (i >= (1u << 20) && i < (2u << 20))
		return 0;
	return (unsigned char)((i * 2654435761u) >> 13);
}

static void write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		DIE("write %s", path);
	close(fd);
	chmod(path, mode);
}

static void xmount(const char *src, const char *tgt, const char *type, unsigned long fl, const char *data)
{
	if (mount(src, tgt, type, fl, data) < 0)
		DIE("mount %s on %s", type ? type : src, tgt);
}

static void fill_tmp(void)
{
	unsigned char *big = malloc(BIG_SIZE);

	for (size_t i = 0; i < BIG_SIZE; i++)
		big[i] = big_byte(i);
	write_file("/tmp/a.txt", "hello mounts\n", 13, 0640);
	if (setxattr("/tmp/a.txt", "user.note", "v1", 2, 0) < 0)
		DIE("setxattr");
	if (chown("/tmp/a.txt", 1000, 1001) < 0)
		DIE("chown");
	write_file("/tmp/big.bin", big, BIG_SIZE, 0600);
	free(big);
	if (symlink("a.txt", "/tmp/link") < 0 || mkdir("/tmp/sub", 0750) < 0 || mkfifo("/tmp/sub/pipe", 0620) < 0 ||
	    chown("/tmp/sub", 1000, 1000) < 0 || mkdir("/tmp/inner", 0755) < 0)
		DIE("populate /tmp");
	if (chmod("/tmp/sub/pipe", 0620) < 0)
		DIE("chmod pipe");
	write_file("/tmp/sub/suid", "x", 1, 04755);
}

/* The dumped child: build the namespace, signal, wait to be killed. */
static void child_setup(int ready)
{
	char root[128], put[160], data[160];
	static const char *const dirs[] = { "proc", "sys", "dev", "data", "tmp", "ro", "shared", "peer",
					    "slave", "over", "bound" };

	if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC) < 0)
		DIE("unshare");
	xmount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	snprintf(root, sizeof(root), "%s/rootA", work);
	xmount("rootfs", root, "tmpfs", 0, "mode=0755");
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(put, sizeof(put), "%s/%s", root, dirs[i]);
		if (mkdir(put, 0755) < 0)
			DIE("mkdir %s", put);
	}
	snprintf(put, sizeof(put), "%s/dev/pts", root);
	mkdir(put, 0755);
	snprintf(put, sizeof(put), "%s/dev/mqueue", root);
	mkdir(put, 0755);
	snprintf(data, sizeof(data), "%s/data", root);
	xmount(hostdata, data, NULL, MS_BIND, NULL);
	if (chdir(root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		DIE("pivot_root");
	xmount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	xmount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID, NULL);
	xmount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620");
	xmount("tmpfs", "/tmp", "tmpfs", MS_NODEV, "size=16m,mode=1777");
	fill_tmp();
	xmount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	xmount("/tmp/sub", "/bound", NULL, MS_BIND, NULL);
	xmount("inner", "/tmp/inner", "tmpfs", 0, "size=1m");
	write_file("/tmp/inner/deep.txt", "deep\n", 5, 0644);
	xmount("rofs", "/ro", "tmpfs", 0, NULL);
	write_file("/ro/file", "read only\n", 10, 0444);
	xmount(NULL, "/ro", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	xmount("shr", "/shared", "tmpfs", 0, NULL);
	xmount(NULL, "/shared", NULL, MS_SHARED, NULL);
	write_file("/shared/s.txt", "shared\n", 7, 0644);
	xmount("/shared", "/peer", NULL, MS_BIND, NULL);
	xmount("/shared", "/slave", NULL, MS_BIND, NULL);
	xmount(NULL, "/slave", NULL, MS_SLAVE, NULL);
	xmount("lower", "/over", "tmpfs", 0, NULL);
	write_file("/over/lower.txt", "lower\n", 6, 0644);
	xmount("upper", "/over", "tmpfs", 0, NULL);
	write_file("/over/upper.txt", "upper\n", 6, 0644);
	if (write(ready, "r", 1) != 1)
		_exit(2);
	pause();
	_exit(0);
}

/* ---- shape ------------------------------------------------------------ */

struct shape_line {
	char text[512];
	const struct mnt_node *m;
	int depth;
};

static int stack_depth(const struct mnt_tree *t, const struct mnt_node *m)
{
	int d = 0;

	while (m->parent >= 0 && !strcmp(t->m[m->parent].mountpoint, m->mountpoint)) {
		m = &t->m[m->parent];
		d++;
	}
	return d;
}

static int cmp_line(const void *a, const void *b)
{
	const struct shape_line *x = a, *y = b;
	int c = strcmp(x->m->mountpoint, y->m->mountpoint);

	return c ? c : x->depth - y->depth;
}

/* One line per mount, sorted; peer group numbers renamed by first use. */
static char *shape_of(pid_t pid)
{
	char path[64];
	struct mnt_tree *t = NULL;
	unsigned groups[64] = { 0 }, ngroups = 0;
	static char out[16384];

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	if (mnt_parse_mountinfo(path, &t) < 0 || mnt_tree_link(t) < 0)
		return NULL;
	struct shape_line *l = calloc(t->n, sizeof(*l));
	for (size_t i = 0; i < t->n; i++) {
		l[i].m = &t->m[i];
		l[i].depth = stack_depth(t, &t->m[i]);
	}
	qsort(l, t->n, sizeof(*l), cmp_line);
	out[0] = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct mnt_node *m = l[i].m;
		unsigned ids[2] = { m->shared_id, m->master_id }, canon[2] = { 0, 0 };

		for (int k = 0; k < 2; k++) {
			if (!ids[k])
				continue;
			unsigned g;
			for (g = 0; g < ngroups && groups[g] != ids[k]; g++)
				;
			if (g == ngroups)
				groups[ngroups++] = ids[k];
			canon[k] = g + 1;
		}
		snprintf(l[i].text, sizeof(l[i].text), "%s depth=%d %s root=%s flags=%#x super_ro=%d shared=%u master=%u\n",
			 m->mountpoint, l[i].depth, m->fstype, m->root,
			 m->mnt_flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC), m->super_ro, canon[0], canon[1]);
		strncat(out, l[i].text, sizeof(out) - strlen(out) - 1);
	}
	free(l);
	mnt_tree_free(t);
	return strdup(out);
}

/* ---- dump ---------------------------------------------------------------- */

static int dump(pid_t pid, const char *imgdir)
{
	struct mnt_external ext = { .key = "data", .path = "/data" };
	struct mnt_dump_opts none = { 0 }, opts = { .ext = &ext, .n_ext = 1 };
	struct mnt_tree *t = NULL;
	struct img_dir *d = NULL;
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	struct img *img = NULL;
	int r;

	r = mnt_collect(pid, &none, &t);
	if (r != -EOPNOTSUPP)
		FAIL("collect without naming /data returned %d, expected -EOPNOTSUPP", r);
	mnt_tree_free(t);
	t = NULL;
	r = mnt_collect(pid, &opts, &t);
	if (r < 0)
		return r;
	r = img_dir_open_write(imgdir, &d);
	if (r >= 0)
		r = mnt_dump(pid, t, d, 1);
	if (r >= 0)
		r = img_inventory_init(&inv);
	if (r >= 0 && (r = img_open(d, IMG_INVENTORY, true, &img)) >= 0) {
		r = img_write(img, &inv.base);
		int rc = img_close(img);
		r = r < 0 ? r : rc;
	}
	img_inventory_clear(&inv);
	if (r >= 0)
		r = img_dir_commit(d);
	img_dir_close(d);
	mnt_tree_free(t);
	return r;
}

/* An image that asks for a filesystem cryo does not make anew (here every
 * tmpfs turned into ext4) is refused at load: restore never mounts a device
 * an image names. */
static void check_tampered(const char *imgdir)
{
	const char *tool = getenv("CRYO_IMAGE");
	struct img_dir *d = NULL;
	struct mnt_tree *t = NULL;
	char cmd[1024], bad[128];
	int r;

	if (!tool)
		return;
	snprintf(bad, sizeof(bad), "%s/bad", work);
	snprintf(cmd, sizeof(cmd),
		 "mkdir %s && cp %s/inventory.img %s/ && '%s' decode %s/mounts-1.img | sed 's/\"tmpfs\"/\"ext4\"/g' > %s/bad.json && '%s' encode -i %s/bad.json -o %s/mounts-1.img",
		 bad, imgdir, bad, tool, imgdir, work, tool, work, bad);
	if (system(cmd)) {
		FAIL("cannot make a tampered mount image");
		return;
	}
	r = img_dir_open_read(bad, &d);
	if (r >= 0)
		r = mnt_load(d, 1, &t);
	if (r != -EINVAL)
		FAIL("a mount image asking for ext4 was loaded (%d)", r);
	mnt_tree_free(t);
	img_dir_close(d);
}

/* ---- restore ------------------------------------------------------------- */

/* Restoring without a mapping for the external "data" fails (-ENOENT, naming
 * it), and a mount restored before its parent is refused.  In a throwaway
 * child: the half-built namespace goes with it. */
static void check_restore_refusals(const char *imgdir)
{
	pid_t c = fork();
	int status;

	if (c == 0) {
		char stage[128];
		struct mnt_restore_opts o = { .workdir = stage };
		struct mnt_tree *t = NULL;
		struct img_dir *d = NULL;
		int r;

		snprintf(stage, sizeof(stage), "%s/stage", work);
		if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC) < 0 || img_dir_open_read(imgdir, &d) < 0 ||
		    mnt_load(d, 1, &t) < 0)
			_exit(2);
		r = mnt_restore_begin(t, &o);
		/* the last mount in the file is never the root: its parent is not there yet */
		if (r < 0 || mnt_restore_mount(d, t, t->n - 1, &o) != -EINVAL)
			_exit(3);
		mnt_tree_free(t);
		t = NULL;
		if (mnt_load(d, 1, &t) < 0)
			_exit(2);
		r = mnt_restore(d, t, &o);
		_exit(r == -ENOENT ? 0 : 4);
	}
	if (c < 0 || waitpid(c, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		FAIL("restore refusals (an unmapped external, a mount before its parent): child status %d",
		     c > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static int file_is(const char *path, const char *want)
{
	char buf[256] = { 0 };
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	return n >= 0 && !strcmp(buf, want);
}

static unsigned mnt_id(const char *path)
{
	struct statx stx;

	return statx(AT_FDCWD, path, 0, STATX_MNT_ID, &stx) < 0 ? 0 : (unsigned)stx.stx_mnt_id;
}

/* Checks that need to be inside: the hidden tmpfs, live propagation. */
static int inside_checks(void)
{
	int bad = 0;

	if (mkdir("/shared/x", 0755) < 0 || mount("x", "/shared/x", "tmpfs", 0, NULL) < 0)
		return 20;
	if (mnt_id("/peer/x") == mnt_id("/peer")) {
		fprintf(stderr, "FAIL: a mount under /shared did not propagate to its peer /peer\n");
		bad = 21;
	}
	if (mnt_id("/slave/x") == mnt_id("/slave")) {
		fprintf(stderr, "FAIL: a mount under /shared did not propagate to its slave /slave\n");
		bad = 22;
	}
	if (mkdir("/slave/y", 0755) < 0 || mount("y", "/slave/y", "tmpfs", 0, NULL) < 0)
		return 23;
	if (mnt_id("/shared/y") != mnt_id("/shared")) {
		fprintf(stderr, "FAIL: a mount under the slave /slave propagated back to /shared\n");
		bad = 24;
	}
	if (umount2("/over", MNT_DETACH) < 0 || !file_is("/over/lower.txt", "lower\n")) {
		fprintf(stderr, "FAIL: the tmpfs under the over-mount /over lost lower.txt\n");
		bad = 25;
	}
	return bad;
}

static void child_restore(const char *imgdir, int ready, int go)
{
	struct mnt_external ext = { .key = "data", .path = hostdata };
	char stage[128];
	struct mnt_restore_opts o = { .ext = &ext, .n_ext = 1, .workdir = stage };
	struct mnt_tree *t = NULL;
	struct img_dir *d = NULL;
	char c;

	snprintf(stage, sizeof(stage), "%s/stage", work);
	if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC) < 0)
		DIE("unshare");
	if (getenv("MNTNET_SKIP_RESTORE")) {
		/* For checking by hand that the test fails without the restore. */
	} else if (img_dir_open_read(imgdir, &d) < 0 || mnt_load(d, 1, &t) < 0 || mnt_restore(d, t, &o) < 0) {
		fprintf(stderr, "ERROR: restore failed\n");
		_exit(3);
	}
	img_dir_close(d);
	mnt_tree_free(t);
	if (write(ready, "r", 1) != 1 || read(go, &c, 1) != 1)
		_exit(2);
	_exit(inside_checks());
}

static void check_contents(pid_t pid)
{
	char p[256];
	struct stat st;
	char x[16] = { 0 };

	snprintf(p, sizeof(p), "/proc/%d/root/tmp/a.txt", (int)pid);
	if (!file_is(p, "hello mounts\n"))
		FAIL("/tmp/a.txt content");
	if (stat(p, &st) < 0 || (st.st_mode & 07777) != 0640 || st.st_uid != 1000 || st.st_gid != 1001)
		FAIL("/tmp/a.txt mode/owner");
	if (getxattr(p, "user.note", x, sizeof(x)) != 2 || strcmp(x, "v1"))
		FAIL("/tmp/a.txt xattr user.note");
	snprintf(p, sizeof(p), "/proc/%d/root/tmp/big.bin", (int)pid);
	FILE *f = fopen(p, "r");
	size_t i = 0;
	int ch;
	while (f && (ch = fgetc(f)) != EOF && i < BIG_SIZE && (unsigned char)ch == big_byte(i))
		i++;
	if (!f || i != BIG_SIZE || fgetc(f) != EOF)
		FAIL("/tmp/big.bin differs at byte %zu", i);
	if (f)
		fclose(f);
	snprintf(p, sizeof(p), "/proc/%d/root/tmp/link", (int)pid);
	ssize_t n = readlink(p, x, sizeof(x) - 1);
	if (n != 5 || strncmp(x, "a.txt", 5))
		FAIL("/tmp/link target");
	snprintf(p, sizeof(p), "/proc/%d/root/tmp/sub", (int)pid);
	if (stat(p, &st) < 0 || (st.st_mode & 07777) != 0750 || st.st_uid != 1000)
		FAIL("/tmp/sub mode/owner");
	snprintf(p, sizeof(p), "/proc/%d/root/tmp/sub/pipe", (int)pid);
	if (lstat(p, &st) < 0 || !S_ISFIFO(st.st_mode) || (st.st_mode & 0777) != 0620)
		FAIL("/tmp/sub/pipe");
	snprintf(p, sizeof(p), "/proc/%d/root/tmp/sub/suid", (int)pid);
	if (stat(p, &st) < 0 || (st.st_mode & 07777) != 04755)
		FAIL("/tmp/sub/suid mode");
	snprintf(p, sizeof(p), "/proc/%d/root/bound/suid", (int)pid);
	if (stat(p, &st) < 0 || (st.st_mode & 07777) != 04755)
		FAIL("/bound (a bind of /tmp/sub) does not show suid");
	snprintf(p, sizeof(p), "/proc/%d/root/tmp/inner/deep.txt", (int)pid);
	if (!file_is(p, "deep\n"))
		FAIL("/tmp/inner/deep.txt");
	snprintf(p, sizeof(p), "/proc/%d/root/data/host.txt", (int)pid);
	if (!file_is(p, "from the host\n"))
		FAIL("/data (external bind) does not show the host file");
	snprintf(p, sizeof(p), "/proc/%d/root/over/upper.txt", (int)pid);
	if (!file_is(p, "upper\n"))
		FAIL("/over/upper.txt");
	snprintf(p, sizeof(p), "/proc/%d/root/ro/file", (int)pid);
	if (!file_is(p, "read only\n"))
		FAIL("/ro/file");
	if (open(p, O_WRONLY) >= 0 || errno != EROFS)
		FAIL("/ro/file is writable (expected EROFS)");
	snprintf(p, sizeof(p), "/proc/%d/root/peer/s.txt", (int)pid);
	if (!file_is(p, "shared\n"))
		FAIL("/peer/s.txt");
}

static void cleanup(void)
{
	char cmd[256];

	if (a > 0)
		kill(a, SIGKILL);
	if (b > 0)
		kill(b, SIGKILL);
	while (wait(NULL) > 0)
		;
	snprintf(cmd, sizeof(cmd), "umount -R %s/rootA %s/stage 2>/dev/null; rm -rf %s", work, work, work);
	if (system(cmd)) {
		/* nothing mounted is the normal case */
	}
}

int main(void)
{
	int rp[2], gp[2], status;
	char imgdir[128], p[192], c;
	char *before, *after;

	log_init(NULL, LOG_FMT_TEXT, LOG_LVL_WARN);
	strcpy(work, "/tmp/cryo-mntnet.XXXXXX");
	if (!mkdtemp(work))
		return 1;
	atexit(cleanup);
	snprintf(hostdata, sizeof(hostdata), "%s/hostdata", work);
	snprintf(imgdir, sizeof(imgdir), "%s/img", work);
	snprintf(p, sizeof(p), "%s/rootA", work);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/stage", work);
	mkdir(p, 0755);
	mkdir(hostdata, 0755);
	snprintf(p, sizeof(p), "%s/host.txt", hostdata);
	write_file(p, "from the host\n", 14, 0644);

	if (pipe(rp) < 0 || pipe(gp) < 0)
		return 1;
	a = fork();
	if (a == 0)
		child_setup(rp[1]);
	if (read(rp[0], &c, 1) != 1) {
		fprintf(stderr, "ERROR: the namespace builder died\n");
		return 1;
	}
	before = shape_of(a);
	if (dump(a, imgdir) < 0) {
		FAIL("dump");
		kill(a, SIGKILL);
		return 1;
	}
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	a = 0;
	if (getenv("ROUNDTRIP")) {
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "sh '%s' '%s'", getenv("ROUNDTRIP"), imgdir);
		if (system(cmd))
			FAIL("the mount images do not round-trip through cryo-image");
	}
	check_tampered(imgdir);
	check_restore_refusals(imgdir);

	b = fork();
	if (b == 0)
		child_restore(imgdir, rp[1], gp[0]);
	if (read(rp[0], &c, 1) != 1) {
		waitpid(b, &status, 0);
		fprintf(stderr, "FAIL: restore child exited %d\n", WEXITSTATUS(status));
		return 1;
	}
	after = shape_of(b);
	if (!before || !after || strcmp(before, after))
		FAIL("mount shape differs\n--- dumped:\n%s--- restored:\n%s", before ? before : "?", after ? after : "?");
	else
		printf("shape:\n%s", after);
	check_contents(b);
	if (write(gp[1], "g", 1) != 1)
		return 1;
	waitpid(b, &status, 0);
	b = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		FAIL("checks inside the restored namespace (exit %d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	printf("%s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
