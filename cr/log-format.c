/* SPDX-License-Identifier: GPL-2.0-or-later */
/* printf conversion parsing and call-site plans, shared by writer and decoder. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include "log-format.h"

/* Width and precision above this are refused (printf would fail with EOVERFLOW
 * long before; it also keeps the decoder's buffers sane). */
#define LOG_SPEC_NUM_MAX 100000

static int parse_num(const char **p)
{
	int v = 0;

	while (**p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		if (v > LOG_SPEC_NUM_MAX)
			return -EINVAL;
		(*p)++;
	}
	return v;
}

static void parse_len(const char **p, enum log_len_mod *len)
{
	const char *s = *p;

	switch (*s) {
	case 'h':
		*len = s[1] == 'h' ? LOG_LEN_HH : LOG_LEN_H;
		s += s[1] == 'h' ? 2 : 1;
		break;
	case 'l':
		*len = s[1] == 'l' ? LOG_LEN_LL : LOG_LEN_L;
		s += s[1] == 'l' ? 2 : 1;
		break;
	case 'q':
		*len = LOG_LEN_LL;
		s++;
		break;
	case 'j':
		*len = LOG_LEN_J;
		s++;
		break;
	case 'z':
	case 'Z':
		*len = LOG_LEN_Z;
		s++;
		break;
	case 't':
		*len = LOG_LEN_T;
		s++;
		break;
	case 'L':
		*len = LOG_LEN_BIG_L;
		s++;
		break;
	default:
		*len = LOG_LEN_NONE;
	}
	*p = s;
}

int log_spec_parse(const char *p, struct log_spec *ret)
{
	const char *s = p + 1;
	size_t nflags = 0;

	memset(ret, 0, sizeof(*ret));
	ret->width = LOG_SPEC_NONE;
	ret->prec = LOG_SPEC_NONE;

	while (*s && strchr("-+ #0'", *s)) {
		if (nflags + 1 >= sizeof(ret->flags))
			return -EINVAL;
		ret->flags[nflags++] = *s++;
	}
	if (*s == '*') {
		ret->width = LOG_SPEC_STAR;
		s++;
	} else if (*s >= '0' && *s <= '9') {
		ret->width = parse_num(&s);
		if (ret->width < 0)
			return -EINVAL;
	}
	if (*s == '$') /* positional argument: "%1$d" */
		return -EINVAL;
	if (*s == '.') {
		s++;
		if (*s == '*') {
			ret->prec = LOG_SPEC_STAR;
			s++;
		} else {
			ret->prec = parse_num(&s); /* "%.d" is precision 0 */
			if (ret->prec < 0)
				return -EINVAL;
		}
	}
	parse_len(&s, &ret->len);
	if (!*s || !strchr("diouxXcspfFeEgGaAm%", *s))
		return -EINVAL;
	ret->conv = *s++;
	return (int)(s - p);
}

unsigned log_arg_size(enum log_arg_type t)
{
	switch (t) {
	case LOG_ARG_INT:
		return sizeof(int);
	case LOG_ARG_LONG:
		return sizeof(long);
	case LOG_ARG_LLONG:
		return sizeof(long long);
	case LOG_ARG_DOUBLE:
		return sizeof(double);
	case LOG_ARG_PTR:
		return sizeof(void *);
	default:
		return 0;
	}
}

/* Size of the integer a length modifier asks for, as the writer sees it. */
static unsigned int_size_for(enum log_len_mod len, unsigned long_size)
{
	switch (len) {
	case LOG_LEN_NONE:
	case LOG_LEN_HH:
	case LOG_LEN_H:
		return sizeof(int);
	case LOG_LEN_L:
	case LOG_LEN_J:
	case LOG_LEN_Z:
	case LOG_LEN_T:
		/* intmax_t, size_t and ptrdiff_t are long-sized on every Linux ABI */
		return long_size;
	case LOG_LEN_LL:
		return sizeof(long long);
	default:
		return 0;
	}
}

static unsigned class_size(enum log_arg_type t, unsigned long_size)
{
	if (t == LOG_ARG_LONG)
		return long_size;
	return log_arg_size(t);
}

static enum log_op int_op(enum log_arg_type t)
{
	switch (t) {
	case LOG_ARG_INT:
		return LOG_OP_INT;
	case LOG_ARG_LONG:
		return LOG_OP_LONG;
	case LOG_ARG_LLONG:
		return LOG_OP_LLONG;
	default:
		return 0;
	}
}

struct plan_builder {
	struct log_plan *plan;
	const uint8_t *types;
	unsigned nargs;
	unsigned next_arg;
	unsigned long_size;
};

static int add_op(struct plan_builder *b, enum log_op op, int8_t prec_op, int32_t prec)
{
	if (b->plan->nops >= LOG_MAX_OPS)
		return -EINVAL;
	b->plan->ops[b->plan->nops++] = (struct log_plan_op){ op, prec_op, prec };
	return b->plan->nops - 1;
}

/* Take the next argument's class, or -EINVAL if there is none. */
static int take_arg(struct plan_builder *b)
{
	if (b->next_arg >= b->nargs)
		return -EINVAL;
	return b->types[b->next_arg++];
}

static int take_star(struct plan_builder *b)
{
	int t = take_arg(b);

	if (t != LOG_ARG_INT)
		return -EINVAL;
	return add_op(b, LOG_OP_INT, -1, -1);
}

static int plan_conversion(struct plan_builder *b, const struct log_spec *s)
{
	int prec_op = -1, t, r;

	if (s->conv == '%') /* only the plain "%%" */
		return s->flags[0] || s->width != LOG_SPEC_NONE || s->prec != LOG_SPEC_NONE ||
		       s->len != LOG_LEN_NONE ? -EINVAL : 0;
	if (s->width == LOG_SPEC_STAR && (r = take_star(b)) < 0)
		return r;
	if (s->prec == LOG_SPEC_STAR && (prec_op = take_star(b)) < 0)
		return prec_op;

	if (s->conv == 'm')
		return s->len == LOG_LEN_NONE ? add_op(b, LOG_OP_ERRNO, -1, -1) : -EINVAL;
	t = take_arg(b);
	if (t < 0)
		return t;

	switch (s->conv) {
	case 'd': case 'i': case 'o': case 'u': case 'x': case 'X':
		if (!int_op(t) || int_size_for(s->len, b->long_size) != class_size(t, b->long_size))
			return -EINVAL;
		return add_op(b, int_op(t), -1, -1);
	case 'c':
		return s->len == LOG_LEN_NONE && t == LOG_ARG_INT ? add_op(b, LOG_OP_INT, -1, -1) : -EINVAL;
	case 's':
		if (s->len != LOG_LEN_NONE || t != LOG_ARG_STR)
			return -EINVAL;
		return add_op(b, LOG_OP_STR, (int8_t)prec_op, s->prec >= 0 ? s->prec : -1);
	case 'p':
		if (s->len != LOG_LEN_NONE)
			return -EINVAL;
		/* any pointer passes -Wformat for %p; a char * must not be read as a string */
		if (t == LOG_ARG_STR)
			return add_op(b, LOG_OP_STR_AS_PTR, -1, -1);
		if (t == LOG_ARG_PTR || t == LOG_ARG_OTHER)
			return add_op(b, LOG_OP_PTR, -1, -1);
		return -EINVAL;
	default: /* floating point */
		if ((s->len != LOG_LEN_NONE && s->len != LOG_LEN_L) || t != LOG_ARG_DOUBLE)
			return -EINVAL;
		return add_op(b, LOG_OP_DOUBLE, -1, -1);
	}
}

int log_plan_build(const char *fmt, unsigned nargs, const uint8_t *types,
		   unsigned long_size, struct log_plan *ret)
{
	struct plan_builder b = { .plan = ret, .types = types, .nargs = nargs, .long_size = long_size };
	struct log_spec spec;
	const char *p = fmt;
	int n, r;

	ret->nops = 0;
	if (nargs > LOG_MAX_ARGS)
		return -EINVAL;
	while ((p = strchr(p, '%'))) {
		n = log_spec_parse(p, &spec);
		if (n < 0)
			return n;
		r = plan_conversion(&b, &spec);
		if (r < 0)
			return r;
		p += n;
	}
	/* printf ignores surplus arguments; refuse them so a mismatch cannot hide */
	return b.next_arg == nargs ? 0 : -EINVAL;
}

static const char level_letter[] = { '?', 'E', 'W', 'I', 'D' };

size_t log_format_prefix(char *buf, uint64_t ns, enum log_level level)
{
	uint64_t usec = ns / 1000, sec = usec / 1000000;
	char digits[24];
	size_t n = 0, nd = 0;

	usec %= 1000000;
	buf[n++] = '(';
	do {
		digits[nd++] = (char)('0' + sec % 10);
		sec /= 10;
	} while (sec);
	if (nd < 2)
		digits[nd++] = '0';
	while (nd)
		buf[n++] = digits[--nd];
	buf[n++] = '.';
	for (int i = 5; i >= 0; i--) {
		buf[n + i] = (char)('0' + usec % 10);
		usec /= 10;
	}
	n += 6;
	buf[n++] = ')';
	buf[n++] = ' ';
	buf[n++] = (unsigned)level < sizeof(level_letter) ? level_letter[level] : '?';
	buf[n++] = ':';
	buf[n++] = ' ';
	buf[n] = '\0';
	return n;
}
