/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers used everywhere: cleanup attributes and ownership transfer. */
#ifndef CRYO_UTIL_H
#define CRYO_UTIL_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <dirent.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

/* Make "void NAMEp(TYPE *p)" that calls FUNC(*p) when *p is set. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)        \
	static inline void func##p(type *p)            \
	{                                              \
		if (*p)                                \
			func(*p);                      \
	}

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose)
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Hand ownership of a pointer / fd out of a cleanup-managed variable. */
#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) _tp_ = (p);    \
		(p) = NULL;                  \
		_tp_;                        \
	})
#define TAKE_FD(fd)                          \
	({                                   \
		int _tfd_ = (fd);            \
		(fd) = -1;                   \
		_tfd_;                       \
	})

/* Negative errno of the last failed libc call; never 0. */
static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

#endif
