/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mksample DIR [GEN]: write the sample image (every kind) into DIR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sample.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: mksample DIR [GEN]\n");
		return 2;
	}
	int r = sample_write_image(argv[1], argc > 2 ? atoi(argv[2]) : 0);
	if (r < 0) {
		fprintf(stderr, "mksample: %s: %s\n", argv[1], strerror(-r));
		return 1;
	}
	return 0;
}
