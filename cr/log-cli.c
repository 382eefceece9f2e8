/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The log options shared by the CLIs: -o FILE, --log-format, -vN. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "log.h"

int log_format_from_string(const char *s, enum log_format *ret)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "text"))
		*ret = LOG_FMT_TEXT;
	else if (!strcmp(s, "binary"))
		*ret = LOG_FMT_BINARY;
	else
		return -EINVAL;
	return 0;
}

int log_setup_cli(const char *path, const char *format_name, int verbosity)
{
	bool to_stderr = !path || !strcmp(path, "-");
	enum log_format format = to_stderr ? LOG_FMT_TEXT : LOG_FMT_BINARY;
	int r;

	if (verbosity < LOG_LVL_NONE || verbosity > LOG_LVL_DEBUG) {
		log_error("invalid verbosity -v%d: use 0 (none), 1 (error), 2 (warn), 3 (info) or 4 (debug)",
			  verbosity);
		return -EINVAL;
	}
	if (format_name && log_format_from_string(format_name, &format) < 0) {
		log_error("invalid log format '%s': use 'text' or 'binary'", format_name);
		return -EINVAL;
	}
	if (format == LOG_FMT_BINARY && to_stderr) {
		log_error("the binary log format needs a log file (-o FILE)");
		return -EINVAL;
	}
	r = log_init(path, format, (enum log_level)verbosity);
	if (r < 0)
		return log_error_errno(r, "cannot open the log file %s", path);
	return 0;
}
