// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pie_clone_thread() (see pie-thread.h) in assembly: after clone the child runs on a
 * new stack, so it cannot return through the C frame that made the call. fn and arg
 * are stored on the child's stack before the syscall and popped by the child.
 *
 * In:  rdi flags, rsi stack_top, rdx ptid, rcx ctid, r8 tls, r9 fn, 8(%rsp) arg.
 * clone's kernel order on x86_64: flags, newsp, parent_tid, child_tid, tls
 * (rdi, rsi, rdx, r10, r8).
 *
 * pie_clone3_thread() cannot do the same: the kernel puts the child's rsp at the very
 * top of the stack it is given. It keeps fn and arg in callee-saved registers instead,
 * which the child inherits.
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

/* In: rdi args, rsi size, rdx fn, rcx arg. */
asm(".text\n"
    ".globl pie_clone3_thread\n"
    ".hidden pie_clone3_thread\n"
    ".type pie_clone3_thread, @function\n"
    "pie_clone3_thread:\n"
    "	pushq %r12\n"
    "	pushq %r13\n"
    "	movq %rdx, %r12\n"
    "	movq %rcx, %r13\n"
    "	movl $" STR(__NR_clone3) ", %eax\n"
    "	syscall\n"
    "	testq %rax, %rax\n"
    "	jnz 1f\n"
    /* Child: on its own stack (or a copy of ours without CLONE_VM). */
    "	xorl %ebp, %ebp\n"
    "	andq $-16, %rsp\n"
    "	movq %r13, %rdi\n"
    "	callq *%r12\n"
    "	movl %eax, %edi\n"
    "	movl $" STR(__NR_exit) ", %eax\n"
    "	syscall\n"
    "	ud2\n"
    "1:	popq %r13\n"
    "	popq %r12\n"
    "	ret\n"
    ".size pie_clone3_thread, .-pie_clone3_thread\n");
