/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the image files: image.c, image-dir.c, pages.c. Not an API. */
#ifndef CRYO_IMAGE_INTERNAL_H
#define CRYO_IMAGE_INTERNAL_H

#include <stdarg.h>
#include "image.h"

int img_write_full(int fd, const void *buf, size_t len);
int img_pread_full(int fd, void *buf, size_t len, off_t off);
int img_format_name(const struct img_kind_info *k, char *buf, size_t size, va_list ap);

bool img_dir_writable(const struct img_dir *d);
/* Open name for reading: in a write dir, the staged file first, then the published one. */
int img_dir_openat_read(struct img_dir *d, const char *name);
int img_dir_file_exists(struct img_dir *d, const char *name);
/* Create a raw file (page data) in the staging directory, 0600. */
int img_dir_create_raw(struct img_dir *d, const char *name);
void img_dir_file_opened(struct img_dir *d);
void img_dir_file_closed(struct img_dir *d);

#endif
