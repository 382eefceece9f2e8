/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A sample image with every kind, written through the image API (tests only). */
#ifndef CRYO_TEST_IMAGE_SAMPLE_H
#define CRYO_TEST_IMAGE_SAMPLE_H

#include "cr/image.h"

#define SAMPLE_PID	4242
#define SAMPLE_TID	4243
#define SAMPLE_BASE	0x7f0000000000ull

/* Write a full sample image into path (committed).  gen varies the page contents. */
int sample_write_image(const char *path, unsigned gen);
/* The byte the sample puts at offset i of page number n (gen-dependent). */
static inline unsigned char sample_byte(unsigned gen, uint64_t n, uint64_t i)
{
	return (unsigned char)(gen * 31 + n * 7 + i);
}

#endif
