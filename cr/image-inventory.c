/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The machine parts of the inventory: what restore compares with the local host. */
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include "image.h"
#include "log.h"
#include "proto/inventory.pb-c.h"
#ifdef __x86_64__
#include <cpuid.h>
#endif

#define CPUINFO_PATH "/proc/cpuinfo"

/* The value of "key\t: value" lines of the first processor in /proc/cpuinfo. */
static char *cpuinfo_value(const char *key)
{
	_cleanup_fclose_ FILE *f = fopen(CPUINFO_PATH, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, klen = strlen(key);

	if (!f)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		if (line[0] == '\n')
			break;		/* end of the first processor */
		if (strncmp(line, key, klen) || (line[klen] != '\t' && line[klen] != ' ' && line[klen] != ':'))
			continue;
		char *v = strchr(line, ':');
		if (!v)
			continue;
		v++;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = 0;
		return strdup(v);
	}
	return NULL;
}

static int split_flags(CpuInfoEntry *cpu, char *flags)
{
	char *save = NULL;

	for (char *t = strtok_r(flags, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		char **v = realloc(cpu->flags, (cpu->n_flags + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		cpu->flags = v;
		v[cpu->n_flags] = strdup(t);
		if (!v[cpu->n_flags])
			return -ENOMEM;
		cpu->n_flags++;
	}
	return 0;
}

#ifdef __x86_64__
static void fill_cpuid(CpuInfoEntry *cpu)
{
	unsigned a, b, c, d;
	char vendor[13];

	if (!__get_cpuid(0, &a, &b, &c, &d))
		return;
	unsigned max_leaf = a;
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	vendor[12] = 0;
	cpu->vendor = strdup(vendor);

	__get_cpuid(1, &a, &b, &c, &d);
	unsigned fam = (a >> 8) & 0xf, model = (a >> 4) & 0xf;
	if (fam == 0xf)
		fam += (a >> 20) & 0xff;
	if (fam >= 6)
		model |= ((a >> 16) & 0xf) << 4;
	cpu->has_family = cpu->has_model = cpu->has_stepping = true;
	cpu->family = fam;
	cpu->model = model;
	cpu->stepping = a & 0xf;

	bool osxsave = c & (1u << 27);
	if (osxsave && max_leaf >= 0xd) {
		uint32_t lo, hi;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		cpu->has_xfeatures_mask = true;
		cpu->xfeatures_mask = ((uint64_t)hi << 32) | lo;
		__cpuid_count(0xd, 0, a, b, c, d);
		cpu->has_xsave_size = true;
		cpu->xsave_size = b;
	}
}
#else
static void fill_cpuid(CpuInfoEntry *cpu) { (void)cpu; }
#endif

int img_inventory_init(InventoryEntry *inv)
{
	struct utsname u;
	char host[256];
	int r;

	inventory_entry__init(inv);
	inv->format_version = IMG_FORMAT_VERSION;
	inv->tool_version = strdup("cryo " CRYO_VERSION);
	if (uname(&u) == 0) {
		inv->kernel_release = strdup(u.release);
		inv->arch = strdup(u.machine);
	}
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = 0;
		inv->hostname = strdup(host);
	}
	inv->has_dump_time = true;
	inv->dump_time = time(NULL);

	CpuInfoEntry *cpu = calloc(1, sizeof(*cpu));
	if (!cpu) {
		img_inventory_clear(inv);
		return -ENOMEM;
	}
	cpu_info_entry__init(cpu);
	inv->cpu = cpu;
	fill_cpuid(cpu);
	cpu->model_name = cpuinfo_value("model name");
	_cleanup_free_ char *flags = cpuinfo_value("flags");
	r = flags ? split_flags(cpu, flags) : 0;
	if (r < 0 || !inv->tool_version) {
		img_inventory_clear(inv);
		return -ENOMEM;
	}
	return 0;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Frees what img_inventory_init allocated and what callers add the same way
 * (malloc'ed strings, 'dumped' entries, a malloc'ed stats message). */
void img_inventory_clear(InventoryEntry *inv)
{
	free(inv->tool_version);
	free(inv->kernel_release);
	free(inv->arch);
	free(inv->hostname);
	free(inv->parent);
	free_strv(inv->dumped, inv->n_dumped);
	free(inv->stats);
	if (inv->cpu) {
		free(inv->cpu->vendor);
		free(inv->cpu->model_name);
		free_strv(inv->cpu->flags, inv->cpu->n_flags);
		free(inv->cpu);
	}
	inventory_entry__init(inv);
}
