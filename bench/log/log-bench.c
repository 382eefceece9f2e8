/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cost of log calls, binary vs text, to a file.  Prints figures, asserts nothing.
 *
 *   log-bench [-n MILLIONS] [-d DIR]     (defaults: 2 million calls, /dev/shm or /tmp)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "log.h"

static const char *const names[] = { "[heap]", "/usr/lib/x86_64-linux-gnu/libc.so.6", "[stack]",
				     "/memfd:cryo (deleted)" };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

/* user and system CPU seconds of this process */
static void cpu(double *user, double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = tv(ru.ru_utime);
	*sys = tv(ru.ru_stime);
}

/* Shaped like the dumper's debug output: numbers, hex, a path. */
static void workload_mixed(long n)
{
	for (long i = 0; i < n; i++)
		log_debug("vma %#lx-%#lx prot %x flags %#x pgoff %lu %s", 0x7f0000000000UL + (unsigned long)i * 4096,
			  0x7f0000001000UL + (unsigned long)i * 4096, (unsigned)(i & 7), 0x22u,
			  (unsigned long)i, names[i & 3]);
}

static void workload_ints(long n)
{
	for (long i = 0; i < n; i++)
		log_debug("pid %d fd %d pos %lld", (int)(i & 0xffff), (int)(i & 63), (long long)i * 512);
}

static void run(const char *label, const char *dir, enum log_format fmt, enum log_level level,
		void (*work)(long), long n)
{
	char path[4096];
	struct stat st;
	double t0, t1, u0, u1, s0, s1;
	int r;

	snprintf(path, sizeof(path), "%s/cryo-log-bench.%d.log", dir, (int)getpid());
	r = log_init(path, fmt, level);
	if (r < 0) {
		fprintf(stderr, "log-bench: cannot open %s: %s\n", path, strerror(-r));
		exit(1);
	}
	cpu(&u0, &s0);
	t0 = now();
	work(n);
	log_fini(); /* the last flush is part of the cost */
	t1 = now();
	cpu(&u1, &s1);
	if (stat(path, &st) < 0)
		st.st_size = 0;
	unlink(path);
	printf("%-22s %-7s %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f\n", label,
	       fmt == LOG_FMT_BINARY ? "binary" : "text", (t1 - t0) * 1e9 / (double)n,
	       (u1 - u0 + s1 - s0) * 1e9 / (double)n, (u1 - u0) * 1e9 / (double)n,
	       (double)st.st_size / 1e6, (double)st.st_size / (double)n, (double)n / (t1 - t0) / 1e6);
}

int main(int argc, char **argv)
{
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	double millions = 2;
	long n;
	int c;

	while ((c = getopt(argc, argv, "n:d:h")) != -1) {
		switch (c) {
		case 'n':
			millions = atof(optarg);
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			fprintf(c == 'h' ? stdout : stderr, "usage: log-bench [-n MILLIONS] [-d DIR]\n");
			return c == 'h' ? 0 : 1;
		}
	}
	n = (long)(millions * 1e6);
	if (n <= 0) {
		fprintf(stderr, "log-bench: -n must be a positive number of millions\n");
		return 1;
	}
	printf("%ld calls per run, files in %s\n\n", n, dir);
	printf("ns/call: wall clock, CPU (user + system), user only (the logger's own work)\n\n");
	printf("%-22s %-7s %9s %9s %9s %9s %9s %9s\n", "workload", "format", "wall", "cpu", "user", "MB",
	       "B/call", "Mcalls/s");
	run("mixed (6 args, 1 str)", dir, LOG_FMT_BINARY, LOG_LVL_DEBUG, workload_mixed, n);
	run("mixed (6 args, 1 str)", dir, LOG_FMT_TEXT, LOG_LVL_DEBUG, workload_mixed, n);
	run("ints (3 args)", dir, LOG_FMT_BINARY, LOG_LVL_DEBUG, workload_ints, n);
	run("ints (3 args)", dir, LOG_FMT_TEXT, LOG_LVL_DEBUG, workload_ints, n);
	run("filtered out (-v3)", dir, LOG_FMT_BINARY, LOG_LVL_INFO, workload_mixed, n);
	return 0;
}
