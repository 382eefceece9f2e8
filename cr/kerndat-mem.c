/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kerndat probes about memory: userfaultfd and its features, pagemap
 * (PAGEMAP_SCAN, soft-dirty, PFNs), memfd, the vDSO, map_files and
 * MAP_FIXED_NOREPLACE.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kerndat-probes.h"

/* Newer than the build host's <linux/userfaultfd.h> (Linux 6.1). */
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

/* PAGEMAP_SCAN (Linux 6.7), from <linux/fs.h> of newer kernels. */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_WRITTEN (1 << 1)
#define PAGE_IS_PRESENT (1 << 3)
struct page_region {
	uint64_t start;
	uint64_t end;
	uint64_t categories;
};
struct pm_scan_arg {
	uint64_t size;
	uint64_t flags;
	uint64_t start;
	uint64_t end;
	uint64_t walk_end;
	uint64_t vec;
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif

#define PM_SOFT_DIRTY (1ULL << 55)
#define PM_UFFD_WP (1ULL << 57)
#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1)

struct mapping {
	void *addr;
	size_t len;
};

static void unmapp(struct mapping *m)
{
	if (m->addr && m->addr != MAP_FAILED)
		munmap(m->addr, m->len);
}
#define _cleanup_unmap_ _cleanup_(unmapp)

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* Private anonymous pages, each written once so that they are present. */
static struct mapping map_touched(size_t pages)
{
	struct mapping m = { NULL, pages * page_size() };

	m.addr = mmap(NULL, m.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m.addr == MAP_FAILED)
		m.addr = NULL;
	else
		memset(m.addr, 0x5a, m.len);
	return m;
}

static bool uffd_user_mode_only;

/* A userfaultfd; falls back to user-mode-only faults when that is all we may have. */
static int open_uffd(void)
{
	int fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0 && errno == EPERM) {
		fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
		uffd_user_mode_only = fd >= 0;
	}
	return fd < 0 ? negative_errno() : fd;
}

/* Open a uffd and hand-shake asking for features; -errno on failure. */
static int uffd_with_features(uint64_t features, uint64_t *ret_features)
{
	_cleanup_close_ int fd = open_uffd();
	struct uffdio_api api = { .api = UFFD_API, .features = features };

	if (fd < 0)
		return fd;
	if (ioctl(fd, UFFDIO_API, &api) < 0)
		return negative_errno();
	if (ret_features)
		*ret_features = api.features;
	return TAKE_FD(fd);
}

enum kd_result kd_probe_uffd(struct kerndat *kd, char *detail, int arg)
{
	uint64_t features = 0;
	_cleanup_close_ int fd = -1;

	(void)arg;
	fd = uffd_with_features(0, &features);
	if (fd < 0) {
		kd_say(detail, "userfaultfd: %s", strerror(-fd));
		return fd == -ENOSYS || fd == -EPERM ? KD_NO : KD_ERROR;
	}
	kd->uffd_api_features = features;
	kd_say(detail, "UFFDIO_API features %#" PRIx64 "%s", features,
	       uffd_user_mode_only ? "; user-mode faults only (vm.unprivileged_userfaultfd=0)" : "");
	return KD_YES;
}

enum kd_result kd_probe_uffd_dev(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_close_ int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	_cleanup_close_ int fd = -1;
	struct uffdio_api api = { .api = UFFD_API };

	(void)kd, (void)arg;
	if (dev < 0) {
		kd_say(detail, "/dev/userfaultfd: %s", strerror(errno));
		return errno == ENOENT || errno == EACCES || errno == EPERM ? KD_NO : KD_ERROR;
	}
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		kd_say(detail, "USERFAULTFD_IOC_NEW: %s", strerror(errno));
		return KD_ERROR;
	}
	if (ioctl(fd, UFFDIO_API, &api) < 0) {
		kd_say(detail, "UFFDIO_API on a uffd from the device: %s", strerror(errno));
		return KD_ERROR;
	}
	kd_say(detail, "USERFAULTFD_IOC_NEW gives a working userfaultfd");
	return KD_YES;
}

static int register_range(int fd, struct mapping *m, uint64_t mode)
{
	struct uffdio_register reg = {
		.range = { (uintptr_t)m->addr, m->len },
		.mode = mode,
	};

	return ioctl(fd, UFFDIO_REGISTER, &reg) < 0 ? negative_errno() : 0;
}

static int write_protect(int fd, struct mapping *m)
{
	struct uffdio_writeprotect wp = {
		.range = { (uintptr_t)m->addr, m->len },
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};

	return ioctl(fd, UFFDIO_WRITEPROTECT, &wp) < 0 ? negative_errno() : 0;
}

enum kd_result kd_probe_uffd_wp(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_unmap_ struct mapping m = map_touched(1);
	_cleanup_close_ int fd = -1;
	uint64_t entry = 0;
	int r;

	(void)kd, (void)arg;
	if (!m.addr) {
		kd_say(detail, "mmap: %s", strerror(errno));
		return KD_ERROR;
	}
	fd = uffd_with_features(UFFD_FEATURE_PAGEFAULT_FLAG_WP, NULL);
	if (fd < 0) {
		kd_say(detail, "UFFDIO_API with UFFD_FEATURE_PAGEFAULT_FLAG_WP: %s", strerror(-fd));
		return fd == -EINVAL || fd == -ENOSYS || fd == -EPERM ? KD_NO : KD_ERROR;
	}
	r = register_range(fd, &m, UFFDIO_REGISTER_MODE_WP);
	if (r < 0) {
		kd_say(detail, "UFFDIO_REGISTER in WP mode: %s", strerror(-r));
		return r == -EINVAL ? KD_NO : KD_ERROR;
	}
	r = write_protect(fd, &m);
	if (r < 0) {
		kd_say(detail, "UFFDIO_WRITEPROTECT: %s", strerror(-r));
		return KD_ERROR;
	}
	if (kd_pagemap_entry((uintptr_t)m.addr, &entry) == 0 && (entry & PM_UFFD_WP))
		kd_say(detail, "write-protected an anonymous page; pagemap shows the uffd-wp bit");
	else
		kd_say(detail, "write-protected an anonymous page");
	return KD_YES;
}

static int pagemap_scan(struct mapping *m, uint64_t category, struct page_region *vec,
			size_t vec_len)
{
	_cleanup_close_ int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = (uintptr_t)m->addr,
		.end = (uintptr_t)m->addr + m->len,
		.vec = (uintptr_t)vec,
		.vec_len = vec_len,
		.category_mask = category,
		.return_mask = category,
	};
	int n;

	if (fd < 0)
		return negative_errno();
	n = ioctl(fd, PAGEMAP_SCAN, &arg);
	return n < 0 ? negative_errno() : n;
}

/*
 * The whole dirty-tracking loop: write-protect 4 pages asynchronously, write
 * one, and PAGEMAP_SCAN must report exactly that one as written.  Without
 * async mode the write would block forever, which the probe timeout catches.
 */
enum kd_result kd_probe_uffd_wp_async(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_unmap_ struct mapping m = map_touched(4);
	const uint64_t want = UFFD_FEATURE_PAGEFAULT_FLAG_WP | UFFD_FEATURE_WP_ASYNC;
	_cleanup_close_ int fd = -1;
	struct page_region vec[4];
	char *page2;
	int n, r;

	(void)kd, (void)arg;
	if (!m.addr) {
		kd_say(detail, "mmap: %s", strerror(errno));
		return KD_ERROR;
	}
	fd = uffd_with_features(want, NULL);
	if (fd < 0) {
		kd_say(detail, "UFFDIO_API with UFFD_FEATURE_WP_ASYNC: %s", strerror(-fd));
		return fd == -EINVAL || fd == -ENOSYS || fd == -EPERM ? KD_NO : KD_ERROR;
	}
	r = register_range(fd, &m, UFFDIO_REGISTER_MODE_WP);
	if (r == 0)
		r = write_protect(fd, &m);
	if (r < 0) {
		kd_say(detail, "cannot write-protect pages in async mode: %s", strerror(-r));
		return KD_ERROR;
	}
	page2 = (char *)m.addr + 2 * page_size();
	page2[0] = 1;
	n = pagemap_scan(&m, PAGE_IS_WRITTEN, vec, 4);
	if (n < 0) {
		kd_say(detail, "async write went through; not verified (PAGEMAP_SCAN: %s)",
		       strerror(-n));
		return KD_YES;
	}
	if (n != 1 || vec[0].start != (uintptr_t)page2 ||
	    vec[0].end != (uintptr_t)page2 + page_size()) {
		kd_say(detail, "PAGEMAP_SCAN reports %d written ranges, expected just the page written", n);
		return KD_ERROR;
	}
	kd_say(detail, "a write to a protected page was resolved and PAGEMAP_SCAN saw it");
	return KD_YES;
}

enum kd_result kd_probe_uffd_minor_shmem(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_close_ int memfd = memfd_create("cryo-kd-minor", MFD_CLOEXEC);
	_cleanup_unmap_ struct mapping m = { NULL, page_size() };
	_cleanup_close_ int fd = -1;
	int r;

	(void)kd, (void)arg;
	if (memfd < 0 || ftruncate(memfd, m.len) < 0) {
		kd_say(detail, "cannot make a shmem file: %s", strerror(errno));
		return KD_ERROR;
	}
	m.addr = mmap(NULL, m.len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (m.addr == MAP_FAILED) {
		kd_say(detail, "mmap of the shmem file: %s", strerror(errno));
		return KD_ERROR;
	}
	memset(m.addr, 1, m.len);
	fd = uffd_with_features(UFFD_FEATURE_MINOR_SHMEM, NULL);
	if (fd < 0) {
		kd_say(detail, "UFFDIO_API with UFFD_FEATURE_MINOR_SHMEM: %s", strerror(-fd));
		return fd == -EINVAL || fd == -ENOSYS || fd == -EPERM ? KD_NO : KD_ERROR;
	}
	r = register_range(fd, &m, UFFDIO_REGISTER_MODE_MINOR);
	if (r < 0) {
		kd_say(detail, "UFFDIO_REGISTER of shmem in minor mode: %s", strerror(-r));
		return r == -EINVAL ? KD_NO : KD_ERROR;
	}
	kd_say(detail, "registered a shmem mapping for minor faults");
	return KD_YES;
}

/* Registration would need a reserved huge page; the API answer is what we have. */
enum kd_result kd_probe_uffd_minor_hugetlbfs(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_close_ int fd = -1;
	uint64_t features = 0;

	(void)kd, (void)arg;
	fd = uffd_with_features(UFFD_FEATURE_MINOR_HUGETLBFS, &features);
	if (fd < 0) {
		kd_say(detail, "UFFDIO_API with UFFD_FEATURE_MINOR_HUGETLBFS: %s", strerror(-fd));
		return fd == -EINVAL || fd == -ENOSYS || fd == -EPERM ? KD_NO : KD_ERROR;
	}
	kd_say(detail, "UFFDIO_API accepts the feature (registration not tried)");
	return KD_YES;
}

enum kd_result kd_probe_pagemap_scan(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_unmap_ struct mapping m = map_touched(2);
	struct page_region vec[2];
	int n;

	(void)kd, (void)arg;
	if (!m.addr) {
		kd_say(detail, "mmap: %s", strerror(errno));
		return KD_ERROR;
	}
	/* Only the first page stays present. */
	if (madvise((char *)m.addr + page_size(), page_size(), MADV_DONTNEED) < 0) {
		kd_say(detail, "madvise: %s", strerror(errno));
		return KD_ERROR;
	}
	n = pagemap_scan(&m, PAGE_IS_PRESENT, vec, 2);
	if (n < 0) {
		kd_say(detail, "PAGEMAP_SCAN on /proc/self/pagemap: %s", strerror(-n));
		return n == -ENOTTY || n == -EINVAL ? KD_NO : KD_ERROR;
	}
	if (n != 1 || vec[0].start != (uintptr_t)m.addr ||
	    vec[0].end != (uintptr_t)m.addr + page_size()) {
		kd_say(detail, "PAGEMAP_SCAN found %d present ranges, expected the first page", n);
		return KD_ERROR;
	}
	kd_say(detail, "found exactly the present page of two");
	return KD_YES;
}

static int clear_soft_dirty(void)
{
	_cleanup_close_ int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return negative_errno();
	return write(fd, "4", 1) == 1 ? 0 : negative_errno();
}

/* The kernel must accept "4" in clear_refs and then set bit 55 on a write. */
enum kd_result kd_probe_soft_dirty(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_unmap_ struct mapping m = map_touched(1);
	uint64_t before = 0, after = 0;
	int r;

	(void)kd, (void)arg;
	if (!m.addr) {
		kd_say(detail, "mmap: %s", strerror(errno));
		return KD_ERROR;
	}
	r = clear_soft_dirty();
	if (r < 0) {
		kd_say(detail, "writing 4 to /proc/self/clear_refs: %s", strerror(-r));
		return r == -EINVAL ? KD_NO : KD_ERROR;
	}
	if (kd_pagemap_entry((uintptr_t)m.addr, &before) < 0) {
		kd_say(detail, "cannot read /proc/self/pagemap");
		return KD_ERROR;
	}
	*(volatile char *)m.addr = 1;
	if (kd_pagemap_entry((uintptr_t)m.addr, &after) < 0) {
		kd_say(detail, "cannot read /proc/self/pagemap");
		return KD_ERROR;
	}
	if (before & PM_SOFT_DIRTY) {
		kd_say(detail, "bit 55 stays set after clear_refs");
		return KD_NO;
	}
	if (!(after & PM_SOFT_DIRTY)) {
		kd_say(detail, "bit 55 never set by a write: kernel without CONFIG_MEM_SOFT_DIRTY");
		return KD_NO;
	}
	kd_say(detail, "clear_refs cleared bit 55 and a write set it");
	return KD_YES;
}

enum kd_result kd_probe_pagemap_pfn(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_unmap_ struct mapping m = map_touched(1);
	uint64_t e = 0;

	(void)kd, (void)arg;
	if (!m.addr || kd_pagemap_entry((uintptr_t)m.addr, &e) < 0) {
		kd_say(detail, "cannot read the pagemap entry of a page: %s", strerror(errno));
		return KD_ERROR;
	}
	if (!(e & PM_PRESENT)) {
		kd_say(detail, "a written page is not present in pagemap");
		return KD_ERROR;
	}
	if (!(e & PM_PFN_MASK)) {
		kd_say(detail, "PFNs read as 0 (needs CAP_SYS_ADMIN)");
		return KD_NO;
	}
	kd_say(detail, "pagemap shows frame numbers");
	return KD_YES;
}

enum kd_result kd_probe_memfd(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_close_ int fd = memfd_create("cryo-kd-memfd", MFD_CLOEXEC);
	char buf[5] = { 0 };

	(void)kd, (void)arg;
	if (fd < 0) {
		kd_say(detail, "memfd_create: %s", strerror(errno));
		return errno == ENOSYS ? KD_NO : KD_ERROR;
	}
	if (pwrite(fd, "cryo", 4, 0) != 4 || pread(fd, buf, 4, 0) != 4 || strcmp(buf, "cryo")) {
		kd_say(detail, "a memfd does not keep what was written to it");
		return KD_ERROR;
	}
	kd_say(detail, "created, written and read back");
	return KD_YES;
}

enum kd_result kd_probe_memfd_hugetlb(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_close_ int fd = memfd_create("cryo-kd-huge", MFD_CLOEXEC | MFD_HUGETLB);
	char pages[32] = "?";

	(void)kd, (void)arg;
	if (kd_read_file("/proc/sys/vm/nr_hugepages", pages, sizeof(pages)) > 0)
		pages[strcspn(pages, "\n")] = '\0';
	if (fd < 0) {
		kd_say(detail, "memfd_create(MFD_HUGETLB): %s", strerror(errno));
		return errno == EINVAL || errno == ENOENT ? KD_NO : KD_ERROR;
	}
	kd_say(detail, "created (huge pages reserved: %s)", pages);
	return KD_YES;
}

enum kd_result kd_probe_memfd_seals(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_close_ int fd = memfd_create("cryo-kd-seal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	const int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

	(void)kd, (void)arg;
	if (fd < 0) {
		kd_say(detail, "memfd_create(MFD_ALLOW_SEALING): %s", strerror(errno));
		return errno == EINVAL || errno == ENOSYS ? KD_NO : KD_ERROR;
	}
	if (fcntl(fd, F_ADD_SEALS, seals) < 0) {
		kd_say(detail, "F_ADD_SEALS: %s", strerror(errno));
		return errno == EINVAL ? KD_NO : KD_ERROR;
	}
	if ((fcntl(fd, F_GET_SEALS) & seals) != seals || ftruncate(fd, 4096) == 0) {
		kd_say(detail, "seals were accepted but do not hold");
		return KD_ERROR;
	}
	kd_say(detail, "sealed a memfd; growing it is refused");
	return KD_YES;
}

/*
 * The special mappings of the vDSO area as /proc/self/maps names them.  Runs in
 * the caller: it only reads.
 */
void kd_facts_vdso(struct kerndat *kd)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/maps", "re");
	char line[512];

	kd->nr_special_vmas = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && kd->nr_special_vmas < KD_MAX_SPECIAL_VMAS) {
		unsigned long start, end;
		char name[64] = "";
		struct kd_special_vma *v;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %63s", &start, &end, name) != 3)
			continue;
		if (strncmp(name, "[vvar", 5) && strcmp(name, "[vdso]"))
			continue;
		v = &kd->special_vmas[kd->nr_special_vmas++];
		snprintf(v->name, sizeof(v->name), "%s", name);
		v->start = start;
		v->size = end - start;
	}
}

static const struct kd_special_vma *find_special(const struct kerndat *kd, const char *name)
{
	for (unsigned int i = 0; i < kd->nr_special_vmas; i++)
		if (!strcmp(kd->special_vmas[i].name, name))
			return &kd->special_vmas[i];
	return NULL;
}

enum kd_result kd_probe_vdso(struct kerndat *kd, char *detail, int arg)
{
	char buf[KD_DETAIL_MAX] = "";
	size_t used = 0;

	(void)arg;
	if (!find_special(kd, "[vdso]")) {
		kd_say(detail, "no [vdso] in /proc/self/maps");
		return KD_NO;
	}
	for (unsigned int i = 0; i < kd->nr_special_vmas && used < sizeof(buf); i++)
		used += snprintf(buf + used, sizeof(buf) - used, "%s%s %lu KiB", i ? ", " : "",
				 kd->special_vmas[i].name, kd->special_vmas[i].size / 1024);
	kd_say(detail, "%s", buf);
	return KD_YES;
}

/* Name of the mapping that starts at addr in /proc/self/maps, "" if none. */
static void mapping_name_at(unsigned long addr, char *name, size_t size)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/maps", "re");
	char line[512];

	name[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long start;
		char n[64] = "";

		if (sscanf(line, "%lx-%*x %*s %*s %*s %*s %63s", &start, n) >= 1 && start == addr) {
			snprintf(name, size, "%s", n);
			return;
		}
	}
}

/*
 * Move the vDSO elsewhere in a child and look at its name there.  After the
 * move the child must not call into the vDSO (its data pages stay behind), so
 * it uses plain syscalls and stdio only.
 */
enum kd_result kd_probe_vdso_mremap_name(struct kerndat *kd, char *detail, int arg)
{
	const struct kd_special_vma *vdso = find_special(kd, "[vdso]");
	char name[64];
	void *dest, *moved;

	(void)arg;
	if (!vdso) {
		kd_say(detail, "no [vdso] to move");
		return KD_NO;
	}
	dest = mmap(NULL, vdso->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dest == MAP_FAILED) {
		kd_say(detail, "mmap: %s", strerror(errno));
		return KD_ERROR;
	}
	moved = mremap((void *)vdso->start, vdso->size, vdso->size,
		       MREMAP_MAYMOVE | MREMAP_FIXED, dest);
	if (moved == MAP_FAILED) {
		kd_say(detail, "mremap of the vDSO: %s", strerror(errno));
		return KD_ERROR;
	}
	mapping_name_at((uintptr_t)moved, name, sizeof(name));
	if (strcmp(name, "[vdso]")) {
		kd_say(detail, "after mremap the vDSO is named '%s'", name);
		return KD_NO;
	}
	kd_say(detail, "after mremap the vDSO is still named [vdso]");
	return KD_YES;
}

enum kd_result kd_probe_map_files(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_close_ int memfd = memfd_create("cryo-kd-mapfiles", MFD_CLOEXEC);
	_cleanup_unmap_ struct mapping m = { NULL, page_size() };
	_cleanup_close_ int fd = -1;
	struct stat via_link, orig;
	char path[96];

	(void)kd, (void)arg;
	if (memfd < 0 || ftruncate(memfd, m.len) < 0) {
		kd_say(detail, "cannot make a file to map: %s", strerror(errno));
		return KD_ERROR;
	}
	m.addr = mmap(NULL, m.len, PROT_READ, MAP_SHARED, memfd, 0);
	if (m.addr == MAP_FAILED) {
		kd_say(detail, "mmap: %s", strerror(errno));
		return KD_ERROR;
	}
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)m.addr,
		 (unsigned long)m.addr + m.len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		kd_say(detail, "open %s: %s", path, strerror(errno));
		return errno == EPERM || errno == ENOENT ? KD_NO : KD_ERROR;
	}
	if (fstat(fd, &via_link) < 0 || fstat(memfd, &orig) < 0 || via_link.st_ino != orig.st_ino) {
		kd_say(detail, "map_files link leads to another file");
		return KD_ERROR;
	}
	kd_say(detail, "opened a mapped file through /proc/self/map_files");
	return KD_YES;
}

enum kd_result kd_probe_map_fixed_noreplace(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_unmap_ struct mapping m = map_touched(1);
	void *again;

	(void)kd, (void)arg;
	if (!m.addr) {
		kd_say(detail, "mmap: %s", strerror(errno));
		return KD_ERROR;
	}
	again = mmap(m.addr, m.len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		     -1, 0);
	if (again == MAP_FAILED && errno == EEXIST) {
		kd_say(detail, "refused to map over an existing mapping (EEXIST)");
		return KD_YES;
	}
	if (again != MAP_FAILED) {
		munmap(again, m.len);
		kd_say(detail, "flag ignored: mapped at %p instead of failing", again);
		return KD_NO;
	}
	kd_say(detail, "mmap failed with %s instead of EEXIST", strerror(errno));
	return KD_ERROR;
}
