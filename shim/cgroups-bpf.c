/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device rules on cgroup v2: the v1 rule list compiled into a small
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached to the container's cgroup.
 * Rules are checked from the last to the first and the first match decides,
 * which is v1's "later rules override earlier ones"; with a deny-all rule
 * anywhere the default is deny, otherwise allow.
 */
#include <linux/bpf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include "container.h"

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm) INSN(BPF_ALU | BPF_K | (op), dst, 0, 0, imm)
#define MOV32_REG(dst, src) INSN(BPF_ALU | BPF_X | BPF_MOV, dst, src, 0, 0)
#define JNE_IMM(dst, imm, off) INSN(BPF_JMP | BPF_K | BPF_JNE, dst, 0, off, imm)
#define MOV64_IMM(dst, imm) INSN(BPF_ALU64 | BPF_K | BPF_MOV, dst, 0, 0, imm)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

struct prog {
	struct bpf_insn insns[4096];
	int n;
	bool done;      /* the last rule matches everything */
};

static unsigned access_bits(const char *a)
{
	unsigned bits = 0;

	for (; a && *a; a++)
		bits |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : *a == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
	return bits ? bits : BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
}

/* One rule: jumps past itself on any mismatch, else returns its verdict. */
static int emit_rule(struct prog *p, char type, int64_t major, int64_t minor, const char *access, bool allow)
{
	struct bpf_insn block[16];
	unsigned acc = access_bits(access);
	int n = 0;

	if (type == 'c' || type == 'b')
		block[n++] = JNE_IMM(3, type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, 0);
	if (acc != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)) {
		/* The request must be a subset of the rule's access. */
		block[n++] = MOV32_REG(7, 4);
		block[n++] = ALU32_IMM(BPF_AND, 7, (int32_t)~acc);
		block[n++] = JNE_IMM(7, 0, 0);
	}
	if (major >= 0)
		block[n++] = JNE_IMM(5, (int32_t)major, 0);
	if (minor >= 0)
		block[n++] = JNE_IMM(6, (int32_t)minor, 0);
	block[n++] = MOV64_IMM(0, allow ? 1 : 0);
	block[n++] = EXIT();
	if (p->n + n > (int)ARRAY_SIZE(p->insns))
		return -E2BIG;
	/* A rule matching everything ends the program: the verifier rejects code after it. */
	p->done = n == 2;
	for (int i = 0; i < n; i++) {
		if (BPF_CLASS(block[i].code) == BPF_JMP && BPF_OP(block[i].code) == BPF_JNE)
			block[i].off = (int16_t)(n - i - 1); /* to the next rule */
		p->insns[p->n++] = block[i];
	}
	return 0;
}

static bool is_deny_all(const struct oci_device_rule *d)
{
	return !d->allow && (!d->type || !strcmp(d->type, "a")) && d->major < 0 && d->minor < 0;
}

static const struct {
	char type;
	int64_t major, minor;
} default_allowed[] = {
	{ 'c', 1, 3 }, { 'c', 1, 5 }, { 'c', 1, 7 }, { 'c', 1, 8 }, { 'c', 1, 9 },
	{ 'c', 5, 0 }, { 'c', 5, 1 }, { 'c', 5, 2 }, { 'c', 136, -1 },
};

int cgroups_bpf_devices(const char *dir, const struct oci_resources *res, const struct oci_spec *spec,
			struct oci_error *err)
{
	static struct prog p;
	static char log[65536];
	union bpf_attr attr;
	bool deny_default = false;
	_cleanup_close_ int prog_fd = -1, dir_fd = -1;
	int r = 0;

	p.n = 0;
	p.done = false;
	p.insns[p.n++] = LDX_W(2, 1, 0);      /* access_type: access << 16 | type */
	p.insns[p.n++] = MOV32_REG(3, 2);
	p.insns[p.n++] = ALU32_IMM(BPF_AND, 3, 0xffff);
	p.insns[p.n++] = MOV32_REG(4, 2);
	p.insns[p.n++] = ALU32_IMM(BPF_RSH, 4, 16);
	p.insns[p.n++] = LDX_W(5, 1, 4);      /* major */
	p.insns[p.n++] = LDX_W(6, 1, 8);      /* minor */
	/* Last rule first: the runtime's defaults, then linux.devices, then the spec's rules reversed. */
	for (int i = (int)ARRAY_SIZE(default_allowed) - 1; i >= 0 && r == 0 && !p.done; i--)
		r = emit_rule(&p, default_allowed[i].type, default_allowed[i].major, default_allowed[i].minor, "rwm", true);
	for (size_t i = spec && spec->linux_ ? spec->linux_->n_devices : 0; i > 0 && r == 0 && !p.done; i--) {
		const struct oci_device *d = &spec->linux_->devices[i - 1];
		r = emit_rule(&p, d->type == 'b' ? 'b' : 'c', d->major, d->minor, "rwm", true);
	}
	for (size_t i = res->n_devices; i > 0 && r == 0 && !p.done; i--) {
		const struct oci_device_rule *d = &res->devices[i - 1];
		deny_default |= is_deny_all(d);
		r = emit_rule(&p, d->type ? d->type[0] : 'a', d->major, d->minor, d->access, d->allow);
	}
	if (r < 0)
		return oci_error_set(err, E2BIG, "too many device rules for the cgroup v2 device program");
	if (!p.done) {
		p.insns[p.n++] = MOV64_IMM(0, deny_default ? 0 : 1);
		p.insns[p.n++] = EXIT();
	}

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)p.insns;
	attr.insn_cnt = (uint32_t)p.n;
	attr.license = (uint64_t)(uintptr_t)"GPL";
	prog_fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (prog_fd < 0) {
		int e = errno;
		/* Load again with the verifier's log, for a message that says why. */
		log[0] = 0;
		attr.log_buf = (uint64_t)(uintptr_t)log;
		attr.log_size = sizeof(log);
		attr.log_level = 1;
		syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
		return oci_error_set(err, e, "cannot load the device cgroup program: %s%s%.300s", strerror(e),
				     log[0] ? ": " : "", log);
	}
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return oci_error_set(err, errno, "cannot open %s: %s", dir, strerror(errno));
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)dir_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0)
		return oci_error_set(err, errno, "cannot attach the device program to %s: %s", dir, strerror(errno));
	return 0;
}
