/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("cryo version %s\n", CRYO_VERSION);
		return 0;
	}
	fprintf(stderr, "cryo: not implemented yet\n");
	return 1;
}
