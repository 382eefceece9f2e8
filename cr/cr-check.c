/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cli.h"

int cr_check_main(int argc, char **argv) { (void)argc; return verb_not_implemented("cryo-cr", argv[0]); }
