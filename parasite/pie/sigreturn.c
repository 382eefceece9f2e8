// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pie_sigreturn_restorer (see pie-syscall.h): the code a signal handler returns to.
 * The handler's ret pops pretcode, leaving rsp at the ucontext, where rt_sigreturn
 * looks for it. Assembly because no compiler-generated prologue may touch rsp first.
 */
#include "pie-syscall.h"

#define STR_(x) #x
#define STR(x) STR_(x)

asm(".text\n"
    ".globl pie_sigreturn_restorer\n"
    ".hidden pie_sigreturn_restorer\n"
    ".type pie_sigreturn_restorer, @function\n"
    "pie_sigreturn_restorer:\n"
    "	movl $" STR(__NR_rt_sigreturn) ", %eax\n"
    "	syscall\n"
    "	ud2\n"
    ".size pie_sigreturn_restorer, .-pie_sigreturn_restorer\n");
