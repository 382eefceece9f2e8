/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test program of the log engine.
 *
 *   log-test write text|binary FILE [LEVEL]   log every conversion the project uses
 *   log-test threads FILE                     4 threads log into one binary file
 *   log-test verify-threads < decoded         check the decode of 'threads'
 *   log-test fork FILE                        parent and child share a binary log
 *   log-test levels | sink | errno | cli | clock   self-checking, print PASS or FAIL
 *
 * 'write' uses a fixed clock so text and binary runs produce identical bytes.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include "log.h"

static uint64_t fake_ns;

static uint64_t fake_clock(void)
{
	fake_ns += 1234567;
	return fake_ns;
}

static int failures;

#define CHECK(cond, ...)                                        \
	do {                                                    \
		if (!(cond)) {                                  \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);           \
			fputc('\n', stderr);                    \
			failures++;                             \
		}                                               \
	} while (0)

enum color { RED, GREEN, BLUE };
struct opaque;
struct bits {
	unsigned flag : 1;
	int small : 4;
};

static void log_integers(void)
{
	log_info("int %d %d %d %d %i", 0, -1, INT_MAX, INT_MIN, 77);
	log_info("unsigned %u %u %u", 0u, 1u, UINT_MAX);
	log_info("long %ld %ld %ld %lu %lu", 0L, LONG_MAX, LONG_MIN, ULONG_MAX, 12345UL);
	log_info("long long %lld %lld %llu %llu %llx %llX", LLONG_MAX, LLONG_MIN, ULLONG_MAX, 0ULL,
		 0xdeadbeefcafebabeULL, 0xfeedULL);
	log_info("hex %x %X %lx %lX %#x %#X %#lx %#x", 0xabcu, 0xabcu, 0x123456789abcUL, 0xffUL, 255u,
		 255u, 0UL, 0u);
	log_info("octal %o %#o %lo", 8u, 8u, 0777UL);
	log_info("widths [%5d] [%-5d] [%05d] [%+d] [% d] [%.3d] [%8.3d] [%-+6d] [%.0d]", 42, 42, -42,
		 42, 42, 7, -7, 3, 0);
	log_info("zero pad [%08x] [%08X] [%-8x] [%#010x] [%016lx]", 0x1fu, 0xbeefu, 7u, 0xabu,
		 0x7fffffffffffUL);
	log_info("short [%hd] [%hu] [%hhd] [%hhu] [%hhx] [%hx]", (short)-2, (unsigned short)65535,
		 (signed char)-1, (unsigned char)255, (unsigned char)0xab, (unsigned short)0x2345);
	log_info("sizes %zu %zd %zx %zd %zu", (size_t)SIZE_MAX, (ssize_t)-5, sizeof(struct log_fmt_desc),
		 (ssize_t)SSIZE_MAX, (size_t)0);
	log_info("fixed width types %d %u %ld %lu", (int32_t)-32, (uint32_t)32, (int64_t)-64,
		 (uint64_t)UINT64_MAX);
	log_info("pid_t %d off_t %ld", (pid_t)getpid() * 0 + 4242, (off_t)-1);
}

static void log_strings(void)
{
	static const char unterminated[4] = { 'a', 'b', 'c', 'd' };
	char buf[32] = "in an array";
	const char *volatile null_str = NULL;

	log_info("strings [%s] [%-10s] [%10s] [%.3s] [%.10s] [%s] [%-3s]", "abc", "left", "right",
		 "truncate", "short", "", "toolong");
	log_info("array %s and const %s", buf, (const char *)buf);
	log_info("null strings [%s] [%10s] [%-8s] [%.3s] [%.6s]", null_str, null_str, null_str,
		 null_str, null_str);
	log_info("bounded [%.4s] [%.*s] [%.*s]", unterminated, 4, unterminated, 2, unterminated);
	log_info("star [%*d] [%-*d] [%.*s] [%*.*s] [%*s]", 6, 1, 6, 2, 3, "abcdef", 8, 2, "xyz", -5,
		 "neg");
	log_info("star negative precision [%.*s] [%.*d]", -1, "whole string", -3, 5);
	log_info("chars [%c] [%c] [%3c] [%-3c] [%c]", 'a', '%', 'z', 'q', 200);
	log_info("multi\nline\tmessage");
	log_info("%s", "");
	log_info("unsigned char string %s", (const unsigned char *)"bytes");
}

static void log_pointers_and_more(void)
{
	struct opaque *op = (struct opaque *)(uintptr_t)0xdead0000;
	/* not a valid string: the binary writer must store the pointer, not read it */
	char *bogus = (char *)(uintptr_t)0x10;
	enum color c = BLUE;
	struct bits b = { 1, -3 };

	log_info("pointers %p %p %p [%20p] [%-20p]", (void *)0x1234, NULL, (void *)0x7ffd12345678,
		 (const void *)0xabcdef, (void *)0);
	log_info("other pointers %p %p", op, bogus);
	log_info("enum %d %u bool %d", c, RED, (bool)true);
	log_info("bit-fields %u %d", b.flag, b.small);
	log_info("percent %% sign and 100%%");
	log_info("doubles %f %.2f %e %E %g %G %10.3f %-10.1f| %a %F", 3.14159, -2.5, 12345.678, 0.5,
		 0.0001, 1e20, 1.5, 2.25f, 1.0, 7.0);
	log_info("sixteen %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %s", 1, 2, 3, 4, 5, 6, 7, 8, 9,
		 10, 11, 12, 13, 14, 15, "end");
	errno = EACCES;
	log_info("errno text: %m (%d)", 13);
	errno = ENOENT;
	log_info("errno padded [%30m]");
}

/* Call sites the binary writer cannot encode: they take the text fallback. */
static void log_fallbacks(void)
{
	log_info("long double %Lf %.1Lf", (long double)1.5, (long double)-2.25);
	log_info("positional %2$s %1$s", "first", "second");
	log_info("wide char %lc", (wint_t)'w');
	{
		const char *runtime_fmt = getenv("LOG_TEST_NEVER_SET") ? "x" : "runtime format %d/%s";

		log_write(LOG_LVL_INFO, runtime_fmt, 42, "yes");
	}
}

static void log_big(void)
{
	size_t n = 300 * 1024; /* larger than the 256 KiB buffer */
	char *s = malloc(n + 1);

	if (!s)
		abort();
	for (size_t i = 0; i < n; i++)
		s[i] = (char)('a' + i % 26);
	s[n] = '\0';
	log_info("big %s end", s);
	s[10000] = '\0';
	log_info("medium %s end", s);
	free(s);
}

static void log_levels_and_errno(void)
{
	int r;

	log_error("an error %d", 1);
	log_warn("a warning %s", "w");
	log_info("an info");
	log_debug("a debug message %lu", 4UL);
	r = log_error_errno(-ENOENT, "cannot open %s", "/nonexistent");
	log_info("log_error_errno returned %d", r);
	r = log_warn_errno(-EPERM, "no permission");
	log_debug_errno(-EINVAL, "debug errno %d", r);
	/* a level chosen at run time */
	for (int lvl = LOG_LVL_ERROR; lvl <= LOG_LVL_DEBUG; lvl++)
		log_at(lvl, "run-time level %d", lvl);
	log_full_errno(r == -EPERM ? LOG_LVL_WARN : LOG_LVL_ERROR, -EAGAIN, "run-time level errno");
}

static int do_write(const char *mode, const char *path, int level)
{
	enum log_format fmt;
	int r;

	if (log_format_from_string(mode, &fmt) < 0) {
		fprintf(stderr, "bad mode %s\n", mode);
		return 2;
	}
	log_set_clock(fake_clock);
	r = log_init(path, fmt, (enum log_level)level);
	if (r < 0) {
		fprintf(stderr, "log_init(%s): %s\n", path, strerror(-r));
		return 1;
	}
	log_integers();
	log_strings();
	log_pointers_and_more();
	log_fallbacks();
	log_big();
	log_levels_and_errno();
	for (int i = 0; i < 20000; i++)
		log_debug("loop %d of %d: %s %lx", i, 20000, i % 2 ? "odd" : "even", (unsigned long)i * 4096);
	log_info("done");
	log_fini();
	return 0;
}

/* ---- threads ---- */

#define THREADS 4
#define PER_THREAD 50000

static void *thread_main(void *arg)
{
	int t = (int)(intptr_t)arg;

	for (int i = 0; i < PER_THREAD; i++)
		log_info("thread %d seq %d %s", t, i, "payload");
	return NULL;
}

static int do_threads(const char *path)
{
	pthread_t th[THREADS];
	int r = log_init(path, LOG_FMT_BINARY, LOG_LVL_INFO);

	if (r < 0)
		return 1;
	for (int t = 0; t < THREADS; t++)
		pthread_create(&th[t], NULL, thread_main, (void *)(intptr_t)t);
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	log_fini();
	return 0;
}

static int do_verify_threads(void)
{
	int next[THREADS] = { 0 }, t, seq, lines = 0;
	char line[256];

	while (fgets(line, sizeof(line), stdin)) {
		char *m = strstr(line, " I: thread ");

		if (!m || sscanf(m, " I: thread %d seq %d payload", &t, &seq) != 2 || t < 0 ||
		    t >= THREADS) {
			fprintf(stderr, "FAIL: unexpected line: %s", line);
			return 1;
		}
		if (seq != next[t]) {
			fprintf(stderr, "FAIL: thread %d: seq %d, expected %d\n", t, seq, next[t]);
			return 1;
		}
		next[t]++;
		lines++;
	}
	for (t = 0; t < THREADS; t++)
		if (next[t] != PER_THREAD) {
			fprintf(stderr, "FAIL: thread %d logged %d records, expected %d\n", t, next[t],
				PER_THREAD);
			return 1;
		}
	printf("PASS: %d lines from %d threads, each complete and in order\n", lines, THREADS);
	return 0;
}

/* ---- fork ---- */

static int do_fork(const char *path)
{
	int status;
	pid_t pid;

	log_set_clock(fake_clock);
	if (log_init(path, LOG_FMT_BINARY, LOG_LVL_INFO) < 0)
		return 1;
	log_info("parent before fork");
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		for (int i = 0; i < 100; i++)
			log_info("child line %d", i);
		exit(0); /* atexit flushes */
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	log_info("parent after child");
	log_fini();
	return 0;
}

/* ---- real clock ---- */

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * Timestamps of the real clock (TSC re-anchored on CLOCK_MONOTONIC on x86).
 * Each record carries this program's own CLOCK_MONOTONIC reading r[i], taken
 * just before the call, so record i was stamped at a time T[i] with
 * r[i] <= T[i] <= r[i+1].  Hence, whatever the speed of the machine,
 *     r[i] - r[1]  <=  stamp[i] - stamp[0]  <=  r[i+1] - r[0]
 * give or take the microsecond rounding.  A TSC rate off by 0.1% breaks this
 * within a few milliseconds of records.
 */
#define CLOCK_RECORDS 20000
#define CLOCK_SLACK_US 3

static int test_clock(const char *path)
{
	const struct timespec pause = { 0, 15 * 1000 * 1000 };
	static uint64_t reading[CLOCK_RECORDS + 1], stamp[CLOCK_RECORDS];
	uint64_t arg;
	unsigned long sec, usec, got;
	char line[256];
	int n = 0;
	FILE *f;

	CHECK(log_init(path, LOG_FMT_TEXT, LOG_LVL_INFO) == 0, "log_init");
	for (int i = 0; i < CLOCK_RECORDS; i++) {
		if (i == CLOCK_RECORDS / 2)
			nanosleep(&pause, NULL);
		for (uint64_t t = mono_us(); mono_us() < t + 2;)
			; /* ~2 us apart: the records span ~40 ms, several anchors */
		arg = mono_us();
		log_info("at %lu", (unsigned long)arg);
	}
	log_fini();
	reading[CLOCK_RECORDS] = mono_us();

	f = fopen(path, "r");
	CHECK(f != NULL, "cannot read %s", path);
	while (f && n < CLOCK_RECORDS && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "(%lu.%6lu) I: at %lu", &sec, &usec, &got) != 3) {
			CHECK(false, "bad line %s", line);
			break;
		}
		stamp[n] = (uint64_t)sec * 1000000u + usec;
		reading[n++] = got;
	}
	if (f)
		fclose(f);
	CHECK(n == CLOCK_RECORDS, "%d records", n);
	for (int i = 0; i < n && failures < 5; i++) {
		CHECK(i == 0 || stamp[i] >= stamp[i - 1], "record %d: timestamp went back from %lu to %lu us",
		      i, (unsigned long)stamp[i - 1], (unsigned long)stamp[i]);
		CHECK(i == 0 || stamp[i] - stamp[0] + CLOCK_SLACK_US >= reading[i] - reading[1],
		      "record %d: %lu us after record 0, but at least %lu us had passed", i,
		      (unsigned long)(stamp[i] - stamp[0]), (unsigned long)(reading[i] - reading[1]));
		CHECK(stamp[i] - stamp[0] <= reading[i + 1] - reading[0] + CLOCK_SLACK_US,
		      "record %d: %lu us after record 0, but at most %lu us had passed", i,
		      (unsigned long)(stamp[i] - stamp[0]), (unsigned long)(reading[i + 1] - reading[0]));
	}
	printf("%s: clock (%d records over %lu us)\n", failures ? "FAIL" : "PASS", n,
	       (unsigned long)(n ? stamp[n - 1] - stamp[0] : 0));
	return failures ? 1 : 0;
}

/* ---- self-checking tests ---- */

struct captured {
	int count[5];
	char last[256];
	enum log_level last_level;
};

static void capture_sink(enum log_level level, const char *line, void *data)
{
	struct captured *c = data;

	if ((unsigned)level < 5)
		c->count[level]++;
	snprintf(c->last, sizeof(c->last), "%s", line);
	c->last_level = level;
}

static int test_levels(void)
{
	struct captured c;

	for (int lvl = LOG_LVL_NONE; lvl <= LOG_LVL_DEBUG; lvl++) {
		c = (struct captured){ 0 };
		log_set_sink(capture_sink, &c);
		log_set_level((enum log_level)lvl);
		CHECK(log_get_level() == (enum log_level)lvl, "log_get_level() %d != %d",
		      log_get_level(), lvl);
		log_error("e");
		log_warn("w");
		log_info("i");
		log_debug("d");
		log_write(LOG_LVL_INFO, "runtime i");
		for (int l = LOG_LVL_ERROR; l <= LOG_LVL_DEBUG; l++) {
			int expect = l <= lvl ? 1 + (l == LOG_LVL_INFO) : 0;

			CHECK(c.count[l] == expect, "-v%d: %d records at level %d, expected %d", lvl,
			      c.count[l], l, expect);
		}
		CHECK(c.count[LOG_LVL_NONE] == 0, "a record at level 0");
	}
	/* arguments of a filtered call are not evaluated */
	{
		int evaluated = 0;

		log_set_level(LOG_LVL_WARN);
		log_info("%d", ++evaluated);
		CHECK(evaluated == 0, "arguments of a hidden info call were evaluated");
		log_warn("%d", ++evaluated);
		CHECK(evaluated == 1, "arguments of a shown warn call were not evaluated once");
	}
	log_set_sink(NULL, NULL);
	printf("%s: levels\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}

static int test_sink(const char *path)
{
	struct captured c = { 0 };
	FILE *f;
	long size;

	/* a sink replaces the file output, in binary mode too */
	CHECK(log_init(path, LOG_FMT_BINARY, LOG_LVL_DEBUG) == 0, "log_init binary");
	log_set_sink(capture_sink, &c);
	log_info("sink got %d and %s", 5, "five");
	CHECK(c.count[LOG_LVL_INFO] == 1 && !strcmp(c.last, "sink got 5 and five"),
	      "sink line '%s' (%d records)", c.last, c.count[LOG_LVL_INFO]);
	errno = EBADF;
	log_error("with errno %m");
	CHECK(c.last_level == LOG_LVL_ERROR && !strcmp(c.last, "with errno Bad file descriptor"),
	      "sink line '%s'", c.last);
	CHECK(errno == EBADF, "errno changed by logging to a sink: %d", errno);
	log_set_sink(NULL, NULL);
	log_fini();
	f = fopen(path, "r");
	CHECK(f != NULL, "cannot reopen %s", path);
	if (f) {
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		fclose(f);
		/* header only: magic + table; no record after it would be the sink's */
		CHECK(size > 8, "no header in %s", path);
	}
	printf("%s: sink\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}

static int test_errno(const char *path)
{
	int r;

	CHECK(log_init(path, LOG_FMT_BINARY, LOG_LVL_DEBUG) == 0, "log_init");
	errno = EXDEV;
	log_info("keeps errno %d", 1);
	CHECK(errno == EXDEV, "binary logging changed errno to %d", errno);
	errno = EXDEV;
	log_error("error level flushes %s", "now");
	CHECK(errno == EXDEV, "an error-level record changed errno to %d", errno);
	r = log_error_errno(-EIO, "failing %s", "thing");
	CHECK(r == -EIO, "log_error_errno evaluated to %d", r);
	log_set_level(LOG_LVL_NONE);
	r = log_error_errno(-ENOSPC, "hidden");
	CHECK(r == -ENOSPC, "hidden log_error_errno evaluated to %d", r);
	log_fini();
	CHECK(log_init(path, LOG_FMT_TEXT, LOG_LVL_DEBUG) == 0, "log_init text");
	errno = EXDEV;
	log_info("text keeps errno %d", 2);
	CHECK(errno == EXDEV, "text logging changed errno to %d", errno);
	log_fini();
	printf("%s: errno\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}

static int test_cli(const char *path)
{
	struct captured c = { 0 };

	log_set_sink(capture_sink, &c);
	CHECK(log_setup_cli(NULL, "xml", 3) == -EINVAL, "format xml accepted");
	CHECK(strstr(c.last, "'xml'") && strstr(c.last, "text"), "no clear message: '%s'", c.last);
	CHECK(log_setup_cli(NULL, "binary", 3) == -EINVAL, "binary to stderr accepted");
	CHECK(strstr(c.last, "-o FILE"), "no clear message: '%s'", c.last);
	CHECK(log_setup_cli(NULL, NULL, 5) == -EINVAL, "-v5 accepted");
	CHECK(log_setup_cli(NULL, NULL, -1) == -EINVAL, "-v-1 accepted");
	CHECK(strstr(c.last, "-v-1"), "no clear message: '%s'", c.last);
	CHECK(log_setup_cli("/nonexistent-dir/x.log", NULL, 3) == -ENOENT, "missing directory accepted");
	CHECK(strstr(c.last, "/nonexistent-dir/x.log"), "message does not name the file: '%s'", c.last);
	log_set_sink(NULL, NULL);

	CHECK(log_setup_cli(NULL, NULL, 4) == 0, "stderr default");
	CHECK(log_get_format() == LOG_FMT_TEXT && log_get_level() == LOG_LVL_DEBUG, "stderr default is not text/-v4");
	CHECK(log_setup_cli(path, NULL, 2) == 0, "file default");
	CHECK(log_get_format() == LOG_FMT_BINARY && log_get_level() == LOG_LVL_WARN, "file default is not binary/-v2");
	CHECK(log_setup_cli(path, "text", 0) == 0, "file text");
	CHECK(log_get_format() == LOG_FMT_TEXT && log_get_level() == LOG_LVL_NONE, "--log-format text not honoured");
	log_fini();
	printf("%s: cli\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "write") && (argc == 4 || argc == 5))
		return do_write(argv[2], argv[3], argc == 5 ? atoi(argv[4]) : LOG_LVL_DEBUG);
	if (!strcmp(cmd, "threads") && argc == 3)
		return do_threads(argv[2]);
	if (!strcmp(cmd, "verify-threads"))
		return do_verify_threads();
	if (!strcmp(cmd, "fork") && argc == 3)
		return do_fork(argv[2]);
	if (!strcmp(cmd, "levels"))
		return test_levels();
	if (!strcmp(cmd, "sink") && argc == 3)
		return test_sink(argv[2]);
	if (!strcmp(cmd, "errno") && argc == 3)
		return test_errno(argv[2]);
	if (!strcmp(cmd, "cli") && argc == 3)
		return test_cli(argv[2]);
	if (!strcmp(cmd, "clock") && argc == 3)
		return test_clock(argv[2]);
	fprintf(stderr, "usage: log-test write|threads|verify-threads|fork|levels|sink|errno|cli ...\n");
	return 2;
}
