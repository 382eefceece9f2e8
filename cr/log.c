/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Temporary text-only log engine; the binary engine replaces it behind log.h. */
#include <stdio.h>
#include <string.h>
#include "log.h"

static enum log_level cur_level = LOG_LVL_WARN;
static FILE *log_file;
static log_sink_fn log_sink;
static void *log_sink_data;

int log_init(const char *path, enum log_format format, enum log_level level)
{
	(void)format;
	cur_level = level;
	if (path && strcmp(path, "-") != 0) {
		log_file = fopen(path, "we");
		if (!log_file)
			return negative_errno();
	}
	return 0;
}

void log_set_level(enum log_level level) { cur_level = level; }
enum log_level log_get_level(void) { return cur_level; }

void log_set_sink(log_sink_fn sink, void *userdata)
{
	log_sink = sink;
	log_sink_data = userdata;
}

void log_fini(void)
{
	if (log_file)
		fclose(log_file);
	log_file = NULL;
}

void log_write(enum log_level level, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (log_sink)
		log_sink(level, buf, log_sink_data);
	else
		fprintf(log_file ? log_file : stderr, "%s\n", buf);
}
