/* SPDX-License-Identifier: GPL-2.0-or-later */
/* update: new resource limits from --resources FILE (linux.resources JSON) or flags. */
#include <string.h>
#include "container.h"
#include "cryo.h"

static int parse_size(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if ((*end == 'b' || *end == 'B') && end[1] == 0)
		end++;
	if (*end || end == s)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Wrap a resources document as a config.json so the one parser checks it. */
static int load_resources_file(const char *path, struct oci_spec **ret, struct oci_error *err)
{
	_cleanup_fclose_ FILE *f = strcmp(path, "-") ? fopen(path, "re") : fdopen(dup(0), "r");
	_cleanup_free_ char *text = NULL, *doc = NULL;
	size_t n = 0;

	if (!f)
		return oci_error_set(err, errno, "cannot open %s: %s", path, strerror(errno));
	text = calloc(1, 1 << 20);
	if (!text)
		return oci_error_set(err, ENOMEM, "out of memory");
	n = fread(text, 1, (1 << 20) - 1, f);
	text[n] = 0;
	if (asprintf(&doc, "{\"ociVersion\":\"1.0.2\",\"linux\":{\"resources\":%s}}", text) < 0)
		return oci_error_set(err, ENOMEM, "out of memory");
	if (oci_spec_parse(doc, ret, err) < 0)
		return oci_error_prefix(err, "%s", path);
	return 0;
}

int verb_update(int argc, char **argv)
{
	_cleanup_state_ struct oci_state *s = NULL;
	_cleanup_spec_ struct oci_spec *spec = NULL;
	struct oci_error err = { 0 };
	const char *resources = NULL, *memory = NULL, *memory_swap = NULL, *memory_res = NULL, *cpuset_cpus = NULL,
		   *cpuset_mems = NULL, *kernel = NULL, *kernel_tcp = NULL;
	int cpu_shares = -1, cpu_quota = 0, cpu_period = -1, pids_limit = 0, blkio_weight = -1;
	const struct opt opts[] = {
		{ "resources|r", OPT_STRING, &resources, "JSON file with linux.resources (- for stdin)" },
		{ "memory", OPT_STRING, &memory, "memory limit (e.g. 64m)" },
		{ "memory-swap", OPT_STRING, &memory_swap, "memory+swap limit" },
		{ "memory-reservation", OPT_STRING, &memory_res, "memory soft limit" },
		{ "kernel-memory", OPT_STRING, &kernel, "ignored (deprecated)" },
		{ "kernel-memory-tcp", OPT_STRING, &kernel_tcp, "ignored (deprecated)" },
		{ "cpu-shares", OPT_INT, &cpu_shares, "CPU shares" },
		{ "cpu-quota", OPT_INT, &cpu_quota, "CFS quota (us)" },
		{ "cpu-period", OPT_INT, &cpu_period, "CFS period (us)" },
		{ "cpuset-cpus", OPT_STRING, &cpuset_cpus, "CPUs allowed" },
		{ "cpuset-mems", OPT_STRING, &cpuset_mems, "memory nodes allowed" },
		{ "pids-limit", OPT_INT, &pids_limit, "maximum number of pids" },
		{ "blkio-weight", OPT_INT, &blkio_weight, "block IO weight" },
		{},
	};
	int i = opts_parse("update", "[options] CONTAINER_ID", argc, argv, opts);
	struct oci_resources *r;

	if (i < 0)
		return i == -2 ? 0 : 1;
	if (expect_args("update", argc - i, 1, 1) < 0)
		return 1;
	if (container_load(argv[i], &s, &err) < 0)
		return fail_oci(&err);
	if (container_status(s) == OCI_STATUS_STOPPED) {
		log_error("container \"%s\" is stopped", argv[i]);
		return 1;
	}
	if (resources) {
		if (load_resources_file(resources, &spec, &err) < 0)
			return fail_oci(&err);
	} else if (oci_spec_parse("{\"ociVersion\":\"1.0.2\",\"linux\":{\"resources\":{}}}", &spec, &err) < 0)
		return fail_oci(&err);
	r = spec->linux_->resources;
	if ((memory && parse_size(memory, &r->memory.limit) < 0) ||
	    (memory_swap && parse_size(memory_swap, &r->memory.swap) < 0) ||
	    (memory_res && parse_size(memory_res, &r->memory.reservation) < 0)) {
		log_error("invalid memory size");
		return 1;
	}
	r->memory.has_limit |= memory != NULL;
	r->memory.has_swap |= memory_swap != NULL;
	r->memory.has_reservation |= memory_res != NULL;
	if (cpu_shares >= 0)
		r->cpu.has_shares = true, r->cpu.shares = (uint64_t)cpu_shares;
	if (cpu_quota)
		r->cpu.has_quota = true, r->cpu.quota = cpu_quota;
	if (cpu_period >= 0)
		r->cpu.has_period = true, r->cpu.period = (uint64_t)cpu_period;
	if (cpuset_cpus)
		r->cpu.cpus = strdup(cpuset_cpus);
	if (cpuset_mems)
		r->cpu.mems = strdup(cpuset_mems);
	if (pids_limit)
		r->pids.has_limit = true, r->pids.limit = pids_limit;
	if (blkio_weight >= 0)
		r->block_io.has_weight = true, r->block_io.weight = (uint16_t)blkio_weight;
	if (cgroups_apply(s->cgroup_paths, r, NULL, &err) < 0)
		return fail_oci(&err);
	return 0;
}
