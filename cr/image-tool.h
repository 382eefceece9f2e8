/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the cryo-image verbs (image-tool.c, image-show.c, image-anon.c). */
#ifndef CRYO_IMAGE_TOOL_H
#define CRYO_IMAGE_TOOL_H

#include <dirent.h>
#include "image.h"

/* getopt for "-o OUT" / "-i IN" and one positional argument (ret_arg NULL: none).
 * 1: go on, 0: --help printed, < 0: usage error printed. */
int img_tool_parse_out(int argc, char **argv, const char *usage, const char **ret_in,
		       const char **ret_out, const char **ret_arg);
/* The kind of a file by its magic number, quietly (NULL: not an image file). */
const struct img_kind_info *img_tool_sniff(int dirfd, const char *name);
/* Sorted names of a directory without dot files; free with img_tool_free_list(). */
int img_tool_list(const char *path, struct dirent ***ret);
void img_tool_free_list(struct dirent **v, int n);

#endif
