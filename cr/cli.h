/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Entry points of the verbs of cryo-cr and cryo-image; each lives in its own file. */
#ifndef CRYO_CLI_H
#define CRYO_CLI_H

#include <stddef.h>

/* Every verb gets argv with argv[0] = verb name; returns the process exit code. */
typedef int (*verb_main_fn)(int argc, char **argv);

struct verb {
	const char *name;
	verb_main_fn main;
	const char *summary;
};

int verb_not_implemented(const char *tool, const char *verb);
/* Run the verb named by argv[1]; handles --help and --version. Returns the exit code. */
int verb_dispatch(const char *tool, const struct verb *verbs, size_t n, int argc, char **argv);

/* -o FILE of a C/R verb: relative paths go into the images directory (CRIU). */
char *cli_log_path(const char *images_dir, const char *path, int *ret_err);

/* Options dump and restore share: 0, or -EINVAL after printing "cryo-cr VERB: ..." to stderr. */
/* --network-lock MODE: the enum netlock_mode value in *ret. */
int cli_parse_network_lock(const char *verb, const char *arg, int *ret);
/* --manage-cgroups MODE: one of the names cg_mode_from_name() takes. */
int cli_check_cgroup_mode(const char *verb, const char *arg);

/* cryo-cr */
int cr_dump_main(int argc, char **argv);
int cr_pre_dump_main(int argc, char **argv);
int cr_restore_main(int argc, char **argv);
int cr_check_main(int argc, char **argv);
int cr_page_server_main(int argc, char **argv);
int cr_lazy_pages_main(int argc, char **argv);

/* cryo-image */
int img_show_main(int argc, char **argv);
int img_decode_main(int argc, char **argv);
int img_encode_main(int argc, char **argv);
int img_stats_main(int argc, char **argv);
int img_anonymise_main(int argc, char **argv);
int img_log_main(int argc, char **argv);

#endif
