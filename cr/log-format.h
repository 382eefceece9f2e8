/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals shared by the log writer (log.c) and the decoder (log-decode.c):
 * the binary file layout, the printf conversion parser and the "plan" of a
 * call site, i.e. which raw value is stored for each argument.
 *
 * The plan is derived from (format string, argument type classes) by the same
 * function on both sides: the writer when log_init() starts a binary log, the
 * decoder from the table at the head of the file.  So a record needs no type
 * tags: the plan says how many bytes each value takes.
 */
#ifndef CRYO_LOG_FORMAT_H
#define CRYO_LOG_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "log.h"

/*
 * File layout, all integers in the writer's byte order (the marker says which;
 * the decoder only accepts its own):
 *
 *   header   magic[8] "CRYOLOG\0", u32 version, u32 byte-order marker,
 *            u8 sizeof(long), u8 sizeof(void *), u16 zero,
 *            u64 start time (CLOCK_REALTIME ns), u32 pid,
 *            u32 length + bytes of the program name,
 *            u32 number of formats, then per format:
 *              u32 id, u8 level (0: chosen at run time), u8 nargs, u16 zero, u32 line,
 *              u8 type[nargs], u32 length + bytes of the format,
 *              u32 length + bytes of the source file name
 *            u32 end-of-table marker
 *   records  u32 (id << 3 | level), u64 ns since log start, then one value per
 *            plan op: INT 4 bytes; LONG, LLONG, DOUBLE, PTR, STR_AS_PTR 8 bytes;
 *            STR and ERRNO u32 length (LOG_STR_NULL for NULL) + bytes.
 *
 * A new header may follow any record (logs can be concatenated, or a child
 * that exec()s another binary may append to the same file).
 */
#define LOG_FILE_MAGIC "CRYOLOG"    /* with its NUL: 8 bytes */
#define LOG_FILE_MAGIC_LEN 8
#define LOG_FILE_VERSION 1
#define LOG_BYTE_ORDER_MARK 0x01020304u
#define LOG_TABLE_END 0x444e4554u   /* "TEND" */
#define LOG_STR_NULL 0xffffffffu
#define LOG_MAX_FORMATS (1u << 28)
#define LOG_REC_HEAD_SIZE 12

enum log_op {
	LOG_OP_INT = 1,
	LOG_OP_LONG,
	LOG_OP_LLONG,
	LOG_OP_DOUBLE,
	LOG_OP_STR,        /* string bytes, bounded by the precision if any */
	LOG_OP_STR_AS_PTR, /* a char pointer printed with %p */
	LOG_OP_PTR,
	LOG_OP_ERRNO,      /* %m: strerror(errno) at the call, takes no argument */
};

#define LOG_MAX_OPS 32

struct log_plan_op {
	uint8_t op;
	int8_t prec_op;    /* STR: index of the op holding a '*' precision, or -1 */
	int32_t prec;      /* STR: fixed precision, or -1 */
};

struct log_plan {
	uint8_t nops;
	struct log_plan_op ops[LOG_MAX_OPS];
};

enum log_len_mod {
	LOG_LEN_NONE, LOG_LEN_HH, LOG_LEN_H, LOG_LEN_L, LOG_LEN_LL,
	LOG_LEN_J, LOG_LEN_Z, LOG_LEN_T, LOG_LEN_BIG_L,
};

#define LOG_SPEC_NONE (-1) /* no width / precision given */
#define LOG_SPEC_STAR (-2) /* '*': taken from an int argument */

/* One printf conversion: "%[flags][width][.prec][len]conv". */
struct log_spec {
	char flags[8];     /* NUL-terminated, each of "-+ #0'" */
	int width;         /* >= 0, LOG_SPEC_NONE or LOG_SPEC_STAR */
	int prec;          /* >= 0, LOG_SPEC_NONE or LOG_SPEC_STAR */
	enum log_len_mod len;
	char conv;
};

/*
 * Parse the conversion starting at p (which points at '%').  Returns the
 * number of characters it spans, or -EINVAL for anything the binary path does
 * not handle (positional arguments, unknown conversions, absurd widths).
 */
int log_spec_parse(const char *p, struct log_spec *ret);

/*
 * Build the plan of a call site.  Returns 0, or -EINVAL when the format and
 * the types do not match one to one (the writer then formats that call site
 * to text, which is always correct).
 */
int log_plan_build(const char *fmt, unsigned nargs, const uint8_t *types,
		   unsigned long_size, struct log_plan *ret);

/* Size in bytes of an argument class on this machine (0 for STR/OTHER). */
unsigned log_arg_size(enum log_arg_type t);

/*
 * "(SS.UUUUUU) L: " for a record at ns since the log start; returns its
 * length (at most LOG_PREFIX_MAX - 1, NUL-terminated).
 */
#define LOG_PREFIX_MAX 40
size_t log_format_prefix(char *buf, uint64_t ns, enum log_level level);

#endif
