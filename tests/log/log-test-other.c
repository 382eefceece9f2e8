/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A second executable with its own call sites, so its cryo_logfmt table
 * differs from log-test's and from cryo-image's: each binary must write a log
 * that decodes on its own.   log-test-other text|binary FILE
 */
#include <stdio.h>
#include <string.h>
#include "log.h"

static uint64_t fake_ns;

static uint64_t fake_clock(void)
{
	return fake_ns += 999999;
}

static void step(int i)
{
	if (i % 3 == 0)
		log_warn("other binary warning %d/%s", i, "three");
	else if (i % 3 == 1)
		log_debug("other binary debug %lu %p", (unsigned long)i << 20, (void *)(unsigned long)i);
	else
		log_info("other binary info [%-6s] [%6.2f]", i % 2 ? "odd" : "even", i / 7.0);
}

int main(int argc, char **argv)
{
	enum log_format fmt;

	if (argc != 3 || log_format_from_string(argv[1], &fmt) < 0) {
		fprintf(stderr, "usage: log-test-other text|binary FILE\n");
		return 2;
	}
	log_set_clock(fake_clock);
	if (log_init(argv[2], fmt, LOG_LVL_DEBUG) < 0)
		return 1;
	log_info("other binary starts, %d steps", 300);
	for (int i = 0; i < 300; i++)
		step(i);
	log_error_errno(-EBUSY, "other binary ends with %s", "an error");
	log_fini();
	return 0;
}
