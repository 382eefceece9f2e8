/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers of the mntnet C/R test programs. */
#ifndef CRYO_TESTS_MNTSHAPE_H
#define CRYO_TESTS_MNTSHAPE_H

#include <stddef.h>

/* A whole file, NUL-terminated (NULL on error, errno set); *len its size. */
char *read_file(const char *path, size_t *len);
/* /proc/self/mountinfo sorted by mountpoint, without mount ids, devices, and
 * with peer group numbers renamed in order of appearance: equal before and
 * after a restore when the mount tree has the same shape. */
char *mount_shape(void);

#endif
