/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cryo-cr check: show what kerndat found.
 *
 *   cryo-cr check                   one screen: every feature, yes/no and what a
 *                                   missing one costs, then the facts
 *   cryo-cr check --details         the same with how each probe decided
 *   cryo-cr check --feature A[,B]   exit 0 if all present, 1 if any is missing,
 *                                   2 if a name is unknown ("list" lists names)
 *   cryo-cr check --json            everything as one JSON object
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <yajl/yajl_gen.h>

#include "cli.h"
#include "kerndat.h"
#include "log.h"

#define CHECK_EXIT_MISSING 1
#define CHECK_EXIT_USAGE 2

struct check_opts {
	bool json;
	bool details;
	bool want[KD_NR_FEATURES]; /* selected by --feature */
	bool any_wanted;
	bool list;
	const char *log_file;
	const char *log_format;
	int verbosity;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cryo-cr check [OPTIONS]\n"
		"\n"
		"Probe the kernel features cryo uses and report them.\n"
		"\n"
		"Options:\n"
		"  --feature NAME[,NAME...]  check only these; exit 0 if all are present,\n"
		"                            1 if any is missing, 2 if a name is unknown\n"
		"  --feature list            print the names of all features\n"
		"  --json                    print a JSON object instead of the screen\n"
		"  --details                 show how each probe decided\n"
		"  -v[N], --verbosity N      log level 0-4 (each extra v adds one)\n"
		"  -o, --log-file FILE       write the log to FILE\n"
		"  --log-format text|binary  log format (default: binary to a file)\n"
		"  -h, --help                show this help\n");
}

static int select_features(struct check_opts *o, const char *arg)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		int f;

		if (!strcmp(name, "list")) {
			o->list = true;
			continue;
		}
		f = kerndat_feature_by_name(name);
		if (f < 0) {
			fprintf(stderr, "cryo-cr check: unknown feature '%s' "
				"(run 'cryo-cr check --feature list' for the names)\n", name);
			return -ENOENT;
		}
		o->want[f] = true;
		o->any_wanted = true;
	}
	return 0;
}

static int parse_verbosity(const char *arg, int current)
{
	char *end;
	long v;

	/* -v, -vv, ... add one each, up to debug. */
	if (!arg)
		return current < LOG_LVL_DEBUG ? current + 1 : LOG_LVL_DEBUG;
	if (strspn(arg, "v") == strlen(arg)) {
		v = current + 1 + (long)strlen(arg);
		return v < LOG_LVL_DEBUG ? v : LOG_LVL_DEBUG;
	}
	v = strtol(arg, &end, 10);
	if (*end || v < 0 || v > 4)
		return -EINVAL;
	return v;
}

static int parse_args(int argc, char **argv, struct check_opts *o)
{
	enum { OPT_FEATURE = 0x100, OPT_JSON, OPT_DETAILS, OPT_LOG_FORMAT };
	static const struct option longopts[] = {
		{ "feature", required_argument, NULL, OPT_FEATURE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "details", no_argument, NULL, OPT_DETAILS },
		{ "verbosity", required_argument, NULL, 'v' },
		{ "log-file", required_argument, NULL, 'o' },
		{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	o->verbosity = LOG_LVL_WARN;
	optind = 1;
	while ((c = getopt_long(argc, argv, "v::o:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FEATURE:
			if (select_features(o, optarg) < 0)
				return -EINVAL;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_DETAILS:
			o->details = true;
			break;
		case 'v':
			o->verbosity = parse_verbosity(optarg, o->verbosity);
			if (o->verbosity < 0) {
				fprintf(stderr, "cryo-cr check: bad verbosity '%s' (0-4)\n", optarg);
				return -EINVAL;
			}
			break;
		case 'o':
			o->log_file = optarg;
			break;
		case OPT_LOG_FORMAT:
			o->log_format = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cryo-cr check: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static bool shown(const struct check_opts *o, int f)
{
	return !o->any_wanted || o->want[f];
}

/* "all 41 but cap_sys_resource" or "cap_chown, cap_kill": the effective set. */
static void format_caps(const struct kerndat *kd, char *buf, size_t size)
{
	int total = kd->cap_last + 1, have = __builtin_popcountll(kd->cap_effective);
	bool list_missing = have > total / 2;
	size_t used = 0;

	if (have == 0) {
		snprintf(buf, size, "none");
		return;
	}
	if (list_missing)
		used = snprintf(buf, size, have == total ? "all %d" : "all %d but ", total);
	for (int c = 0, n = 0; c < total && used < size; c++) {
		bool set = kd->cap_effective & (1ULL << c);
		char *name;

		if (set == list_missing)
			continue;
		name = cap_to_name(c);
		used += snprintf(buf + used, size - used, "%s%s", n++ ? ", " : "", name ? name : "?");
		cap_free(name);
	}
}

static void format_rlimit(rlim_t v, char *buf, size_t size)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, size, "unlimited");
	else
		snprintf(buf, size, "%llu", (unsigned long long)v);
}

static void print_facts(const struct kerndat *kd)
{
	char line[512], soft[32], hard[32];
	size_t used = 0;

	line[0] = '\0';
	for (unsigned int i = 0; i < kd->nr_special_vmas; i++)
		used += snprintf(line + used, sizeof(line) - used, "%s%s %lu KiB", i ? ", " : "",
				 kd->special_vmas[i].name, kd->special_vmas[i].size / 1024);
	printf("  %-24s %s\n", "vdso area", used ? line : "none found");

	format_caps(kd, line, sizeof(line));
	printf("  %-24s %s%s\n", "capabilities", line, kd->in_userns ? " (in a user namespace)" : "");

	format_rlimit(kd->nofile.rlim_cur, soft, sizeof(soft));
	format_rlimit(kd->nofile.rlim_max, hard, sizeof(hard));
	printf("  %-24s soft %s, hard %s, nr_open %lu%s\n", "rlimit nofile", soft, hard,
	       kd->nr_open, kerndat_has(KD_CAP_SYS_RESOURCE) ? "" : " (hard limit cannot be raised)");

	printf("  %-24s %s", "cgroups", kerndat_cgroup_mode_name(kd->cgroup_mode));
	if (kd->cgroup_v1_controllers[0])
		printf("; v1: %s", kd->cgroup_v1_controllers);
	if (kd->cgroup_v2_mount[0])
		printf("; v2 at %s (controllers: %s)", kd->cgroup_v2_mount,
		       kd->cgroup_v2_controllers[0] ? kd->cgroup_v2_controllers : "none");
	printf("\n");

	printf("  %-24s %#" PRIx64 "\n", "userfaultfd features", kd->uffd_api_features);
	printf("  %-24s %u bytes\n", "prctl_mm_map size", kd->prctl_mm_map_size);
}

static int print_screen(const struct kerndat *kd, const struct check_opts *o)
{
	int present = 0, total = 0;

	printf("cryo-cr check: Linux %s %s\n\n", kd->kernel_release, kd->machine);
	for (int f = 0; f < KD_NR_FEATURES; f++) {
		enum kd_result r = kd->result[f];

		if (!shown(o, f))
			continue;
		total++;
		present += r == KD_YES;
		if (r == KD_YES)
			printf("  %-24s yes\n", kerndat_feature_name(f));
		else
			printf("  %-24s %-5s  %s\n", kerndat_feature_name(f), kerndat_result_name(r),
			       kerndat_feature_cost(f));
		if (o->details || r == KD_ERROR)
			printf("  %-24s        (%s)\n", "", kd->detail[f]);
	}
	if (!o->any_wanted) {
		printf("\n");
		print_facts(kd);
	}
	printf("\n%d of %d features present.%s\n", present, total,
	       o->details ? "" : " --details shows how each was probed.");
	return 0;
}

/* --feature NAME: one line per feature; exit status says whether all are there. */
static int print_selected(const struct kerndat *kd, const struct check_opts *o)
{
	int missing = 0;

	for (int f = 0; f < KD_NR_FEATURES; f++) {
		if (!o->want[f])
			continue;
		if (kd->result[f] == KD_YES) {
			printf("%s: yes (%s)\n", kerndat_feature_name(f), kd->detail[f]);
			continue;
		}
		missing++;
		printf("%s: %s — %s (%s)\n", kerndat_feature_name(f), kerndat_result_name(kd->result[f]),
		       kerndat_feature_cost(f), kd->detail[f]);
	}
	return missing ? CHECK_EXIT_MISSING : 0;
}

/* ---- JSON ---- */

static void json_str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void json_kv_str(yajl_gen g, const char *k, const char *v)
{
	json_str(g, k);
	json_str(g, v);
}

static void json_kv_int(yajl_gen g, const char *k, long long v)
{
	json_str(g, k);
	yajl_gen_integer(g, v);
}

static void json_rlimit(yajl_gen g, const char *k, rlim_t v)
{
	json_str(g, k);
	if (v == RLIM_INFINITY)
		json_str(g, "unlimited");
	else
		yajl_gen_integer(g, (long long)v);
}

/* A separator-joined list as a JSON array of strings. */
static void json_word_array(yajl_gen g, const char *k, const char *list, const char *seps)
{
	char copy[256], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", list);
	json_str(g, k);
	yajl_gen_array_open(g);
	for (char *w = strtok_r(copy, seps, &save); w; w = strtok_r(NULL, seps, &save))
		json_str(g, w);
	yajl_gen_array_close(g);
}

static void json_features(yajl_gen g, const struct kerndat *kd, const struct check_opts *o)
{
	json_str(g, "features");
	yajl_gen_map_open(g);
	for (int f = 0; f < KD_NR_FEATURES; f++) {
		if (!shown(o, f))
			continue;
		json_str(g, kerndat_feature_name(f));
		yajl_gen_map_open(g);
		json_str(g, "present");
		yajl_gen_bool(g, kd->result[f] == KD_YES);
		json_kv_str(g, "result", kerndat_result_name(kd->result[f]));
		json_kv_str(g, "detail", kd->detail[f]);
		json_kv_str(g, "cost", kerndat_feature_cost(f));
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
}

static void json_caps(yajl_gen g, const struct kerndat *kd)
{
	json_str(g, "capabilities");
	yajl_gen_map_open(g);
	json_kv_int(g, "last_cap", kd->cap_last);
	json_str(g, "in_user_namespace");
	yajl_gen_bool(g, kd->in_userns);
	json_str(g, "effective");
	yajl_gen_array_open(g);
	for (int c = 0; c <= kd->cap_last && c < 64; c++) {
		char *name;

		if (!(kd->cap_effective & (1ULL << c)))
			continue;
		name = cap_to_name(c);
		json_str(g, name ? name : "?");
		cap_free(name);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

static void json_facts(yajl_gen g, const struct kerndat *kd)
{
	json_str(g, "facts");
	yajl_gen_map_open(g);

	json_str(g, "vdso");
	yajl_gen_array_open(g);
	for (unsigned int i = 0; i < kd->nr_special_vmas; i++) {
		yajl_gen_map_open(g);
		json_kv_str(g, "name", kd->special_vmas[i].name);
		json_kv_int(g, "size", kd->special_vmas[i].size);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);

	json_caps(g, kd);

	json_str(g, "rlimit_nofile");
	yajl_gen_map_open(g);
	json_rlimit(g, "soft", kd->nofile.rlim_cur);
	json_rlimit(g, "hard", kd->nofile.rlim_max);
	json_kv_int(g, "nr_open", kd->nr_open);
	yajl_gen_map_close(g);

	json_str(g, "cgroup");
	yajl_gen_map_open(g);
	json_kv_str(g, "mode", kerndat_cgroup_mode_name(kd->cgroup_mode));
	json_word_array(g, "v1_controllers", kd->cgroup_v1_controllers, ",");
	json_kv_str(g, "v2_mount", kd->cgroup_v2_mount);
	json_word_array(g, "v2_controllers", kd->cgroup_v2_controllers, " ");
	yajl_gen_map_close(g);

	json_kv_int(g, "uffd_api_features", (long long)kd->uffd_api_features);
	json_kv_int(g, "prctl_mm_map_size", kd->prctl_mm_map_size);
	yajl_gen_map_close(g);
}

static int print_json(const struct kerndat *kd, const struct check_opts *o)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	if (!g)
		return log_error_errno(-ENOMEM, "cryo-cr check: cannot make a JSON generator");
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_map_open(g);
	json_str(g, "kernel");
	yajl_gen_map_open(g);
	json_kv_str(g, "release", kd->kernel_release);
	json_kv_str(g, "machine", kd->machine);
	yajl_gen_map_close(g);
	json_features(g, kd, o);
	if (!o->any_wanted)
		json_facts(g, kd);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
		fwrite(buf, 1, len, stdout);
	yajl_gen_free(g);
	return 0;
}

int cr_check_main(int argc, char **argv)
{
	struct check_opts o = { 0 };
	const struct kerndat *kd;
	int r;

	r = parse_args(argc, argv, &o);
	if (r)
		return r > 0 ? 0 : CHECK_EXIT_USAGE;
	if (o.list) {
		for (int f = 0; f < KD_NR_FEATURES; f++)
			printf("%s\n", kerndat_feature_name(f));
		return 0;
	}
	/* log_setup_cli() says what is wrong with the options itself. */
	if (log_setup_cli(o.log_file, o.log_format, o.verbosity) < 0)
		return CHECK_EXIT_USAGE;
	r = kerndat_init();
	kd = kerndat();
	if (r < 0 || !kd) {
		fprintf(stderr, "cryo-cr check: cannot probe kernel features: %s\n", strerror(-r));
		log_fini();
		return CHECK_EXIT_MISSING;
	}
	if (o.json)
		r = print_json(kd, &o);
	else if (o.any_wanted && !o.details)
		r = print_selected(kd, &o);
	else
		r = print_screen(kd, &o);
	log_fini();
	if (r < 0)
		return CHECK_EXIT_MISSING;
	if (o.any_wanted)
		for (int f = 0; f < KD_NR_FEATURES; f++)
			if (o.want[f] && kd->result[f] != KD_YES)
				return CHECK_EXIT_MISSING;
	return 0;
}
