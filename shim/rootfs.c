/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container's filesystem, set up by its init in its own mount namespace:
 * mounts from config.json, default devices, pivot_root, masked and read-only
 * paths, sysctls.  Mount targets are resolved with openat2(RESOLVE_IN_ROOT) so
 * symlinks in the image cannot point a mount outside the rootfs.
 */
#include <fcntl.h>
#include <sched.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include "container.h"

struct mount_opts {
	unsigned long flags, clear, propagation;
	bool bind, rec_bind;
	char data[1024];
};

static const struct {
	const char *name;
	unsigned long flag;
	bool clear;
} flag_table[] = {
	{ "ro", MS_RDONLY, false }, { "rw", MS_RDONLY, true }, { "nosuid", MS_NOSUID, false },
	{ "suid", MS_NOSUID, true }, { "nodev", MS_NODEV, false }, { "dev", MS_NODEV, true },
	{ "noexec", MS_NOEXEC, false }, { "exec", MS_NOEXEC, true }, { "sync", MS_SYNCHRONOUS, false },
	{ "async", MS_SYNCHRONOUS, true }, { "dirsync", MS_DIRSYNC, false }, { "remount", MS_REMOUNT, false },
	{ "mand", MS_MANDLOCK, false }, { "nomand", MS_MANDLOCK, true }, { "noatime", MS_NOATIME, false },
	{ "atime", MS_NOATIME, true }, { "nodiratime", MS_NODIRATIME, false }, { "diratime", MS_NODIRATIME, true },
	{ "relatime", MS_RELATIME, false }, { "norelatime", MS_RELATIME, true },
	{ "strictatime", MS_STRICTATIME, false }, { "nostrictatime", MS_STRICTATIME, true },
	{ "lazytime", MS_LAZYTIME, false }, { "nolazytime", MS_LAZYTIME, true },
	{ "silent", MS_SILENT, false }, { "loud", MS_SILENT, true }, { "iversion", MS_I_VERSION, false },
	{ "noiversion", MS_I_VERSION, true }, { "defaults", 0, false },
	{ "nosymfollow", 0x100 /* MS_NOSYMFOLLOW */, false }, { "symfollow", 0x100, true },
};

static const struct {
	const char *name;
	unsigned long flag;
} propagation_table[] = {
	{ "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC }, { "shared", MS_SHARED },
	{ "rshared", MS_SHARED | MS_REC }, { "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
	{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

static unsigned long propagation_flag(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(propagation_table); i++)
		if (!strcmp(propagation_table[i].name, name))
			return propagation_table[i].flag;
	return 0;
}

static void parse_mount_options(char **options, struct mount_opts *m)
{
	size_t dl = 0;

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; options && options[i]; i++) {
		const char *o = options[i];
		size_t j;
		unsigned long p;

		if (!strcmp(o, "bind") || !strcmp(o, "rbind")) {
			m->bind = true;
			m->rec_bind |= o[0] == 'r';
			continue;
		}
		if ((p = propagation_flag(o))) {
			m->propagation = p;
			continue;
		}
		if (!strcmp(o, "tmpcopyup"))
			continue;
		for (j = 0; j < ARRAY_SIZE(flag_table); j++)
			if (!strcmp(flag_table[j].name, o)) {
				if (flag_table[j].clear)
					m->flags &= ~flag_table[j].flag;
				else
					m->flags |= flag_table[j].flag;
				break;
			}
		if (j == ARRAY_SIZE(flag_table) && dl + strlen(o) + 2 < sizeof(m->data))
			dl += (size_t)snprintf(m->data + dl, sizeof(m->data) - dl, "%s%s", dl ? "," : "", o);
	}
}

static int openat2_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT };

	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* Open (creating as needed) a mount target inside the rootfs; returns an O_PATH fd. */
static int open_target(int rootfd, const char *dest, bool as_file, struct oci_error *err)
{
	_cleanup_free_ char *rel = strdup(dest[0] == '/' ? dest + 1 : dest);
	char *p;
	int fd;

	if (!rel)
		return oci_error_set(err, ENOMEM, "out of memory");
	if (!*rel)
		return dup(rootfd);
	fd = openat2_in_root(rootfd, rel, O_PATH);
	if (fd >= 0)
		return fd;
	/* Create the missing components one by one, each resolved inside the root. */
	for (p = rel;; p++) {
		bool last = *p == 0;
		if (*p != '/' && !last)
			continue;
		*p = 0;
		fd = openat2_in_root(rootfd, rel, O_PATH);
		if (fd < 0 && errno == ENOENT) {
			char *slash = strrchr(rel, '/');
			_cleanup_close_ int parent = -1;
			const char *name = slash ? slash + 1 : rel;
			if (slash) {
				*slash = 0;
				parent = openat2_in_root(rootfd, rel, O_PATH | O_DIRECTORY);
				*slash = '/';
			} else
				parent = dup(rootfd);
			if (parent < 0)
				return oci_error_set(err, errno, "cannot open the parent of %s: %s", dest, strerror(errno));
			if (last && as_file) {
				int f = openat(parent, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
				if (f >= 0)
					close(f);
			} else
				mkdirat(parent, name, 0755);
			fd = openat2_in_root(rootfd, rel, O_PATH);
		}
		if (fd < 0)
			return oci_error_set(err, errno, "cannot create mount point %s: %s", dest, strerror(errno));
		if (last)
			return fd;
		close(fd);
		*p = '/';
	}
}

static char *fd_path(int fd)
{
	char *p;

	return asprintf(&p, "/proc/self/fd/%d", fd) < 0 ? NULL : p;
}

/* Remount a bind mount with flags, keeping the flags the kernel locks in a user namespace. */
static int remount_bind(const char *target, unsigned long flags)
{
	struct statvfs sv;

	if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags, NULL) == 0)
		return 0;
	if (errno != EPERM || statvfs(target, &sv) < 0)
		return negative_errno();
	if (sv.f_flag & ST_NOSUID)
		flags |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		flags |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		flags |= MS_NOEXEC;
	if (sv.f_flag & ST_RDONLY)
		flags |= MS_RDONLY;
	if (sv.f_flag & ST_NOATIME)
		flags |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		flags |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		flags |= MS_RELATIME;
	return mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags, NULL) < 0 ? negative_errno() : 0;
}

static int open_target(int rootfd, const char *dest, bool as_file, struct oci_error *err);
static char *fd_path(int fd);

/* A bind mount, then a remount for its flags.  A /proc/self/fd/N target names
 * the covered directory, so the remount goes through a fresh lookup of dest. */
static int bind_mount_at(const char *src, const char *target, int rootfd, const char *dest, bool as_file,
			 unsigned long flags, bool rec)
{
	struct oci_error ignored = { 0 };
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *fresh = NULL;

	if (mount(src, target, NULL, MS_BIND | (rec ? MS_REC : 0), NULL) < 0)
		return negative_errno();
	if (!(flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME |
		       MS_STRICTATIME)))
		return 0;
	if (rootfd >= 0) {
		fd = open_target(rootfd, dest, as_file, &ignored);
		if (fd < 0 || !(fresh = fd_path(fd)))
			return fd < 0 ? fd : -ENOMEM;
		target = fresh;
	}
	return remount_bind(target, flags & ~(unsigned long)MS_REMOUNT);
}

static int bind_mount(const char *src, const char *target, unsigned long flags, bool rec)
{
	return bind_mount_at(src, target, -1, NULL, false, flags, rec);
}

/* cgroup v1 in the container: a tmpfs with one bind mount per hierarchy of our own cgroup. */
static int mount_cgroup(int rootfd, const char *dest, const char *target, const struct mount_opts *mo,
			char **cgroup_paths, bool cgroupns, struct oci_error *err)
{
	_cleanup_close_ int tfd = -1;
	_cleanup_free_ char *mnt = NULL;

	if (cgroup_is_v2()) {
		if (cgroupns && mount("cgroup2", target, "cgroup2", mo->flags, NULL) == 0)
			return 0;
		const char *dir = cgroups_dir(cgroup_paths, "unified");
		if (!dir || bind_mount_at(dir, target, rootfd, dest, false, mo->flags, true) < 0)
			return oci_error_set(err, errno, "cannot mount cgroup2 on %s: %s", target, strerror(errno));
		return 0;
	}
	if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
		return oci_error_set(err, errno, "cannot mount tmpfs on %s: %s", target, strerror(errno));
	/* target names the covered directory: reopen to reach the new tmpfs. */
	tfd = open_target(rootfd, dest, false, err);
	if (tfd < 0)
		return tfd;
	mnt = fd_path(tfd);
	if (!mnt)
		return oci_error_set(err, ENOMEM, "out of memory");
	target = mnt;
	for (size_t i = 0; cgroup_paths && cgroup_paths[i]; i++) {
		_cleanup_free_ char *ctrl = strndup(cgroup_paths[i], (size_t)(strstr(cgroup_paths[i], "=/") - cgroup_paths[i])), *sub = NULL;
		const char *dir = strstr(cgroup_paths[i], "=/") + 1, *name = ctrl;
		if (!strncmp(name, "name=", 5))
			name += 5;
		if (asprintf(&sub, "%s/%s", target, name) < 0)
			return oci_error_set(err, ENOMEM, "out of memory");
		mkdir(sub, 0755);
		if (bind_mount(dir, sub, mo->flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, false) < 0)
			return oci_error_set(err, errno, "cannot bind cgroup %s on %s: %s", dir, sub, strerror(errno));
		/* A co-mounted hierarchy ("cpu,cpuacct") is also reachable by each name, as on hosts. */
		if (strchr(name, ',') && strncmp(ctrl, "name=", 5)) {
			_cleanup_free_ char *names = strdup(name);
			char *save, *tok;
			for (tok = strtok_r(names, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				_cleanup_free_ char *link = NULL;
				if (asprintf(&link, "%s/%s", target, tok) >= 0 && symlink(name, link) < 0 && errno != EEXIST)
					return oci_error_set(err, errno, "cannot create %s: %s", link, strerror(errno));
			}
		}
	}
	if ((mo->flags & MS_RDONLY) &&
	    mount(NULL, target, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
		return oci_error_set(err, errno, "cannot make %s read-only: %s", target, strerror(errno));
	return 0;
}

/* A filesystem mount, with the fallbacks a user namespace needs. */
static int mount_fs(int rootfd, const struct oci_mount *m, const char *target, struct mount_opts *mo, bool userns,
		    struct oci_error *err)
{
	const char *data = mo->data[0] ? mo->data : NULL;

	if (mount(m->source ? m->source : m->type, target, m->type, mo->flags, data) == 0)
		return 0;
	if (userns && (errno == EPERM || errno == EINVAL)) {
		if (!strcmp(m->type, "sysfs") && bind_mount_at("/sys", target, rootfd, m->destination, false, mo->flags, true) == 0)
			return 0;
		if (!strcmp(m->type, "mqueue") && bind_mount_at("/dev/mqueue", target, rootfd, m->destination, false, mo->flags, true) == 0)
			return 0;
		if (!strcmp(m->type, "devpts")) {
			/* gid=5 fails when gid 5 is not mapped: drop it. */
			char d2[sizeof(mo->data)] = "", *tok, *save;
			size_t n = 0;
			for (tok = strtok_r(mo->data, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
				if (strncmp(tok, "gid=", 4))
					n += (size_t)snprintf(d2 + n, sizeof(d2) - n, "%s%s", n ? "," : "", tok);
			if (mount(m->source, target, m->type, mo->flags, d2) == 0)
				return 0;
		}
	}
	return oci_error_set(err, errno, "cannot mount %s (%s) on %s: %s", m->source ? m->source : "none", m->type,
			     m->destination, strerror(errno));
}

static int do_mount(int rootfd, const struct oci_mount *m, char **cgroup_paths, bool userns, bool cgroupns,
		    struct oci_error *err)
{
	struct mount_opts mo;
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *target = NULL;
	bool as_file = false;
	struct stat st;
	int r;

	parse_mount_options(m->options, &mo);
	if (m->type && !strcmp(m->type, "bind"))
		mo.bind = true;
	if (mo.bind) {
		if (!m->source || stat(m->source, &st) < 0)
			return oci_error_set(err, errno ? errno : EINVAL, "bind mount source %s: %s",
					     m->source ? m->source : "(none)", strerror(errno ? errno : EINVAL));
		as_file = !S_ISDIR(st.st_mode);
	}
	if (!mo.bind && (!m->type || !*m->type))
		return oci_error_set(err, EINVAL, "mount %s: type is required unless it is a bind mount", m->destination);
	fd = open_target(rootfd, m->destination, as_file, err);
	if (fd < 0)
		return fd;
	target = fd_path(fd);
	if (!target)
		return oci_error_set(err, ENOMEM, "out of memory");
	if (mo.bind) {
		r = bind_mount_at(m->source, target, rootfd, m->destination, as_file, mo.flags, mo.rec_bind);
		if (r < 0)
			return oci_error_set(err, -r, "cannot bind mount %s on %s: %s", m->source, m->destination,
					     strerror(-r));
	} else if (!strcmp(m->type, "cgroup") || !strcmp(m->type, "cgroup2")) {
		r = mount_cgroup(rootfd, m->destination, target, &mo, cgroup_paths, cgroupns, err);
		if (r < 0)
			return r;
	} else if ((r = mount_fs(rootfd, m, target, &mo, userns, err)) < 0)
		return r;
	if (mo.propagation) {
		/* The O_PATH fd names the old (covered) inode: reopen the new mount by path. */
		_cleanup_close_ int nfd = open_target(rootfd, m->destination, as_file, err);
		_cleanup_free_ char *np = nfd >= 0 ? fd_path(nfd) : NULL;
		if (!np || mount(NULL, np, NULL, mo.propagation, NULL) < 0)
			return oci_error_set(err, errno, "cannot set propagation of %s: %s", m->destination, strerror(errno));
	}
	return 0;
}

static const struct {
	const char *name;
	unsigned major, minor;
} default_devs[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static int make_device(int rootfd, const char *path, char type, unsigned major, unsigned minor, mode_t mode,
		       uid_t uid, gid_t gid, bool userns, struct oci_error *err)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_free_ char *dir = strdup(path), *host = NULL;
	char *slash = strrchr(dir, '/');
	const char *name = slash ? slash + 1 : dir;
	mode_t fmt = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;

	if (slash)
		*slash = 0;
	if (!dir)
		return oci_error_set(err, ENOMEM, "out of memory");
	dirfd = open_target(rootfd, slash && *dir ? dir : "/", false, err);
	if (dirfd < 0)
		return dirfd;
	{
		_cleanup_close_ int d = openat(dirfd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		if (d < 0)
			return oci_error_set(err, errno, "cannot open %s: %s", dir, strerror(errno));
		unlinkat(d, name, 0);
		if (!userns && mknodat(d, name, fmt | (mode & 07777), makedev(major, minor)) == 0) {
			if (fchownat(d, name, uid, gid, 0) < 0 || fchmodat(d, name, mode & 07777, 0) < 0)
				return oci_error_set(err, errno, "cannot set owner/mode of %s: %s", path, strerror(errno));
			return 0;
		}
		/* No mknod in a user namespace: bind the host's node over an empty file. */
		int f = openat(d, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (f < 0)
			return oci_error_set(err, errno, "cannot create %s: %s", path, strerror(errno));
		close(f);
	}
	{
		_cleanup_close_ int t = open_target(rootfd, path, true, err);
		_cleanup_free_ char *tp = t >= 0 ? fd_path(t) : NULL;
		if (!tp || mount(path, tp, NULL, MS_BIND, NULL) < 0)
			return oci_error_set(err, errno, "cannot bind device %s: %s", path, strerror(errno));
	}
	(void)host;
	return 0;
}

static int setup_dev(int rootfd, bool userns, struct oci_error *err)
{
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
		{ "/proc/self/fd/2", "stderr" }, { "pts/ptmx", "ptmx" }, { "/proc/kcore", "core" },
	};
	_cleanup_close_ int devfd = -1, dev = -1;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(default_devs); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/dev/%s", default_devs[i].name);
		r = make_device(rootfd, path, 'c', default_devs[i].major, default_devs[i].minor, 0666, 0, 0, userns, err);
		if (r < 0)
			return r;
	}
	devfd = open_target(rootfd, "/dev", false, err);
	if (devfd < 0)
		return devfd;
	dev = openat(devfd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	for (size_t i = 0; dev >= 0 && i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
			return oci_error_set(err, errno, "cannot create /dev/%s: %s", links[i][1], strerror(errno));
	return 0;
}

static int create_devices(int rootfd, const struct oci_spec *spec, bool userns, struct oci_error *err)
{
	for (size_t i = 0; spec->linux_ && i < spec->linux_->n_devices; i++) {
		const struct oci_device *d = &spec->linux_->devices[i];
		int r = make_device(rootfd, d->path, d->type == 'u' ? 'c' : d->type, (unsigned)d->major,
				    (unsigned)d->minor, d->has_mode ? d->mode : 0666, d->has_uid ? d->uid : 0,
				    d->has_gid ? d->gid : 0, userns, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int rootfs_setup(const struct oci_spec *spec, const char *rootfs, char **cgroup_paths, bool userns,
		 struct oci_error *err)
{
	const char *prop = spec->linux_ ? spec->linux_->rootfs_propagation : NULL;
	unsigned long pflag = propagation_flag(prop);
	bool dev_is_tmpfs = false, cgroupns = oci_spec_namespace(spec, CLONE_NEWCGROUP) != NULL;
	_cleanup_close_ int rootfd = -1;

	/* pivot_root refuses shared mounts: keep the host's events flowing in (slave) unless told otherwise. */
	if (!pflag || (pflag & MS_SHARED))
		pflag = MS_SLAVE | MS_REC;
	if (mount(NULL, "/", NULL, pflag, NULL) < 0)
		return oci_error_set(err, errno, "cannot set the propagation of /: %s", strerror(errno));
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return oci_error_set(err, errno, "cannot bind mount the rootfs %s: %s", rootfs, strerror(errno));
	rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return oci_error_set(err, errno, "cannot open rootfs %s: %s", rootfs, strerror(errno));
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct oci_mount *m = &spec->mounts[i];
		int r = do_mount(rootfd, m, cgroup_paths, userns, cgroupns, err);
		if (r < 0)
			return r;
		if (!strcmp(m->destination, "/dev") && m->type && strcmp(m->type, "bind") &&
		    !strv_contains(m->options, "bind") && !strv_contains(m->options, "rbind"))
			dev_is_tmpfs = true;
	}
	if (dev_is_tmpfs && setup_dev(rootfd, userns, err) < 0)
		return -err->code;
	return create_devices(rootfd, spec, userns, err);
}

int rootfs_pivot(const char *rootfs, bool no_pivot, struct oci_error *err)
{
	if (chdir(rootfs) < 0)
		return oci_error_set(err, errno, "chdir %s: %s", rootfs, strerror(errno));
	if (no_pivot) {
		if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0)
			return oci_error_set(err, errno, "cannot move the rootfs to / (--no-pivot): %s", strerror(errno));
	} else {
		/* Stack the old root on the new one, then lazily detach it. */
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return oci_error_set(err, errno, "pivot_root %s: %s", rootfs, strerror(errno));
		if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0 || umount2(".", MNT_DETACH) < 0)
			return oci_error_set(err, errno, "cannot detach the old root: %s", strerror(errno));
	}
	if (chdir("/") < 0)
		return oci_error_set(err, errno, "chdir /: %s", strerror(errno));
	return 0;
}

static int mask_path(const char *path, struct oci_error *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0; /* nothing to hide */
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0") < 0)
			return oci_error_set(err, errno, "cannot mask %s: %s", path, strerror(errno));
	} else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0)
		return oci_error_set(err, errno, "cannot mask %s: %s", path, strerror(errno));
	return 0;
}

static int write_sysctl(const char *key, const char *value, struct oci_error *err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);

	if (strstr(key, "..") || asprintf(&path, "/proc/sys/%s", key) < 0)
		return oci_error_set(err, EINVAL, "invalid sysctl %s", key);
	for (char *p = path + 10; *p; p++)
		if (*p == '.')
			*p = '/';
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value, len) != (ssize_t)len)
		return oci_error_set(err, errno, "cannot set sysctl %s=%s: %s", key, value, strerror(errno));
	return 0;
}

int rootfs_finish(const struct oci_spec *spec, struct oci_error *err)
{
	const struct oci_linux *l = spec->linux_;
	unsigned long pflag = propagation_flag(l ? l->rootfs_propagation : NULL);

	for (size_t i = 0; l && l->sysctl_keys && l->sysctl_keys[i]; i++)
		if (write_sysctl(l->sysctl_keys[i], l->sysctl_values[i], err) < 0)
			return -err->code;
	for (size_t i = 0; l && l->masked_paths && l->masked_paths[i]; i++)
		if (mask_path(l->masked_paths[i], err) < 0)
			return -err->code;
	for (size_t i = 0; l && l->readonly_paths && l->readonly_paths[i]; i++) {
		const char *p = l->readonly_paths[i];
		if (access(p, F_OK) < 0)
			continue;
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0 || remount_bind(p, MS_RDONLY) < 0)
			return oci_error_set(err, errno, "cannot make %s read-only: %s", p, strerror(errno));
	}
	if (spec->root_readonly && remount_bind("/", MS_RDONLY) < 0)
		return oci_error_set(err, errno, "cannot make the root read-only: %s", strerror(errno));
	if (pflag & MS_SHARED && mount(NULL, "/", NULL, pflag, NULL) < 0)
		return oci_error_set(err, errno, "cannot set rootfs propagation %s: %s", l->rootfs_propagation,
				     strerror(errno));
	return 0;
}
