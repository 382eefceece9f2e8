/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cryo CLI: global options, the runc-style option parser, the verb table. */
#ifndef CRYO_SHIM_H
#define CRYO_SHIM_H

#include <stdbool.h>
#include "cr/log.h"
#include "oci/error.h"

struct cryo_globals {
	const char *root;       /* --root, default /run/cryo */
	const char *log_path;   /* --log */
	bool log_json;          /* --log-format json */
	bool debug;
	bool systemd_cgroup;
};
extern struct cryo_globals cryo_globals;

/*
 * Options of one verb.  names is "long|s" ("bundle|b"); each name is accepted
 * with one or two dashes, and "--name=value" too.  Parsing stops at the first
 * positional argument (like Go's flag package, which runc uses).
 */
enum opt_kind { OPT_BOOL, OPT_STRING, OPT_INT, OPT_LIST };

struct opt {
	const char *names;
	enum opt_kind kind;
	void *target;           /* bool*, const char**, int*, char*** (OPT_LIST, appended) */
	const char *help;
};

/* Returns the index of the first positional argument, or -1 after printing
 * an error (exit code 1), or -2 when --help was printed (exit code 0). */
int opts_parse(const char *verb, const char *usage, int argc, char **argv, const struct opt *opts);
void opts_print_help(const char *verb, const char *usage, const struct opt *opts);

/* Verbs: argv[0] is the verb; each returns the exit code. */
int verb_create(int argc, char **argv);
int verb_start(int argc, char **argv);
int verb_run(int argc, char **argv);
int verb_state(int argc, char **argv);
int verb_kill(int argc, char **argv);
int verb_delete(int argc, char **argv);
int verb_list(int argc, char **argv);
int verb_ps(int argc, char **argv);
int verb_exec(int argc, char **argv);
int verb_pause(int argc, char **argv);
int verb_resume(int argc, char **argv);
int verb_update(int argc, char **argv);
int verb_events(int argc, char **argv);
int verb_spec(int argc, char **argv);
int verb_features(int argc, char **argv);
int verb_checkpoint(int argc, char **argv);
int verb_restore(int argc, char **argv);

/* Log the OCI error once and return exit code 1. */
int fail_oci(const struct oci_error *err);
/* Check the number of positional arguments; logs and returns -1 on mismatch. */
int expect_args(const char *verb, int n_have, int n_min, int n_max);

/* The log sink behind cr/log.h: text or json lines to --log, errors to stderr. */
int cryo_log_setup(void);

#endif
