/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The log engine behind log.h: level filter, text and binary writers, one
 * output buffer written with one write() at a time, an optional sink.
 * docs/logging.md describes the design and the file format.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "log-clock.h"
#include "log-format.h"

#define LOG_BUF_SIZE (256 * 1024)

static uint8_t log_buf[LOG_BUF_SIZE];

int log__level = LOG_LVL_WARN;

/* Binary-mode plan of each call site, indexed by its slot's index. */
struct plan_slot {
	uint32_t first_op;
	uint8_t nops;
	bool ok;
};

static struct {
	pthread_mutex_t lock;
	enum log_format format;
	int fd;                 /* 2 when logging to stderr */
	bool own_fd;
	char *path;
	size_t len;             /* bytes waiting in log_buf */
	struct log_clock clk;   /* time since log_init() */
	log_clock_fn clock;     /* replaces clk when set */
	log_sink_fn sink;
	void *sink_data;
	struct plan_slot *plans;
	struct log_plan_op *ops;
	size_t nplans;
	bool write_failed;
	bool hooks_done;
} L = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.format = LOG_FMT_TEXT,
	.fd = STDERR_FILENO,
};

/* Table of all call sites of this executable, built by the linker. */
extern const struct log_fmt_desc *const __start_cryo_logfmt[] __attribute__((weak, visibility("hidden")));
extern const struct log_fmt_desc *const __stop_cryo_logfmt[] __attribute__((weak, visibility("hidden")));

/* Records whose call site has no usable plan are stored preformatted under this one. */
static const struct log_fmt_desc fallback_desc = {
	.fmt = "%s", .file = __FILE__, .line = __LINE__, .level = LOG_LVL_ERROR,
	.nargs = 1, .types = { LOG_ARG_STR },
};
static const struct log_fmt_desc *const fallback_slot __attribute__((section("cryo_logfmt"), used)) =
	&fallback_desc;

/* Called with the lock held, so records are in time order in the file. */
static uint64_t log_now_locked(void)
{
	return L.clock ? L.clock() : log_clock_now(&L.clk);
}

__attribute__((constructor)) static void log_start_clock(void)
{
	log_clock_restart(&L.clk);
}

/* ---- output ---- */

static void report_write_failure(int err)
{
	char msg[512];
	int n;

	if (L.write_failed)
		return;
	L.write_failed = true;
	/* the log itself is what failed, so stderr is the only place left */
	n = snprintf(msg, sizeof(msg), "cryo: writing the log %s failed: %s\n",
		     L.path ? L.path : "(stderr)", strerror(err));
	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0)
		return;
}

static int write_fd_all(int fd, const void *data, size_t size)
{
	const uint8_t *p = data;

	while (size) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

static void write_all(const void *data, size_t size)
{
	int r = write_fd_all(L.fd, data, size);

	if (r < 0)
		report_write_failure(-r);
}

static void flush_locked(void)
{
	if (L.len)
		write_all(log_buf, L.len);
	L.len = 0;
}


/*
 * Put a record produced by fill() (snprintf-like: returns the full size,
 * writes only what fits) into the buffer, flushing first if it does not fit;
 * a record larger than the whole buffer is written on its own.
 */
typedef size_t (*fill_fn)(uint8_t *dst, size_t room, void *ctx, va_list ap);

static void append_locked(fill_fn fill, void *ctx, va_list ap)
{
	size_t need;
	uint8_t *big;
	va_list again;

	va_copy(again, ap);
	need = fill(log_buf + L.len, LOG_BUF_SIZE - L.len, ctx, ap);
	if (need <= LOG_BUF_SIZE - L.len) {
		L.len += need;
		goto out;
	}
	flush_locked();
	if (need <= LOG_BUF_SIZE) {
		L.len = fill(log_buf, LOG_BUF_SIZE, ctx, again);
		goto out;
	}
	big = malloc(need);
	if (big) {
		write_all(big, fill(big, need, ctx, again));
		free(big);
	}
out:
	va_end(again);
}

/* ---- text ---- */

struct text_ctx {
	uint64_t ts;
	enum log_level level;
	const char *fmt;
	int err;
};

static size_t fill_text(uint8_t *dst, size_t room, void *ctx_, va_list ap)
{
	struct text_ctx *ctx = ctx_;
	char prefix[LOG_PREFIX_MAX];
	size_t plen = log_format_prefix(prefix, ctx->ts, ctx->level);
	size_t mroom = room > plen ? room - plen : 0;
	int n;

	errno = ctx->err; /* for %m */
	n = vsnprintf(mroom ? (char *)dst + plen : NULL, mroom, ctx->fmt, ap);
	if (n < 0)
		n = 0;
	/* vsnprintf wants room for its NUL; the newline takes that place */
	if (plen + (size_t)n + 1 <= room) {
		memcpy(dst, prefix, plen);
		dst[plen + (size_t)n] = '\n';
	}
	return plen + (size_t)n + 1;
}

/* ---- binary ---- */

struct bin_ctx {
	uint32_t head;
	uint64_t ts;
	const struct log_plan_op *ops;
	unsigned nops;
	int err;
};

struct writer {
	uint8_t *dst;
	size_t room;
	size_t off;
};

static inline void put(struct writer *w, const void *p, size_t n)
{
	if (w->off + n <= w->room)
		memcpy(w->dst + w->off, p, n);
	w->off += n;
}

static inline void put_u32(struct writer *w, uint32_t v)
{
	put(w, &v, sizeof(v));
}

static inline void put_u64(struct writer *w, uint64_t v)
{
	put(w, &v, sizeof(v));
}

static void put_str(struct writer *w, const char *s, long bound)
{
	size_t n;

	if (!s) {
		put_u32(w, LOG_STR_NULL);
		return;
	}
	n = bound >= 0 ? strnlen(s, (size_t)bound) : strlen(s);
	if (n >= LOG_STR_NULL)
		n = LOG_STR_NULL - 1;
	put_u32(w, (uint32_t)n);
	put(w, s, n);
}

static size_t fill_binary(uint8_t *dst, size_t room, void *ctx_, va_list ap)
{
	struct bin_ctx *ctx = ctx_;
	struct writer w = { dst, room, 0 };
	int ints[LOG_MAX_OPS];
	char errbuf[256];

	put_u32(&w, ctx->head);
	put_u64(&w, ctx->ts);
	for (unsigned i = 0; i < ctx->nops; i++) {
		const struct log_plan_op *op = &ctx->ops[i];
		long bound;
		double d;

		switch (op->op) {
		case LOG_OP_INT:
			ints[i] = va_arg(ap, int);
			put_u32(&w, (uint32_t)ints[i]);
			break;
		case LOG_OP_LONG:
			put_u64(&w, (uint64_t)(int64_t)va_arg(ap, long));
			break;
		case LOG_OP_LLONG:
			put_u64(&w, (uint64_t)va_arg(ap, long long));
			break;
		case LOG_OP_DOUBLE:
			d = va_arg(ap, double);
			put(&w, &d, sizeof(d));
			break;
		case LOG_OP_PTR:
			put_u64(&w, (uint64_t)(uintptr_t)va_arg(ap, void *));
			break;
		case LOG_OP_STR_AS_PTR:
			put_u64(&w, (uint64_t)(uintptr_t)va_arg(ap, char *));
			break;
		case LOG_OP_STR:
			/* never read past what printf would read: the precision bounds it */
			bound = op->prec;
			if (op->prec_op >= 0)
				bound = ints[op->prec_op] >= 0 ? ints[op->prec_op] : -1;
			put_str(&w, va_arg(ap, const char *), bound);
			break;
		case LOG_OP_ERRNO:
			put_str(&w, strerror_r(ctx->err, errbuf, sizeof(errbuf)), -1);
			break;
		}
	}
	return w.off;
}

/* Index of a call site's slot in this executable's table, or -1. */
static long slot_index(const struct log_fmt_desc *const *slot)
{
	uintptr_t p = (uintptr_t)slot, start = (uintptr_t)__start_cryo_logfmt;

	if (!slot || !start || p < start || p >= (uintptr_t)__stop_cryo_logfmt)
		return -1; /* e.g. a call site in a shared object with a table of its own */
	return (long)((p - start) / sizeof(*slot));
}

/* Plan of a call site in the current binary log, or NULL. */
static const struct plan_slot *plan_of(long id)
{
	if (id < 0 || (size_t)id >= L.nplans || !L.plans[id].ok)
		return NULL;
	return &L.plans[id];
}

static void append_args(fill_fn fill, void *ctx, ...)
{
	va_list ap;

	va_start(ap, ctx);
	append_locked(fill, ctx, ap);
	va_end(ap);
}

/* A call site without a plan: format it now, store it as one "%s" record. */
static void binary_fallback_locked(uint64_t ts, enum log_level level, const char *fmt,
				   va_list ap, int err)
{
	long id = slot_index(&fallback_slot);
	const struct plan_slot *slot = plan_of(id);
	struct bin_ctx ctx;
	char *msg;

	errno = err;
	if (!slot || vasprintf(&msg, fmt, ap) < 0)
		return;
	ctx = (struct bin_ctx){ (uint32_t)id << 3 | level, ts,
				&L.ops[slot->first_op], slot->nops, err };
	append_args(fill_binary, &ctx, msg);
	free(msg);
}

/* ---- emit ---- */

static void emit_to_sink(log_sink_fn sink, void *data, enum log_level level,
			 const char *fmt, va_list ap, int err)
{
	char small[1024], *msg = small;
	va_list again;
	int n;

	va_copy(again, ap);
	errno = err;
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small)) {
		errno = err;
		if (vasprintf(&msg, fmt, again) < 0)
			msg = NULL;
	}
	va_end(again);
	if (n >= 0 && msg)
		sink(level, msg, data);
	if (msg != small)
		free(msg);
}

static void emit(const struct log_fmt_desc *const *site, enum log_level level, const char *fmt,
		 va_list ap)
{
	int err = errno;
	log_sink_fn sink;
	uint64_t ts;
	void *sink_data;

	pthread_mutex_lock(&L.lock);
	sink = L.sink;
	sink_data = L.sink_data;
	if (sink) {
		pthread_mutex_unlock(&L.lock);
		emit_to_sink(sink, sink_data, level, fmt, ap, err);
		errno = err;
		return;
	}
	ts = log_now_locked();
	if (L.format == LOG_FMT_BINARY) {
		long id = slot_index(site);
		const struct plan_slot *slot = plan_of(id);

		if (slot) {
			struct bin_ctx ctx = { (uint32_t)id << 3 | level, ts,
					       &L.ops[slot->first_op], slot->nops, err };
			append_locked(fill_binary, &ctx, ap);
		} else {
			binary_fallback_locked(ts, level, fmt, ap, err);
		}
	} else {
		struct text_ctx ctx = { ts, level, fmt, err };

		append_locked(fill_text, &ctx, ap);
	}
	if (level <= LOG_LVL_ERROR || L.fd == STDERR_FILENO)
		flush_locked();
	pthread_mutex_unlock(&L.lock);
	errno = err;
}

void log_emit(const struct log_fmt_desc *const *slot, int level, const char *fmt, ...)
{
	va_list ap;

	if (level <= LOG_LVL_NONE || level > LOG_LVL_DEBUG)
		return;
	va_start(ap, fmt);
	emit(slot, (enum log_level)level, fmt, ap);
	va_end(ap);
}

void log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	if (level == LOG_LVL_NONE || (int)level > __atomic_load_n(&log__level, __ATOMIC_RELAXED))
		return;
	emit(NULL, level, fmt, ap);
}

void log_write(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, fmt, ap);
	va_end(ap);
}

/* ---- setup ---- */

static size_t table_size(void)
{
	if (!__start_cryo_logfmt || !__stop_cryo_logfmt)
		return 0;
	return ((uintptr_t)__stop_cryo_logfmt - (uintptr_t)__start_cryo_logfmt) /
	       sizeof(__start_cryo_logfmt[0]);
}

static void free_plans_locked(void)
{
	free(L.plans);
	free(L.ops);
	L.plans = NULL;
	L.ops = NULL;
	L.nplans = 0;
}

/* Work out the plan of every call site of this executable. */
static int build_plans_locked(void)
{
	size_t n = table_size(), nops = 0, cap = 0;
	struct log_plan plan;

	L.plans = calloc(n ? n : 1, sizeof(*L.plans));
	if (!L.plans)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct log_fmt_desc *d = __start_cryo_logfmt[i];

		if (log_plan_build(d->fmt, d->nargs, d->types, sizeof(long), &plan) < 0)
			continue;
		if (nops + plan.nops > cap) {
			struct log_plan_op *ops;

			cap = (cap + plan.nops) * 2;
			ops = realloc(L.ops, cap * sizeof(*ops));
			if (!ops)
				return -ENOMEM;
			L.ops = ops;
		}
		memcpy(L.ops + nops, plan.ops, plan.nops * sizeof(*plan.ops));
		L.plans[i] = (struct plan_slot){ (uint32_t)nops, plan.nops, true };
		nops += plan.nops;
	}
	L.nplans = n;
	return 0;
}

struct hbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static void hput(struct hbuf *h, const void *data, size_t n)
{
	if (h->oom)
		return;
	if (h->len + n > h->cap) {
		size_t cap = (h->len + n) * 2;
		uint8_t *p = realloc(h->p, cap);

		if (!p) {
			h->oom = true;
			return;
		}
		h->p = p;
		h->cap = cap;
	}
	memcpy(h->p + h->len, data, n);
	h->len += n;
}

static void hput_u8(struct hbuf *h, uint8_t v) { hput(h, &v, 1); }
static void hput_u16(struct hbuf *h, uint16_t v) { hput(h, &v, 2); }
static void hput_u32(struct hbuf *h, uint32_t v) { hput(h, &v, 4); }
static void hput_u64(struct hbuf *h, uint64_t v) { hput(h, &v, 8); }

static void hput_str(struct hbuf *h, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	hput_u32(h, (uint32_t)n);
	hput(h, s, n);
}

/* The header: everything the decoder needs, including every format string. */
static int write_header_locked(void)
{
	struct hbuf h = { 0 };
	struct timespec now;
	size_t n = table_size();
	int r;

	clock_gettime(CLOCK_REALTIME, &now);
	hput(&h, LOG_FILE_MAGIC, LOG_FILE_MAGIC_LEN);
	hput_u32(&h, LOG_FILE_VERSION);
	hput_u32(&h, LOG_BYTE_ORDER_MARK);
	hput_u8(&h, sizeof(long));
	hput_u8(&h, sizeof(void *));
	hput_u16(&h, 0);
	hput_u64(&h, (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec);
	hput_u32(&h, (uint32_t)getpid());
	hput_str(&h, program_invocation_short_name);
	hput_u32(&h, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		const struct log_fmt_desc *d = __start_cryo_logfmt[i];

		hput_u32(&h, (uint32_t)i);
		hput_u8(&h, d->level);
		hput_u8(&h, d->nargs);
		hput_u16(&h, 0);
		hput_u32(&h, d->line);
		hput(&h, d->types, d->nargs);
		hput_str(&h, d->fmt);
		hput_str(&h, d->file);
	}
	hput_u32(&h, LOG_TABLE_END);
	r = h.oom ? -ENOMEM : write_fd_all(L.fd, h.p, h.len);
	free(h.p);
	return r;
}

static void close_locked(void)
{
	flush_locked();
	if (L.own_fd)
		close(L.fd);
	L.fd = STDERR_FILENO;
	L.own_fd = false;
	free(L.path);
	L.path = NULL;
	L.format = LOG_FMT_TEXT;
	free_plans_locked();
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&L.lock);
	/* the child must not write the parent's records a second time */
	flush_locked();
}

static void atfork_release(void)
{
	pthread_mutex_unlock(&L.lock);
}

static void install_hooks_once(void)
{
	if (L.hooks_done)
		return;
	L.hooks_done = true;
	atexit(log_flush);
	pthread_atfork(atfork_prepare, atfork_release, atfork_release);
}

int log_init(const char *path, enum log_format format, enum log_level level)
{
	bool to_stderr = !path || !strcmp(path, "-");
	_cleanup_free_ char *p = NULL;
	int fd = STDERR_FILENO, r = 0;

	if ((format != LOG_FMT_TEXT && format != LOG_FMT_BINARY) ||
	    (int)level < LOG_LVL_NONE || level > LOG_LVL_DEBUG)
		return -EINVAL;
	if (format == LOG_FMT_BINARY && to_stderr)
		return -EINVAL;
	if (!to_stderr) {
		p = strdup(path);
		if (!p)
			return -ENOMEM;
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			return negative_errno();
	}

	pthread_mutex_lock(&L.lock);
	install_hooks_once();
	close_locked();
	L.fd = fd;
	L.own_fd = !to_stderr;
	L.path = TAKE_PTR(p);
	L.format = format;
	L.write_failed = false;
	log_clock_restart(&L.clk);
	if (format == LOG_FMT_BINARY) {
		r = build_plans_locked();
		if (r >= 0)
			r = write_header_locked();
		if (r < 0)
			close_locked();
	}
	pthread_mutex_unlock(&L.lock);
	if (r >= 0)
		log_set_level(level);
	return r;
}

void log_fini(void)
{
	pthread_mutex_lock(&L.lock);
	close_locked();
	pthread_mutex_unlock(&L.lock);
}

void log_flush(void)
{
	pthread_mutex_lock(&L.lock);
	flush_locked();
	pthread_mutex_unlock(&L.lock);
}

void log_set_level(enum log_level level)
{
	int v = (int)level;

	if (v < LOG_LVL_NONE)
		v = LOG_LVL_NONE;
	if (v > LOG_LVL_DEBUG)
		v = LOG_LVL_DEBUG;
	__atomic_store_n(&log__level, v, __ATOMIC_RELAXED);
}

enum log_level log_get_level(void)
{
	return (enum log_level)__atomic_load_n(&log__level, __ATOMIC_RELAXED);
}

enum log_format log_get_format(void)
{
	enum log_format f;

	pthread_mutex_lock(&L.lock);
	f = L.format;
	pthread_mutex_unlock(&L.lock);
	return f;
}

void log_set_sink(log_sink_fn sink, void *userdata)
{
	pthread_mutex_lock(&L.lock);
	L.sink = sink;
	L.sink_data = userdata;
	pthread_mutex_unlock(&L.lock);
}

void log_set_clock(log_clock_fn clock)
{
	pthread_mutex_lock(&L.lock);
	L.clock = clock;
	pthread_mutex_unlock(&L.lock);
}
