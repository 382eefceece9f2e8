/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the parts shared by writer and decoder: plans and the line prefix. */
#include <stdio.h>
#include <string.h>
#include "log-format.h"

static int failures;

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);  \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
			failures++;                                           \
		}                                                             \
	} while (0)

enum { I = LOG_ARG_INT, L = LOG_ARG_LONG, LL = LOG_ARG_LLONG, D = LOG_ARG_DOUBLE,
       S = LOG_ARG_STR, P = LOG_ARG_PTR, O = LOG_ARG_OTHER };

struct plan_case {
	const char *fmt;
	uint8_t types[LOG_MAX_ARGS];
	unsigned nargs;
	const char *ops; /* one letter per op, NULL when the plan must be refused */
};

static char op_letter(uint8_t op)
{
	/* i int, l long, q long long, d double, s string, a char * as pointer, p pointer, m errno */
	static const char letters[] = "?ilqdsapm";

	return op < sizeof(letters) - 1 ? letters[op] : '!';
}

static const struct plan_case cases[] = {
	{ "no conversions", { 0 }, 0, "" },
	{ "100%% sure", { 0 }, 0, "" },
	{ "%d %u %x %c", { I, I, I, I }, 4, "iiii" },
	{ "%ld %lu %zu %zd %lx", { L, L, L, L, L }, 5, "lllll" },
	{ "%lld %llx %llu", { LL, LL, LL }, 3, "qqq" },
	{ "%ld and %lld swapped sizes match", { LL, L }, 2, "ql" },
	{ "%hhd %hx", { I, I }, 2, "ii" },
	{ "%s %p %p %p", { S, P, S, O }, 4, "spap" },
	{ "%-10s|%.3s|%*d|%.*s|%*.*s", { S, S, I, I, I, S, I, I, S }, 9, "ssiiisiis" },
	{ "%f %.2e %g %lf", { D, D, D, D }, 4, "dddd" },
	{ "errno %m and %d", { I }, 1, "mi" },
	{ "%d", { L }, 1, NULL },          /* int conversion, long argument */
	{ "%ld", { I }, 1, NULL },
	{ "%s", { P }, 1, NULL },          /* %s needs a char pointer */
	{ "%d", { S }, 1, NULL },
	{ "%c", { L }, 1, NULL },
	{ "%f", { I }, 1, NULL },
	{ "%Lf", { O }, 1, NULL },         /* long double */
	{ "%2$s %1$s", { S, S }, 2, NULL }, /* positional */
	{ "%n", { P }, 1, NULL },
	{ "%lc", { I }, 1, NULL },
	{ "%5%", { 0 }, 0, NULL },
	{ "%d %d", { I }, 1, NULL },       /* missing argument */
	{ "%d", { I, I }, 2, NULL },       /* surplus argument */
	{ "%*d", { L, I }, 2, NULL },      /* '*' needs an int */
	{ "%d %", { I }, 1, NULL },        /* dangling '%' */
	{ "%999999d", { I }, 1, NULL },    /* absurd width */
};

static void test_plans(void)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct plan_case *pc = &cases[c];
		struct log_plan plan;
		char got[LOG_MAX_OPS + 1];
		int r = log_plan_build(pc->fmt, pc->nargs, pc->types, sizeof(long), &plan);

		if (!pc->ops) {
			CHECK(r < 0, "\"%s\" got a plan, expected a refusal", pc->fmt);
			continue;
		}
		CHECK(r == 0, "\"%s\" refused", pc->fmt);
		if (r)
			continue;
		for (unsigned i = 0; i < plan.nops; i++)
			got[i] = op_letter(plan.ops[i].op);
		got[plan.nops] = '\0';
		CHECK(!strcmp(got, pc->ops), "\"%s\": ops %s, expected %s", pc->fmt, got, pc->ops);
	}
}

static void test_string_bounds(void)
{
	uint8_t types[] = { S, I, S, S };
	struct log_plan plan;

	CHECK(log_plan_build("%.4s %.*s %s", 4, types, sizeof(long), &plan) == 0, "plan refused");
	CHECK(plan.nops == 4, "%u ops", plan.nops);
	CHECK(plan.ops[0].prec == 4 && plan.ops[0].prec_op == -1, "fixed precision not kept");
	CHECK(plan.ops[2].prec_op == 1 && plan.ops[2].prec == -1, "'*' precision not linked to op 1");
	CHECK(plan.ops[3].prec == -1 && plan.ops[3].prec_op == -1, "unbounded string got a bound");
}

static void test_prefix(void)
{
	static const struct {
		uint64_t ns;
		enum log_level level;
		const char *want;
	} cases[] = {
		{ 0, LOG_LVL_ERROR, "(00.000000) E: " },
		{ 999, LOG_LVL_WARN, "(00.000000) W: " },
		{ 1000, LOG_LVL_INFO, "(00.000001) I: " },
		{ 12345678901ull, LOG_LVL_DEBUG, "(12.345678) D: " },
		{ 123456789012ull, LOG_LVL_INFO, "(123.456789) I: " },
		{ UINT64_MAX, LOG_LVL_ERROR, "(18446744073.709551) E: " },
	};
	char buf[LOG_PREFIX_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = log_format_prefix(buf, cases[i].ns, cases[i].level);

		CHECK(n == strlen(cases[i].want) && !strcmp(buf, cases[i].want), "prefix '%s', expected '%s'",
		      buf, cases[i].want);
	}
}

int main(void)
{
	test_plans();
	test_string_bounds();
	test_prefix();
	printf("%s: log unit tests\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
