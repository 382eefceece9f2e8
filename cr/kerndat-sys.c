/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kerndat facts and probes about the system around the caller: kernel
 * release, rlimits, capabilities (libcap), cgroup layout, TCP repair and
 * nftables over netlink (libmnl).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include "kerndat-probes.h"

/* The kernel's fixed inode number of the initial user namespace (PROC_USER_INIT_INO). */
#define KD_INIT_USER_NS_INO 0xEFFFFFFDUL

DEFINE_TRIVIAL_CLEANUP_FUNC(struct mnl_socket *, mnl_socket_close)
DEFINE_TRIVIAL_CLEANUP_FUNC(cap_t, cap_free)

/* libcap's strings are freed with cap_free(), not free(). */
static void cap_free_strp(char **p)
{
	if (*p)
		cap_free(*p);
}

void kd_facts_uname(struct kerndat *kd)
{
	struct utsname u;

	if (uname(&u) < 0)
		return;
	snprintf(kd->kernel_release, sizeof(kd->kernel_release), "%s", u.release);
	snprintf(kd->machine, sizeof(kd->machine), "%s", u.machine);
}

void kd_facts_limits(struct kerndat *kd)
{
	char buf[32];

	if (getrlimit(RLIMIT_NOFILE, &kd->nofile) < 0)
		kd->nofile.rlim_cur = kd->nofile.rlim_max = 0;
	if (kd_read_file("/proc/sys/fs/nr_open", buf, sizeof(buf)) > 0)
		kd->nr_open = strtoul(buf, NULL, 10);
	if (kd_read_file("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf)) > 0)
		kd->cap_last = atoi(buf);
}

/* The effective set as the kernel sees it, read through libcap. */
void kd_facts_caps(struct kerndat *kd)
{
	_cleanup_(cap_freep) cap_t caps = cap_get_proc();
	int last = kd->cap_last > 0 && kd->cap_last < 64 ? kd->cap_last : 40;
	struct stat ns;

	kd->in_userns = stat("/proc/self/ns/user", &ns) == 0 && ns.st_ino != KD_INIT_USER_NS_INO;
	kd->cap_effective = 0;
	if (!caps)
		return;
	for (int c = 0; c <= last; c++) {
		cap_flag_value_t v = CAP_CLEAR;

		if (cap_get_flag(caps, c, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET)
			kd->cap_effective |= 1ULL << c;
	}
}

enum kd_result kd_probe_cap(struct kerndat *kd, char *detail, int cap)
{
	_cleanup_(cap_freep) cap_t probe = cap_get_proc();
	_cleanup_(cap_free_strp) char *name = cap_to_name(cap);
	int bounding;

	if (!probe) {
		kd_say(detail, "cannot read capabilities: %s", strerror(errno));
		return KD_ERROR;
	}
	if (cap > kd->cap_last) {
		kd_say(detail, "%s is unknown to this kernel", name ? name : "capability");
		return KD_NO;
	}
	if (kd->cap_effective & (1ULL << cap)) {
		kd_say(detail, "%s is in the effective set%s", name ? name : "capability",
		       kd->in_userns ? " (of a user namespace: good only for what it owns)" : "");
		return KD_YES;
	}
	bounding = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
	kd_say(detail, "%s is not in the effective set%s", name ? name : "capability",
	       bounding == 0 ? " nor in the bounding set" : "");
	return KD_NO;
}

/* Superblock options of a v1 cgroup mount that are not controller names. */
static bool is_cgroup_v1_option(const char *opt)
{
	static const char *const options[] = { "rw", "ro", "noprefix", "clone_children",
		"xattr", "cpuset_v2_mode", "favordynmods", "none" };

	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (!strcmp(opt, options[i]))
			return true;
	return !strncmp(opt, "release_agent=", 14);
}

static void append_word(char *list, size_t size, const char *word, const char *sep)
{
	size_t used = strlen(list);

	snprintf(list + used, size - used, "%s%s", used ? sep : "", word);
}

static void note_v1_controllers(struct kerndat *kd, char *superopts)
{
	char *save = NULL;

	for (char *o = strtok_r(superopts, ",", &save); o; o = strtok_r(NULL, ",", &save))
		if (!is_cgroup_v1_option(o))
			append_word(kd->cgroup_v1_controllers, sizeof(kd->cgroup_v1_controllers), o, ",");
}

/* Walk /proc/self/mountinfo for cgroup and cgroup2 mounts. */
void kd_facts_cgroups(struct kerndat *kd)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	bool v1 = false, v2 = false;
	char line[1024];

	kd->cgroup_mode = KD_CGROUP_NONE;
	while (f && fgets(line, sizeof(line), f)) {
		char mnt[128], fstype[32], superopts[512], *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %*s %127s", mnt) != 1 ||
		    sscanf(dash, " - %31s %*s %511s", fstype, superopts) != 2)
			continue;
		if (!strcmp(fstype, "cgroup")) {
			v1 = true;
			note_v1_controllers(kd, superopts);
		} else if (!strcmp(fstype, "cgroup2") && !v2) {
			v2 = true;
			snprintf(kd->cgroup_v2_mount, sizeof(kd->cgroup_v2_mount), "%s", mnt);
		}
	}
	if (v2) {
		char path[160];

		snprintf(path, sizeof(path), "%s/cgroup.controllers", kd->cgroup_v2_mount);
		if (kd_read_file(path, kd->cgroup_v2_controllers, sizeof(kd->cgroup_v2_controllers)) > 0)
			kd->cgroup_v2_controllers[strcspn(kd->cgroup_v2_controllers, "\n")] = '\0';
	}
	if (v1 && v2)
		kd->cgroup_mode = KD_CGROUP_HYBRID;
	else if (v1)
		kd->cgroup_mode = KD_CGROUP_V1_ONLY;
	else if (v2)
		kd->cgroup_mode = KD_CGROUP_V2_ONLY;
}

enum kd_result kd_probe_cgroup_v1(struct kerndat *kd, char *detail, int arg)
{
	(void)arg;
	if (kd->cgroup_mode != KD_CGROUP_V1_ONLY && kd->cgroup_mode != KD_CGROUP_HYBRID) {
		kd_say(detail, "no cgroup v1 hierarchy is mounted");
		return KD_NO;
	}
	kd_say(detail, "mounted: %s", kd->cgroup_v1_controllers);
	return KD_YES;
}

enum kd_result kd_probe_cgroup_v2(struct kerndat *kd, char *detail, int arg)
{
	(void)arg;
	if (!kd->cgroup_v2_mount[0]) {
		kd_say(detail, "no cgroup2 mount");
		return KD_NO;
	}
	kd_say(detail, "at %s, controllers: %s", kd->cgroup_v2_mount,
	       kd->cgroup_v2_controllers[0] ? kd->cgroup_v2_controllers : "none");
	return KD_YES;
}

static bool has_v1_controller(const struct kerndat *kd, const char *name)
{
	char list[sizeof(kd->cgroup_v1_controllers)], *save = NULL;

	snprintf(list, sizeof(list), "%s", kd->cgroup_v1_controllers);
	for (char *c = strtok_r(list, ",", &save); c; c = strtok_r(NULL, ",", &save))
		if (!strcmp(c, name))
			return true;
	return false;
}

/* Our v2 cgroup ("0::/path" in /proc/self/cgroup), "/" if none. */
static void own_v2_cgroup(char *path, size_t size)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	char line[512];

	snprintf(path, size, "/");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(path, size, "%s", line + 3);
			return;
		}
}

/*
 * cgroup.freeze exists only in non-root v2 cgroups: look in our own cgroup,
 * or, when that is the root, in a scratch child cgroup made for the purpose
 * (removed again at once).
 */
static bool v2_can_freeze(const struct kerndat *kd)
{
	char own[512], dir[700], file[720];
	struct stat st;
	bool ok;

	if (!kd->cgroup_v2_mount[0])
		return false;
	own_v2_cgroup(own, sizeof(own));
	if (strcmp(own, "/")) {
		snprintf(file, sizeof(file), "%s%s/cgroup.freeze", kd->cgroup_v2_mount, own);
		return stat(file, &st) == 0;
	}
	snprintf(dir, sizeof(dir), "%s/cryo-kerndat-%d", kd->cgroup_v2_mount, getpid());
	if (mkdir(dir, 0700) < 0)
		return false;
	snprintf(file, sizeof(file), "%s/cgroup.freeze", dir);
	ok = stat(file, &st) == 0;
	rmdir(dir);
	return ok;
}

enum kd_result kd_probe_cgroup_freezer(struct kerndat *kd, char *detail, int arg)
{
	bool v1 = has_v1_controller(kd, "freezer");
	bool v2 = v2_can_freeze(kd);

	(void)arg;
	if (v1 && v2)
		kd_say(detail, "v1 freezer controller mounted; v2 cgroup.freeze works too");
	else if (v1)
		kd_say(detail, "v1 freezer controller mounted");
	else if (v2)
		kd_say(detail, "v2 cgroups have cgroup.freeze");
	else
		kd_say(detail, "no v1 freezer mounted and no v2 cgroup.freeze found");
	return v1 || v2 ? KD_YES : KD_NO;
}

enum kd_result kd_probe_tcp_repair(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_close_ int sk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int on = 1, val = 0;
	socklen_t len = sizeof(val);

	(void)kd, (void)arg;
	if (sk < 0) {
		kd_say(detail, "cannot create a TCP socket: %s", strerror(errno));
		return KD_ERROR;
	}
	if (setsockopt(sk, SOL_TCP, TCP_REPAIR, &on, sizeof(on)) < 0) {
		kd_say(detail, "setsockopt(TCP_REPAIR): %s%s", strerror(errno),
		       errno == EPERM ? " (needs CAP_NET_ADMIN)" : "");
		return errno == EPERM || errno == ENOPROTOOPT ? KD_NO : KD_ERROR;
	}
	if (getsockopt(sk, SOL_TCP, TCP_REPAIR, &val, &len) < 0 || val != 1) {
		kd_say(detail, "TCP_REPAIR accepted but reads back as %d", val);
		return KD_ERROR;
	}
	kd_say(detail, "a TCP socket entered repair mode");
	return KD_YES;
}

static int gen_attr_cb(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == NFTA_GEN_ID &&
	    mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
		*(long long *)data = ntohl(mnl_attr_get_u32(attr));
	return MNL_CB_OK;
}

static int gen_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	if ((nlh->nlmsg_type & 0xff) == NFT_MSG_NEWGEN)
		mnl_attr_parse(nlh, sizeof(struct nfgenmsg), gen_attr_cb, data);
	return MNL_CB_OK;
}

/* Ask nf_tables for its ruleset generation: the cheapest full round trip. */
enum kd_result kd_probe_nftables(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_(mnl_socket_closep) struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	unsigned int seq = time(NULL), portid;
	long long gen = -1;
	ssize_t n;
	int r;

	(void)kd, (void)arg;
	if (!nl) {
		kd_say(detail, "cannot open a NETLINK_NETFILTER socket: %s", strerror(errno));
		return errno == EPROTONOSUPPORT ? KD_NO : KD_ERROR;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		kd_say(detail, "cannot bind the netlink socket: %s", strerror(errno));
		return KD_ERROR;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		kd_say(detail, "cannot send NFT_MSG_GETGEN: %s", strerror(errno));
		return KD_ERROR;
	}
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		r = n < 0 ? -1 : mnl_cb_run(buf, n, seq, portid, gen_msg_cb, &gen);
	} while (r > 0);
	if (r < 0) {
		kd_say(detail, "NFT_MSG_GETGEN: %s%s", strerror(errno),
		       errno == EPERM ? " (needs CAP_NET_ADMIN)" : "");
		return errno == EPERM || errno == EOPNOTSUPP || errno == ENOENT ? KD_NO : KD_ERROR;
	}
	if (gen < 0) {
		kd_say(detail, "nf_tables acknowledged but sent no generation");
		return KD_ERROR;
	}
	kd_say(detail, "nf_tables answered NFT_MSG_GETGEN: generation %lld", gen);
	return KD_YES;
}
