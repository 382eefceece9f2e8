/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The log API for the fuzzer: records are formatted (to exercise the format
 * arguments) and dropped, so millions of expected errors cost no I/O. */
#include <stdio.h>
#include "cr/log.h"

static enum log_level level = LOG_LVL_DEBUG;

int log_init(const char *path, enum log_format format, enum log_level lvl)
{
	(void)path;
	(void)format;
	level = lvl;
	return 0;
}
void log_set_level(enum log_level lvl) { level = lvl; }
enum log_level log_get_level(void) { return level; }
void log_set_sink(log_sink_fn sink, void *userdata) { (void)sink; (void)userdata; }
void log_fini(void) {}

void log_write(enum log_level lvl, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	(void)lvl;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (getenv("FUZZ_IMAGE_VERBOSE"))
		fprintf(stderr, "%s\n", buf);
}
