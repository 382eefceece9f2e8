/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * AVX-512 state held in registers across C/R: zmm0-31, the opmask registers
 * k0-7 and MXCSR are loaded with patterns, then the task waits in a raw
 * rt_sigsuspend (restarted after restore) without touching them; on SIGTERM
 * the registers are stored and compared.  What the restorer's rt_sigreturn
 * frame carries (the xsave area) is exactly what this checks.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lib/zt.h"
#include "lib/zt-avx.h"

static volatile int term;

static void on_term(int sig)
{
	(void)sig;
	term = 1;
}

__attribute__((target("avx512f"), noinline))
static void hold_and_wait(const uint8_t *in, uint8_t *out, const uint16_t *kin, uint16_t *kout,
			  const uint32_t *mxcsr_in, uint32_t *mxcsr_out, const sigset_t *mask)
{
	asm volatile(
		ZT_ZMM_LOAD_ALL
		"kmovw 0(%[kin]), %%k0\n"
		"kmovw 2(%[kin]), %%k1\n"
		"kmovw 4(%[kin]), %%k2\n"
		"kmovw 6(%[kin]), %%k3\n"
		"kmovw 8(%[kin]), %%k4\n"
		"kmovw 10(%[kin]), %%k5\n"
		"kmovw 12(%[kin]), %%k6\n"
		"kmovw 14(%[kin]), %%k7\n"
		"ldmxcsr (%[mxin])\n"
		"1:\n"
		"movl $130, %%eax\n"	/* rt_sigsuspend(mask, 8) */
		"movq %[mask], %%rdi\n"
		"movl $8, %%esi\n"
		"syscall\n"
		"cmpl $0, %[term]\n"
		"je 1b\n"
		ZT_ZMM_STORE_ALL
		"kmovw %%k0, 0(%[kout])\n"
		"kmovw %%k1, 2(%[kout])\n"
		"kmovw %%k2, 4(%[kout])\n"
		"kmovw %%k3, 6(%[kout])\n"
		"kmovw %%k4, 8(%[kout])\n"
		"kmovw %%k5, 10(%[kout])\n"
		"kmovw %%k6, 12(%[kout])\n"
		"kmovw %%k7, 14(%[kout])\n"
		"stmxcsr (%[mxout])\n"
		:
		: [in] "r"(in), [out] "r"(out), [kin] "r"(kin), [kout] "r"(kout),
		  [mxin] "r"(mxcsr_in), [mxout] "r"(mxcsr_out), [mask] "r"(mask), [term] "m"(term)
		: "rax", "rdi", "rsi", "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31",
		  "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7");
}

int main(int argc, char **argv)
{
	static uint8_t in[32 * 64] __attribute__((aligned(64))), out[32 * 64] __attribute__((aligned(64)));
	uint16_t kin[8], kout[8];
	uint32_t mxin = 0x1f80 | 0x6000, mxout = 0, mxdefault = 0x1f80; /* round toward zero */
	sigset_t wait_set;

	zt_init(argc, argv);
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx512f"))
		zt_skip("the CPU has no AVX-512F");
	struct sigaction sa = { .sa_handler = on_term };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	zt_fill(in, sizeof(in), 77);
	for (int i = 0; i < 8; i++)
		kin[i] = (uint16_t)(0x1234 * (i + 1) ^ 0xa5a5);
	sigprocmask(SIG_SETMASK, NULL, &wait_set);
	sigdelset(&wait_set, SIGTERM);

	zt_ready();
	hold_and_wait(in, out, kin, kout, &mxin, &mxout, &wait_set);
	asm volatile("ldmxcsr %0" : : "m"(mxdefault));

	for (int i = 0; i < 32; i++)
		if (memcmp(in + i * 64, out + i * 64, 64))
			zt_fail("zmm%d changed across C/R", i);
	for (int i = 0; i < 8; i++)
		if (kin[i] != kout[i])
			zt_fail("k%d is %#x, was %#x", i, kout[i], kin[i]);
	if (mxout != mxin)
		zt_fail("MXCSR is %#x, was %#x", mxout, mxin);
	zt_pass();
}
