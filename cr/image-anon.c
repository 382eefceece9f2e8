/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cli.h"
int img_anonymise_main(int argc, char **argv) { (void)argc; return verb_not_implemented("cryo-image", argv[0]); }
