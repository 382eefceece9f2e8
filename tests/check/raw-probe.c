/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cross-check 'cryo-cr check --feature NAME' against expectations derived
 * here independently of cr/kerndat*.c: the kernel's own config
 * (/proc/config.gz or /boot/config-RELEASE), smaps VmFlags, the UFFDIO_API
 * feature bits, CapEff in /proc/self/status, the kernel version and
 * /proc/self/ns.  Each feature whose expectation can be derived must agree
 * with cryo-cr's exit status (0 present, 1 missing).
 *
 * Usage: raw-probe CRYO_CR
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/userfaultfd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

enum tri { UNKNOWN = -1, NO = 0, YES = 1 };

static const char *cryo_cr;
static int agree, disagree, undecided;

/* ---- the kernel's config ---- */

static char *config_text;

static void load_config(void)
{
	struct utsname u;
	char cmd[256];
	size_t cap = 1 << 20, len = 0;
	FILE *f;

	uname(&u);
	if (access("/proc/config.gz", R_OK) == 0)
		snprintf(cmd, sizeof(cmd), "zcat /proc/config.gz 2>/dev/null");
	else
		snprintf(cmd, sizeof(cmd), "cat /boot/config-%s 2>/dev/null", u.release);
	f = popen(cmd, "r");
	if (!f)
		return;
	config_text = malloc(cap);
	while (config_text && len + 4096 < cap) {
		size_t n = fread(config_text + len, 1, cap - 1 - len, f);
		if (n == 0)
			break;
		len += n;
	}
	pclose(f);
	if (!config_text || len == 0) {
		free(config_text);
		config_text = NULL;
		return;
	}
	config_text[len] = '\0';
}

/* "CONFIG_X=y|m" → YES, "# CONFIG_X is not set" or absent → NO; no config → UNKNOWN. */
static enum tri config(const char *sym)
{
	char on[128];

	if (!config_text)
		return UNKNOWN;
	snprintf(on, sizeof(on), "\n%s=", sym);
	return strstr(config_text, on) ? YES : NO;
}

/* ---- other independent sources ---- */

static int kernel_version(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	uname(&u);
	sscanf(u.release, "%d.%d", &major, &minor);
	return major * 1000 + minor;
}

static uint64_t cap_eff(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long v = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* Capabilities of a user namespace other than the first do not reach the host's network. */
static bool in_user_namespace(void)
{
	struct stat st;

	return stat("/proc/self/ns/user", &st) == 0 && st.st_ino != 0xEFFFFFFDUL;
}

static enum tri has_cap(int cap)
{
	return (cap_eff() >> cap) & 1 ? YES : NO;
}

/* Does a fresh mapping carry the "sd" (soft-dirty) VmFlag in smaps? */
static enum tri smaps_soft_dirty_flag(void)
{
	size_t len = 3 * sysconf(_SC_PAGESIZE);
	/* Shared anonymous mappings never merge with neighbours. */
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char line[1024], head[32];
	enum tri r = UNKNOWN;
	bool ours = false;
	FILE *f;

	if (p == MAP_FAILED)
		return UNKNOWN;
	snprintf(head, sizeof(head), "%lx-", (unsigned long)p);
	f = fopen("/proc/self/smaps", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, head, strlen(head)))
			ours = true;
		else if (ours && !strncmp(line, "VmFlags:", 8)) {
			r = strstr(line, " sd") ? YES : NO;
			break;
		}
	}
	if (f)
		fclose(f);
	munmap(p, len);
	return r;
}

/* UFFDIO_API's answer when asking for nothing: every feature the kernel has. */
static enum tri uffd_api_bit(uint64_t bit)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = syscall(__NR_userfaultfd, O_CLOEXEC);
	enum tri r;

	if (fd < 0 && errno == EPERM) /* UFFD_USER_MODE_ONLY is enough for the bits */
		fd = syscall(__NR_userfaultfd, O_CLOEXEC | 1);
	if (fd < 0)
		return errno == ENOSYS || errno == EPERM ? NO : UNKNOWN;
	r = ioctl(fd, UFFDIO_API, &api) < 0 ? UNKNOWN : (api.features & bit) ? YES : NO;
	close(fd);
	return r;
}

/* ---- comparison ---- */

static int cryo_says(const char *feature)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execl(cryo_cr, cryo_cr, "check", "--feature", feature, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void expect(const char *feature, enum tri want, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (want == UNKNOWN) {
		printf("?    %-22s no independent expectation (%s)\n", feature, why);
		undecided++;
		return;
	}
	rc = cryo_says(feature);
	if ((want == YES && rc == 0) || (want == NO && rc == 1)) {
		printf("ok   %-22s %s, as expected from %s\n", feature, want ? "present" : "missing", why);
		agree++;
		return;
	}
	printf("FAIL %-22s expected %s from %s, 'cryo-cr check --feature' exited %d\n", feature,
	       want ? "present" : "missing", why, rc);
	disagree++;
}

static enum tri both(enum tri a, enum tri b)
{
	if (a == UNKNOWN || b == UNKNOWN)
		return UNKNOWN;
	return a && b ? YES : NO;
}

static const char *tri_name(enum tri t)
{
	return t == YES ? "yes" : t == NO ? "no" : "unknown";
}

static void check_soft_dirty(void)
{
	enum tri cfg = config("CONFIG_MEM_SOFT_DIRTY"), sd = smaps_soft_dirty_flag();

	if (cfg != UNKNOWN && sd != UNKNOWN && cfg != sd) {
		printf("FAIL %-22s the raw sources disagree: config %s, smaps sd flag %s\n",
		       "soft-dirty", tri_name(cfg), tri_name(sd));
		disagree++;
		return;
	}
	expect("soft-dirty", cfg != UNKNOWN ? cfg : sd,
	       "CONFIG_MEM_SOFT_DIRTY=%s and the smaps 'sd' VmFlag=%s", tri_name(cfg), tri_name(sd));
}

int main(int argc, char **argv)
{
	int ver = kernel_version();
	enum tri sys_admin = has_cap(CAP_SYS_ADMIN);

	if (argc != 2) {
		fprintf(stderr, "usage: %s CRYO_CR\n", argv[0]);
		return 2;
	}
	cryo_cr = argv[1];
	load_config();
	printf("kernel %d.%d, config %s, CapEff %#llx\n", ver / 1000, ver % 1000,
	       config_text ? "found" : "not found", (unsigned long long)cap_eff());

	check_soft_dirty();
	expect("uffd", config("CONFIG_USERFAULTFD"), "CONFIG_USERFAULTFD");
	expect("uffd-wp", uffd_api_bit(UFFD_FEATURE_PAGEFAULT_FLAG_WP),
	       "UFFD_FEATURE_PAGEFAULT_FLAG_WP in UFFDIO_API");
	expect("uffd-wp-async", uffd_api_bit(1 << 15), "UFFD_FEATURE_WP_ASYNC in UFFDIO_API");
	expect("uffd-minor-shmem", uffd_api_bit(UFFD_FEATURE_MINOR_SHMEM),
	       "UFFD_FEATURE_MINOR_SHMEM in UFFDIO_API");
	expect("pagemap-scan", ver >= 6007 ? YES : NO, "kernel version (PAGEMAP_SCAN is 6.7+)");
	expect("cap-sys-admin", sys_admin, "CapEff");
	expect("cap-sys-resource", has_cap(CAP_SYS_RESOURCE), "CapEff");
	expect("cap-net-admin", has_cap(CAP_NET_ADMIN), "CapEff");
	expect("cap-checkpoint-restore", has_cap(CAP_CHECKPOINT_RESTORE), "CapEff");
	expect("timens", both(access("/proc/self/ns/time", F_OK) == 0 ? YES : NO, sys_admin),
	       "/proc/self/ns/time and CAP_SYS_ADMIN");
	expect("tcp-repair", in_user_namespace() ? UNKNOWN : has_cap(CAP_NET_ADMIN),
	       "CAP_NET_ADMIN in CapEff, outside user namespaces");
	expect("clone3-set-tid",
	       both(ver >= 5005 ? YES : NO, sys_admin || has_cap(CAP_CHECKPOINT_RESTORE) ? YES : NO),
	       "kernel 5.5+ and CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE");
	expect("kcmp", config("CONFIG_KCMP"), "CONFIG_KCMP");
	expect("memfd-hugetlb", config("CONFIG_HUGETLBFS"), "CONFIG_HUGETLBFS");

	printf("raw-probe: %d agree, %d disagree, %d without an expectation\n", agree, disagree,
	       undecided);
	free(config_text);
	if (disagree)
		return 1;
	return agree ? 0 : 77;
}
