/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one logging API of cryo.  Call sites are printf-like:
 *
 *     log_info("dumping %d threads of %d", n, pid);
 *     return log_error_errno(r, "cannot open %s", path);   // appends ": <strerror(-r)>"
 *
 * Levels follow CRIU's -v0..-v4: 0 silent, 1 error, 2 warn, 3 info, 4 debug.
 * The library never prints by itself: records go to the configured sink.
 */
#ifndef CRYO_LOG_H
#define CRYO_LOG_H

#include <stdarg.h>
#include "util.h"

enum log_level {
	LOG_LVL_NONE = 0,
	LOG_LVL_ERROR = 1,
	LOG_LVL_WARN = 2,
	LOG_LVL_INFO = 3,
	LOG_LVL_DEBUG = 4,
};

enum log_format {
	LOG_FMT_TEXT,
	LOG_FMT_BINARY,
};

/* A sink receives each formatted text line (text mode) of a given level. */
typedef void (*log_sink_fn)(enum log_level level, const char *line, void *userdata);

int log_init(const char *path, enum log_format format, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_set_sink(log_sink_fn sink, void *userdata);
void log_fini(void);

void log_write(enum log_level level, const char *fmt, ...) _printf_(2, 3);

#define log_at(lvl, ...)                                   \
	do {                                               \
		if ((lvl) <= log_get_level())              \
			log_write((lvl), __VA_ARGS__);     \
	} while (0)

#define log_error(...) log_at(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_at(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_at(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOG_LVL_DEBUG, __VA_ARGS__)

/* Log "<message>: <strerror(-err)>" at error level and evaluate to err (< 0). */
#define log_error_errno(err, fmt, ...)                                             \
	({                                                                          \
		int _e_ = (err);                                                    \
		log_at(LOG_LVL_ERROR, fmt ": %s", ##__VA_ARGS__, strerror(-_e_));  \
		_e_;                                                                \
	})

#include <string.h>

#endif
