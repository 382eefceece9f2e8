// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pie_clone_thread() (see pie-thread.h) in assembly: after clone the child runs on a
 * new stack, so it cannot return through the C frame that made the call. fn and arg
 * are stored on the child's stack before the syscall and popped by the child.
 *
 * In:  rdi flags, rsi stack_top, rdx ptid, rcx ctid, r8 tls, r9 fn, 8(%rsp) arg.
 * clone's kernel order on x86_64: flags, newsp, parent_tid, child_tid, tls
 * (rdi, rsi, rdx, r10, r8).
 */
#include "pie-thread.h"
#include <asm/unistd.h>

#define STR_(x) #x
#define STR(x) STR_(x)

asm(".text\n"
    ".globl pie_clone_thread\n"
    ".hidden pie_clone_thread\n"
    ".type pie_clone_thread, @function\n"
    "pie_clone_thread:\n"
    "	movq 8(%rsp), %rax\n"
    "	andq $-16, %rsi\n"
    "	subq $16, %rsi\n"
    "	movq %r9, 0(%rsi)\n"
    "	movq %rax, 8(%rsi)\n"
    "	movq %rcx, %r10\n"
    "	movl $" STR(__NR_clone) ", %eax\n"
    "	syscall\n"
    "	testq %rax, %rax\n"
    "	jnz 1f\n"
    /* Child: rsp is the new stack with fn and arg on top; end the frame chain. */
    "	xorl %ebp, %ebp\n"
    "	popq %rax\n"
    "	popq %rdi\n"
    "	callq *%rax\n"
    "	movl %eax, %edi\n"
    "	movl $" STR(__NR_exit) ", %eax\n"
    "	syscall\n"
    "	ud2\n"
    /* Parent (tid) or error (-errno). */
    "1:	ret\n"
    ".size pie_clone_thread, .-pie_clone_thread\n");
