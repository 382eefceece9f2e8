/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by the ns tests: PASS/FAIL lines and pipes. */
#ifndef NS_TEST_COMMON_H
#define NS_TEST_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int nr_fail;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		printf("PASS: ");					\
	} else {							\
		printf("FAIL: ");					\
		nr_fail++;						\
	}								\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	fflush(stdout);							\
} while (0)

#define DIE(...) do { fprintf(stderr, "ns test: " __VA_ARGS__); fprintf(stderr, " (%s)\n", strerror(errno)); _exit(2); } while (0)

static inline void put_int(int fd, int v)
{
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		DIE("pipe write");
}

static inline int get_int(int fd)
{
	int v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		DIE("pipe read");
	return v;
}

#endif
