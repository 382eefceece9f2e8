/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one logging API of cryo.  Call sites are printf-like:
 *
 *     log_info("dumping %d threads of %d", n, pid);
 *     return log_error_errno(r, "cannot open %s", path);   // appends ": <strerror(-r)>"
 *
 * Levels follow CRIU's -v0..-v4: 0 silent, 1 error, 2 warn, 3 info, 4 debug.
 * The library never prints by itself: records go to the log engine (a text or
 * binary file, or stderr) or to a sink the program installs.
 *
 * How it is fast (docs/logging.md has the details): every call site puts a
 * descriptor (format string, file, line, the type class of each argument
 * found with _Generic) into the ELF section "cryo_logfmt" (by pointer).  In binary
 * mode the file starts with the table of all descriptors of the executable,
 * and a record is only (descriptor index, level, timestamp, raw argument
 * values), appended to a buffer that is written with one write() when full.
 * Formatting happens later, in 'cryo-image log decode FILE'.
 *
 * Format strings must be string literals (the descriptor is built at compile
 * time); use log_write() for a format only known at run time.
 * Up to LOG_MAX_ARGS arguments per call.
 */
#ifndef CRYO_LOG_H
#define CRYO_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <string.h>
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

/*
 * A sink receives every record that passes the level filter, formatted as
 * text: the message only, without the "(time) L: " prefix and without a
 * newline.  While a sink is set it replaces the engine's own output (file or
 * stderr), in text and binary mode alike.  It is called without the engine's
 * lock held, so it may log itself.
 */
typedef void (*log_sink_fn)(enum log_level level, const char *line, void *userdata);

/* Nanoseconds since the log started; see log_set_clock(). */
typedef uint64_t (*log_clock_fn)(void);

/*
 * Start logging to path (NULL or "-" means stderr) in the given format at the
 * given level.  Binary mode needs a file.  Calling it again closes the previous
 * log.  Returns 0 or a negative errno.
 */
int log_init(const char *path, enum log_format format, enum log_level level);

/*
 * The CLIs' front end to log_init: path from -o (NULL: stderr), format_name
 * from --log-format ("text", "binary" or NULL: binary for a file, text for
 * stderr), verbosity from -vN (0..4).  Reports bad values on stderr and
 * returns -EINVAL; other failures return a negative errno, also reported.
 */
int log_setup_cli(const char *path, const char *format_name, int verbosity);

/* "text" / "binary" to enum log_format; -EINVAL for anything else. */
int log_format_from_string(const char *s, enum log_format *ret);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
enum log_format log_get_format(void);
void log_set_sink(log_sink_fn sink, void *userdata);

/*
 * Replace the time source (NULL restores CLOCK_MONOTONIC since log_init).
 * Meant for tests that need reproducible output.
 */
void log_set_clock(log_clock_fn clock);

/* Write out buffered records now (they are also written when the buffer is
 * full, on every error-level record, before fork() and at exit). */
void log_flush(void);

/* Flush and close the log; logging goes back to text on stderr. */
void log_fini(void);

/* Log with a format only known at run time (formatted to text right away). */
void log_write(enum log_level level, const char *fmt, ...) _printf_(2, 3);
void log_vwrite(enum log_level level, const char *fmt, va_list ap) _printf_(2, 0);

/* ---- Internals of the macros below; do not use directly. ---- */

#define LOG_MAX_ARGS 16

/* Type class of one argument, as it travels through "...". */
enum log_arg_type {
	LOG_ARG_NONE = 0,
	LOG_ARG_INT,    /* int and everything promoted to int, unsigned int, enums */
	LOG_ARG_LONG,   /* long, unsigned long (size_t, ssize_t, off_t, uint64_t) */
	LOG_ARG_LLONG,  /* long long, unsigned long long */
	LOG_ARG_DOUBLE, /* float, double */
	LOG_ARG_STR,    /* pointers to char */
	LOG_ARG_PTR,    /* pointers to void */
	LOG_ARG_OTHER,  /* anything else (struct pointers, long double, ...) */
	LOG_ARG__MAX,
};

/*
 * One per call site.  A pointer to it goes into section "cryo_logfmt"; the
 * index of that slot in the section is the call site's id.  (The descriptors
 * themselves are not put there: the compiler may pad large objects to a bigger
 * alignment, while an array of pointers is always dense.)
 */
struct log_fmt_desc {
	const char *fmt;
	const char *file;
	uint32_t line;
	uint8_t level;          /* 0 when the call site's level is chosen at run time */
	uint8_t nargs;
	uint8_t types[LOG_MAX_ARGS];
};

extern int log__level;

void log_emit(const struct log_fmt_desc *const *slot, int level, const char *fmt, ...) _printf_(3, 4);

#define LOG__TYPE(x)                                                              \
	_Generic(1 ? (x) : (x),                                                            \
		_Bool: LOG_ARG_INT, char: LOG_ARG_INT,                            \
		signed char: LOG_ARG_INT, unsigned char: LOG_ARG_INT,             \
		short: LOG_ARG_INT, unsigned short: LOG_ARG_INT,                  \
		int: LOG_ARG_INT, unsigned int: LOG_ARG_INT,                      \
		long: LOG_ARG_LONG, unsigned long: LOG_ARG_LONG,                  \
		long long: LOG_ARG_LLONG, unsigned long long: LOG_ARG_LLONG,      \
		float: LOG_ARG_DOUBLE, double: LOG_ARG_DOUBLE,                    \
		char *: LOG_ARG_STR, const char *: LOG_ARG_STR,                   \
		signed char *: LOG_ARG_STR, const signed char *: LOG_ARG_STR,     \
		unsigned char *: LOG_ARG_STR, const unsigned char *: LOG_ARG_STR, \
		void *: LOG_ARG_PTR, const void *: LOG_ARG_PTR,                   \
		default: LOG_ARG_OTHER)

/* Number of arguments, 0..16 (the GNU ", ##" swallows the comma when empty). */
#define LOG__NARGS(...) LOG__NARGS_(_, ##__VA_ARGS__, 16, 15, 14, 13, 12, 11, 10, 9, \
				    8, 7, 6, 5, 4, 3, 2, 1, 0)
#define LOG__NARGS_(_, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, \
		    a15, a16, n, ...) n

#define LOG__CAT(a, b) LOG__CAT_(a, b)
#define LOG__CAT_(a, b) a##b

#define LOG__T0() 0
#define LOG__T1(a) LOG__TYPE(a)
#define LOG__T2(a, ...) LOG__TYPE(a), LOG__T1(__VA_ARGS__)
#define LOG__T3(a, ...) LOG__TYPE(a), LOG__T2(__VA_ARGS__)
#define LOG__T4(a, ...) LOG__TYPE(a), LOG__T3(__VA_ARGS__)
#define LOG__T5(a, ...) LOG__TYPE(a), LOG__T4(__VA_ARGS__)
#define LOG__T6(a, ...) LOG__TYPE(a), LOG__T5(__VA_ARGS__)
#define LOG__T7(a, ...) LOG__TYPE(a), LOG__T6(__VA_ARGS__)
#define LOG__T8(a, ...) LOG__TYPE(a), LOG__T7(__VA_ARGS__)
#define LOG__T9(a, ...) LOG__TYPE(a), LOG__T8(__VA_ARGS__)
#define LOG__T10(a, ...) LOG__TYPE(a), LOG__T9(__VA_ARGS__)
#define LOG__T11(a, ...) LOG__TYPE(a), LOG__T10(__VA_ARGS__)
#define LOG__T12(a, ...) LOG__TYPE(a), LOG__T11(__VA_ARGS__)
#define LOG__T13(a, ...) LOG__TYPE(a), LOG__T12(__VA_ARGS__)
#define LOG__T14(a, ...) LOG__TYPE(a), LOG__T13(__VA_ARGS__)
#define LOG__T15(a, ...) LOG__TYPE(a), LOG__T14(__VA_ARGS__)
#define LOG__T16(a, ...) LOG__TYPE(a), LOG__T15(__VA_ARGS__)
#define LOG__TYPES(...) LOG__CAT(LOG__T, LOG__NARGS(__VA_ARGS__))(__VA_ARGS__)

/*
 * The descriptor is a block-scope static, one per expansion; the pointer to it
 * is laid out by the linker next to all others between __start_cryo_logfmt and
 * __stop_cryo_logfmt.  The call passes the address of that slot: the reference
 * from live code is what keeps the slot through --gc-sections (also with
 * -z start-stop-gc) and with compilers that drop unreferenced statics.
 */
#define log_at(lvl, FMT, ...)                                                      \
	do {                                                                       \
		int _log_lvl_ = (lvl);                                             \
		if (_log_lvl_ <= __atomic_load_n(&log__level, __ATOMIC_RELAXED)) { \
			static const struct log_fmt_desc _log_desc_ = {            \
				.fmt = (FMT),                                      \
				.file = __FILE__,                                  \
				.line = __LINE__,                                  \
				.level = __builtin_constant_p(lvl) ? (lvl) : 0,    \
				.nargs = LOG__NARGS(__VA_ARGS__),                  \
				.types = { LOG__TYPES(__VA_ARGS__) },              \
			};                                                         \
			static const struct log_fmt_desc *const _log_slot_         \
				__attribute__((section("cryo_logfmt"), used)) =    \
				&_log_desc_;                                       \
			log_emit(&_log_slot_, _log_lvl_, FMT, ##__VA_ARGS__);      \
		}                                                                  \
	} while (0)

#define log_error(...) log_at(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_at(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_at(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOG_LVL_DEBUG, __VA_ARGS__)

/* Log "<message>: <strerror(-err)>" at the given level and evaluate to err (< 0). */
#define log_full_errno(lvl, err, fmt, ...)                                          \
	({                                                                          \
		int _e_ = (err);                                                    \
		log_at(lvl, fmt ": %s", ##__VA_ARGS__, strerror(-_e_));             \
		_e_;                                                                \
	})

#define log_error_errno(err, fmt, ...) log_full_errno(LOG_LVL_ERROR, err, fmt, ##__VA_ARGS__)
#define log_warn_errno(err, fmt, ...) log_full_errno(LOG_LVL_WARN, err, fmt, ##__VA_ARGS__)
#define log_info_errno(err, fmt, ...) log_full_errno(LOG_LVL_INFO, err, fmt, ##__VA_ARGS__)
#define log_debug_errno(err, fmt, ...) log_full_errno(LOG_LVL_DEBUG, err, fmt, ##__VA_ARGS__)

#endif
