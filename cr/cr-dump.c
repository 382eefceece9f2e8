/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cli.h"

int cr_dump_main(int argc, char **argv) { (void)argc; return verb_not_implemented("cryo-cr", argv[0]); }
int cr_pre_dump_main(int argc, char **argv) { (void)argc; return verb_not_implemented("cryo-cr", argv[0]); }
int cr_page_server_main(int argc, char **argv) { (void)argc; return verb_not_implemented("cryo-cr", argv[0]); }
int cr_lazy_pages_main(int argc, char **argv) { (void)argc; return verb_not_implemented("cryo-cr", argv[0]); }
