/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mem-floor: what this machine charges, now, for filling fresh memory: the floor under
 * a dump to tmpfs (the page cache of the page file must be filled) and under a restore
 * (the task's anonymous memory must be filled).  Prints figures, asserts nothing.
 *
 *   mem-floor [-s MiB] [-d DIR] [-r ROUNDS]    (defaults: 2048 MiB, /dev/shm, 3 rounds)
 *
 * Per round: the copy alone, pwrite into new tmpfs files (1 thread; 2 threads, 2 files;
 * 2 threads, 1 file), MADV_POPULATE_WRITE of new anonymous memory (1 and 2 threads, then
 * 2 again at once on the pages just freed).  On a VM with free page reporting a page
 * the host took back faults on the host at first touch; docs/cr-restore.md, "The
 * machine's floor".
 *
 * Files are O_TMPFILE (never named), so no path of exit, SIGINT or SIGKILL included,
 * leaves a file or its pages behind; all memory is the process's own.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include "util.h"

#define MIB (1024UL * 1024)
#define CHUNK (4 * MIB)   /* one pwrite, as cryo-cr's store threads write */
#define SOURCE (64 * MIB) /* touched source of the writes, reused */
#define REPORTING "/sys/module/page_reporting/parameters"
#define TARGET_DUMP 0.31
#define TARGET_RESTORE 0.27

struct job {
	int fd;          /* tmpfs writes: the file, or -1 for anon populate */
	char *addr;      /* write source, or the area to populate */
	off_t off;
	size_t len;
	int err;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long reported_kib(void)
{
	_cleanup_fclose_ FILE *f = fopen(REPORTING "/reported_kib", "re");
	long v = -1;

	if (!f || fscanf(f, "%ld", &v) != 1)
		return -1;
	return v;
}

/* One figure, and the MiB the kernel reported to the host since *LAST (where it counts them). */
static void figure(const char *label, size_t bytes, double s, long *last)
{
	long kib = reported_kib();

	printf("  %-44s %7.3f s  %6.2f GB/s", label, s, (double)bytes / s / 1e9);
	if (kib >= 0 && *last >= 0)
		printf("  %8ld", (kib - *last) / 1024);
	printf("\n");
	fflush(stdout);
	*last = kib;
}

/* mmap of SIZE private anonymous bytes, 4 KiB pages, touched or not; NULL on failure */
static char *map_anon(size_t size, bool touch)
{
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* Huge pages would hide the per-4-KiB cost that tmpfs and a restore pay. */
	madvise(p, size, MADV_NOHUGEPAGE);
	if (touch && madvise(p, size, MADV_POPULATE_WRITE) == 0)
		memset(p, 0x5a, size);
	return p;
}

static void *write_job(void *arg)
{
	struct job *j = arg;

	for (size_t done = 0; done < j->len;) {
		size_t at = done % SOURCE, n = j->len - done < CHUNK ? j->len - done : CHUNK;
		ssize_t w = pwrite(j->fd, j->addr + at, n < SOURCE - at ? n : SOURCE - at, j->off + (off_t)done);

		if (w <= 0) {
			j->err = w < 0 ? negative_errno() : -ENOSPC;
			break;
		}
		done += (size_t)w;
	}
	return NULL;
}

static void *populate_job(void *arg)
{
	struct job *j = arg;

	if (madvise(j->addr, j->len, MADV_POPULATE_WRITE) < 0)
		j->err = negative_errno();
	return NULL;
}

/* Run N jobs on N threads (the first on this one); seconds taken, or -errno. */
static double run_jobs(void *(*fn)(void *), struct job *jobs, int n)
{
	pthread_t t[2];
	double start = now();
	int started = 1;

	for (int i = 1; i < n; i++, started++)
		if (pthread_create(&t[i], NULL, fn, &jobs[i]) != 0) {
			jobs[i].err = -EAGAIN;
			break;
		}
	fn(&jobs[0]);
	for (int i = 1; i < started; i++)
		pthread_join(t[i], NULL);
	double s = now() - start;
	for (int i = 0; i < n; i++)
		if (jobs[i].err < 0)
			return jobs[i].err;
	return s;
}

/* A new file in DIR that never has a name (O_TMPFILE, tmpfs has it). */
static int tmp_file(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);

	return fd < 0 ? negative_errno() : fd;
}

/* memcpy of SIZE between two touched BUF-byte buffers; *POPULATE_S: populating them took. */
static double fig_memcpy(size_t size, size_t buf, double *populate_s)
{
	char *a = map_anon(buf, false), *b = map_anon(buf, false);
	double s = -ENOMEM, t = now();

	if (a && b && madvise(a, buf, MADV_POPULATE_WRITE) == 0 && madvise(b, buf, MADV_POPULATE_WRITE) == 0) {
		*populate_s = now() - t;
		memset(a, 0x5a, buf);
		memset(b, 0xa5, buf);
		double start = now();
		for (size_t done = 0; done < size; done += buf)
			memcpy(b, a, size - done < buf ? size - done : buf);
		s = now() - start;
	}
	if (a)
		munmap(a, buf);
	if (b)
		munmap(b, buf);
	return s;
}

/* SIZE written from SRC by NTHREADS threads into NFILES new files in DIR (1 or NTHREADS). */
static double fig_tmpfs(const char *dir, size_t size, char *src, int nthreads, int nfiles)
{
	_cleanup_close_ int f0 = -1, f1 = -1;
	struct job jobs[2] = {};

	f0 = tmp_file(dir);
	if (f0 < 0)
		return f0;
	if (nfiles > 1) {
		f1 = tmp_file(dir);
		if (f1 < 0)
			return f1;
	}
	for (int i = 0; i < nthreads; i++) {
		size_t part = size / (size_t)nthreads;
		jobs[i] = (struct job){ .fd = i && nfiles > 1 ? f1 : f0, .addr = src, .len = part,
					.off = nfiles > 1 ? 0 : (off_t)(part * (size_t)i) };
	}
	return run_jobs(write_job, jobs, nthreads);
}

/* MADV_POPULATE_WRITE of SIZE fresh private anonymous bytes, in NTHREADS parts. */
static double fig_anon(size_t size, int nthreads)
{
	char *p = map_anon(size, false);
	struct job jobs[2] = {};

	if (!p)
		return -ENOMEM;
	for (int i = 0; i < nthreads; i++) {
		size_t part = size / (size_t)nthreads;
		jobs[i] = (struct job){ .fd = -1, .addr = p + part * (size_t)i, .len = part };
	}
	double s = run_jobs(populate_job, jobs, nthreads);
	munmap(p, size);
	return s;
}

/* Is a virtio balloon bound with VIRTIO_BALLOON_F_REPORTING (feature bit 5)? */
static bool balloon_reports(void)
{
	_cleanup_closedir_ DIR *d = opendir("/sys/bus/virtio/devices");
	struct dirent *e;
	char path[512], dev[16] = "", feat[8] = "";

	while (d && (e = readdir(d))) {
		snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/device", e->d_name);
		_cleanup_fclose_ FILE *f = fopen(path, "re");
		snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/features", e->d_name);
		_cleanup_fclose_ FILE *g = fopen(path, "re");
		if (f && g && fgets(dev, sizeof(dev), f) && fgets(feat, sizeof(feat), g) &&
		    strtol(dev, NULL, 16) == 5 && strlen(feat) > 5 && feat[5] == '1')
			return true;
	}
	return false;
}

static void print_reporting(void)
{
	struct dirent **names;
	int n = scandir(REPORTING, &names, NULL, alphasort);

	if (n < 0) {
		printf("page reporting: %s absent (no free page reporting in this kernel)\n", REPORTING);
		return;
	}
	printf("page reporting (%s):", REPORTING);
	for (int i = 0; i < n; i++) {
		char path[512], v[64] = "?";
		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), REPORTING "/%s", names[i]->d_name);
			_cleanup_fclose_ FILE *f = fopen(path, "re");
			if (f && fgets(v, sizeof(v), f))
				v[strcspn(v, "\n")] = 0;
			printf(" %s=%s", names[i]->d_name, v);
		}
		free(names[i]);
	}
	free(names);
	if (balloon_reports())
		printf("\n  virtio-balloon free page reporting is ON: free blocks are handed back to the\n"
		       "  host, so a fresh page the guest touches faults on the host first.\n");
	else
		printf("\n  no virtio balloon with free page reporting is bound: reporting is idle.\n");
}

/* MemAvailable in bytes, or 0 */
static size_t mem_available(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	unsigned long kib;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %lu kB", &kib) == 1)
			return kib * 1024;
	return 0;
}

/* One round of figures 0-7; 0, or 1 once the failure is logged. */
static int round_figures(int round, int rounds, const char *dir, size_t size, size_t copy_buf, char *src)
{
	static const struct {
		const char *label;
		int kind, threads, files; /* kind 0: tmpfs, 1: anon */
	} figs[] = {
		{ "2 tmpfs write, 1 thread, 1 file", 0, 1, 1 },
		{ "3 tmpfs write, 2 threads, 2 files", 0, 2, 2 },
		{ "4 tmpfs write, 2 threads, 1 file", 0, 2, 1 },
		{ "5 anon populate, 1 thread", 1, 1, 0 },
		{ "6 anon populate, 2 threads", 1, 2, 0 },
		{ "7 anon populate, 2 threads, warm", 1, 2, 0 },
	};
	double s[ARRAY_SIZE(figs) + 2], populate_s;
	long last = reported_kib();

	printf("round %d/%d%*s%s\n", round, rounds, 60, "seconds        rate", last >= 0 ? "  reported" : "");
	s[1] = fig_memcpy(size, copy_buf, &populate_s);
	if (s[1] < 0) {
		fprintf(stderr, "mem-floor: memcpy: no memory for two %zu MiB buffers\n", copy_buf / MIB);
		return 1;
	}
	/* The round's first touch, of twice SIZE: more than was freed just before, so fresher. */
	figure("0 anon populate, 1 thread, memcpy's buffers", 2 * copy_buf, populate_s, &last);
	figure("1 memcpy, touched buffers", size, s[1], &last);
	for (size_t i = 0; i < ARRAY_SIZE(figs); i++) {
		s[i + 2] = figs[i].kind ? fig_anon(size, figs[i].threads)
					: fig_tmpfs(dir, size, src, figs[i].threads, figs[i].files);
		if (s[i + 2] < 0) {
			fprintf(stderr, "mem-floor: round %d, %s (%s): %s\n", round, figs[i].label,
				figs[i].kind ? "anonymous memory" : dir, strerror((int)-s[i + 2]));
			return 1;
		}
		figure(figs[i].label, size, s[i + 2], &last);
	}
	/* The targets are for 2 GiB; scaled linearly for another SIZE. */
	double scale = (double)size / (2048 * MIB);
	printf("  floor now: dump >= %.3f s (fig. 3; target %.2f s), restore >= %.3f s (fig. 6; target %.2f s)\n",
	       s[3], TARGET_DUMP * scale, s[6], TARGET_RESTORE * scale);
	fflush(stdout);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: mem-floor [-s MiB] [-d TMPFS-DIR] [-r ROUNDS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *dir = "/dev/shm";
	long mib = 2048, rounds = 3;
	char *end;
	int c;

	while ((c = getopt(argc, argv, "s:d:r:h")) != -1) {
		switch (c) {
		case 's':
			mib = strtol(optarg, &end, 10);
			if (*end || mib < 8 || mib % 2 || mib > (1L << 30)) {
				fprintf(stderr, "mem-floor: -s %s: want an even number of MiB, at least 8\n", optarg);
				return 2;
			}
			break;
		case 'd':
			dir = optarg;
			break;
		case 'r':
			rounds = strtol(optarg, &end, 10);
			if (*end || rounds < 1) {
				fprintf(stderr, "mem-floor: -r %s: want a number of rounds >= 1\n", optarg);
				return 2;
			}
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();

	size_t size = (size_t)mib * MIB, avail = mem_available();
	struct statvfs vfs;
	if (statvfs(dir, &vfs) < 0) {
		fprintf(stderr, "mem-floor: %s: %m\n", dir);
		return 1;
	}
	struct statfs fs;
	if (statfs(dir, &fs) == 0 && fs.f_type != TMPFS_MAGIC)
		fprintf(stderr, "mem-floor: note: %s is not on tmpfs, figures 2-4 are not the page cache a dump fills\n",
			dir);
	if ((size_t)vfs.f_bavail * vfs.f_bsize < size) {
		fprintf(stderr, "mem-floor: %s has %lu MiB free, less than -s %ld\n", dir,
			(unsigned long)((size_t)vfs.f_bavail * vfs.f_bsize / MIB), mib);
		return 1;
	}
	if (size > avail / 2) {
		fprintf(stderr, "mem-floor: -s %ld MiB is more than half of MemAvailable (%zu MiB)\n", mib,
			avail / MIB);
		return 1;
	}
	/* Two touched buffers of SIZE only if they leave room for the rest. */
	size_t copy_buf = 2 * size <= avail / 2 || size <= 256 * MIB ? size : 256 * MIB;
	char *src = map_anon(SOURCE, true);
	if (!src) {
		fprintf(stderr, "mem-floor: no memory for the %lu MiB source: %m\n", SOURCE / MIB);
		return 1;
	}

	printf("mem-floor: %ld MiB, tmpfs dir %s, %ld rounds; pwrite in %lu MiB chunks from a touched "
	       "%lu MiB source;\n  anon: 4 KiB pages (MADV_NOHUGEPAGE), MADV_POPULATE_WRITE; memcpy: %s\n",
	       mib, dir, rounds, CHUNK / MIB, SOURCE / MIB,
	       copy_buf == size ? "two touched buffers of the full size"
				: "two touched 256 MiB buffers, reused (twice the full size is too much here)");
	print_reporting();
	if (reported_kib() >= 0)
		printf("  \"reported\": MiB the kernel reported to the host since the line above.  Figures 2-7\n"
		       "  take new memory, but the kernel hands out the pages freed last first, and the figure\n"
		       "  before each freed SIZE: mostly recycled pages, the lower bound.  Figure 0 takes twice\n"
		       "  SIZE, more than was just freed: the closest to fresh pages.\n");
	for (long r = 1; r <= rounds; r++) {
		if (round_figures((int)r, (int)rounds, dir, size, copy_buf, src))
			return 1;
	}
	return 0;
}
