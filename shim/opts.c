/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small option parser with runc's (Go flag) conventions: -x and --x are the
 * same, "--x=v" and "--x v" both work, booleans take an optional "=true|false",
 * repeated options override (lists append), parsing stops at the first
 * positional argument or at "--".
 */
#include <stdio.h>
#include <string.h>
#include "cryo.h"
#include "oci/spec.h"

static bool name_matches(const char *names, const char *name, size_t len)
{
	const char *p = names;

	while (*p) {
		size_t n = strcspn(p, "|");
		if (n == len && !strncmp(p, name, len))
			return true;
		p += n;
		if (*p == '|')
			p++;
	}
	return false;
}

static const struct opt *find_opt(const struct opt *opts, const char *name, size_t len)
{
	for (const struct opt *o = opts; o && o->names; o++)
		if (name_matches(o->names, name, len))
			return o;
	return NULL;
}

static int set_value(const char *verb, const struct opt *o, const char *flag, const char *value)
{
	char *end;
	long v;

	switch (o->kind) {
	case OPT_BOOL:
		if (!value || !strcmp(value, "true") || !strcmp(value, "1"))
			*(bool *)o->target = true;
		else if (!strcmp(value, "false") || !strcmp(value, "0"))
			*(bool *)o->target = false;
		else
			goto bad;
		return 0;
	case OPT_STRING:
		*(const char **)o->target = value;
		return 0;
	case OPT_INT:
		errno = 0;
		v = strtol(value, &end, 0);
		if (errno || *end || end == value || v < INT32_MIN || v > INT32_MAX)
			goto bad;
		*(int *)o->target = (int)v;
		return 0;
	case OPT_LIST: {
		char ***list = o->target;
		size_t n = strv_length(*list);
		char **nl = realloc(*list, (n + 2) * sizeof(char *));
		if (!nl)
			return -ENOMEM;
		nl[n] = strdup(value);
		nl[n + 1] = NULL;
		*list = nl;
		return 0;
	}
	}
bad:
	fprintf(stderr, "cryo %s: invalid value \"%s\" for flag -%s\n", verb, value, flag);
	return -EINVAL;
}

int opts_parse(const char *verb, const char *usage, int argc, char **argv, const struct opt *opts)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *value = NULL;
		const struct opt *o;
		size_t len;

		if (a[0] != '-' || a[1] == 0)
			break;
		if (!strcmp(a, "--"))
			return i + 1;
		name = a + 1 + (a[1] == '-');
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		if ((len == 1 && name[0] == 'h') || (len == 4 && !strncmp(name, "help", 4))) {
			if (*verb) /* the global level prints the verb list itself */
				opts_print_help(verb, usage, opts);
			return -2;
		}
		o = find_opt(opts, name, len);
		if (!o) {
			fprintf(stderr, "flag provided but not defined: -%.*s\n", (int)len, name);
			fprintf(stderr, "Run 'cryo %s --help' for usage.\n", verb);
			return -1;
		}
		if (eq)
			value = eq + 1;
		else if (o->kind != OPT_BOOL) {
			if (i + 1 >= argc) {
				fprintf(stderr, "flag needs an argument: -%.*s\n", (int)len, name);
				return -1;
			}
			value = argv[++i];
		}
		if (set_value(verb, o, name, value) < 0)
			return -1;
	}
	return i;
}

void opts_print_help(const char *verb, const char *usage, const struct opt *opts)
{
	printf("Usage: cryo %s %s\n", verb, usage ? usage : "");
	if (opts && opts->names)
		printf("\nOptions:\n");
	for (const struct opt *o = opts; o && o->names; o++) {
		char names[128] = "", *p = names;
		const char *n = o->names;

		while (*n) {
			size_t l = strcspn(n, "|");
			p += snprintf(p, sizeof(names) - (size_t)(p - names), "%s%s%.*s", p == names ? "" : ", ",
				      l == 1 ? "-" : "--", (int)l, n);
			n += l + (n[l] == '|');
		}
		printf("   %-32s %s\n", names, o->help ? o->help : "");
	}
}

int expect_args(const char *verb, int n_have, int n_min, int n_max)
{
	if (n_have < n_min) {
		log_error("%s: %s", verb, n_min == 1 ? "container id cannot be empty" : "missing arguments");
		return -1;
	}
	if (n_max >= 0 && n_have > n_max) {
		log_error("%s: too many arguments (expected at most %d)", verb, n_max);
		return -1;
	}
	return 0;
}
