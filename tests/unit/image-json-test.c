/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reflective JSON mapping of cryo-image over a schema with every protobuf
 * type: thousands of random messages (extreme values, absent and present
 * fields, defaults, oneofs, nested and repeated messages, invalid UTF-8) must
 * come back byte for byte through JSON without needing "_raw"; unknown fields
 * travel in "_unknown".  Also base64 and the kind table's name matching.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cr/image.h"
#include "cr/image-json.h"
#include "cr/log.h"
#include "image_alltypes.pb-c.h"

static int failures;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

#define CHECK(cond, ...)                                                              \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);  \
			fprintf(stderr, __VA_ARGS__);                                 \
			fprintf(stderr, "\n");                                        \
			failures++;                                                   \
			return -1;                                                    \
		}                                                                     \
	} while (0)

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static bool coin(void) { return rnd() & 1; }

/* Interesting 64-bit values: edges more often than chance would give them. */
static uint64_t rnd_u64(void)
{
	static const uint64_t edges[] = { 0, 1, 127, 128, INT32_MAX, (uint64_t)INT32_MIN, UINT32_MAX,
					  INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX, UINT64_MAX - 1 };
	if (rnd() % 3 == 0)
		return edges[rnd() % (sizeof(edges) / sizeof(edges[0]))];
	return rnd() >> (rnd() % 64);
}

static double rnd_double(void)
{
	static const double edges[] = { 0.0, -0.0, 1.0, -1.5, 1e308, -1e-308, 4.9e-324, INFINITY, -INFINITY,
					NAN, 0.1, 1.0 / 3 };
	if (rnd() % 3 == 0)
		return edges[rnd() % (sizeof(edges) / sizeof(edges[0]))];
	uint64_t bits = rnd();
	double d;
	memcpy(&d, &bits, sizeof(d));
	return isnan(d) ? 2.5 : d;	/* NaN payloads other than the default do not survive text */
}

static char *rnd_string(void)
{
	static const char *const samples[] = { "", "hello", "/usr/lib/x86_64-linux-gnu/libc.so.6",
					       "quote\" backslash\\ newline\n tab\t", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
					       "bad \xff utf8", "overlong \xc0\xaf", "surrogate \xed\xa0\x80", "\x01\x1f" };
	return strdup(samples[rnd() % (sizeof(samples) / sizeof(samples[0]))]);
}

static void rnd_bytes(ProtobufCBinaryData *b)
{
	b->len = rnd() % 40;
	b->data = malloc(b->len + 1);
	for (size_t i = 0; i < b->len; i++)
		b->data[i] = rnd();
}

static Color rnd_color(void)
{
	static const Color c[] = { COLOR__RED, COLOR__GREEN, COLOR__BLUE, 42 /* not in the schema */ };
	return c[rnd() % 4];
}

static Inner *rnd_inner(int depth)
{
	Inner *in = malloc(sizeof(*in));

	inner__init(in);
	in->id = rnd_u64();
	if (coin())
		in->note = rnd_string();
	if (depth < 3 && coin()) {
		in->n_children = rnd() % 3;
		in->children = calloc(in->n_children + 1, sizeof(*in->children));
		for (size_t i = 0; i < in->n_children; i++)
			in->children[i] = rnd_inner(depth + 1);
	}
	return in;
}

#define MAYBE(has, field, value)     \
	do {                         \
		if (coin()) {        \
			m->has = 1;  \
			m->field = (value); \
		}                    \
	} while (0)

#define RND_ARRAY(n, arr, gen)                                      \
	do {                                                        \
		if (coin()) {                                       \
			m->n = rnd() % 5;                           \
			m->arr = calloc(m->n + 1, sizeof(*m->arr)); \
			for (size_t i = 0; i < m->n; i++)           \
				m->arr[i] = gen;                    \
		}                                                   \
	} while (0)

static Alltypes *rnd_alltypes(void)
{
	Alltypes *m = malloc(sizeof(*m));

	alltypes__init(m);
	MAYBE(has_i32, i32, (int32_t)rnd_u64());
	MAYBE(has_s32, s32, (int32_t)rnd_u64());
	MAYBE(has_sf32, sf32, (int32_t)rnd_u64());
	MAYBE(has_u32, u32, (uint32_t)rnd_u64());
	MAYBE(has_f32, f32, (uint32_t)rnd_u64());
	MAYBE(has_i64, i64, (int64_t)rnd_u64());
	MAYBE(has_s64, s64, (int64_t)rnd_u64());
	MAYBE(has_sf64, sf64, (int64_t)rnd_u64());
	MAYBE(has_u64, u64, rnd_u64());
	MAYBE(has_f64, f64, rnd_u64());
	MAYBE(has_fl, fl, (float)rnd_double());
	MAYBE(has_db, db, rnd_double());
	MAYBE(has_b, b, coin());
	MAYBE(has_c, c, rnd_color());
	MAYBE(has_num_default, num_default, rnd() % 10);
	if (coin())
		m->s = rnd_string();
	if (coin()) {
		m->has_by = 1;
		rnd_bytes(&m->by);
	}
	if (coin())
		m->msg = rnd_inner(0);
	if (coin())
		m->with_default = coin() ? strdup("hello") : rnd_string();
	RND_ARRAY(n_r_i64, r_i64, (int64_t)rnd_u64());
	RND_ARRAY(n_r_u64, r_u64, rnd_u64());
	RND_ARRAY(n_r_db, r_db, rnd_double());
	RND_ARRAY(n_r_s, r_s, rnd_string());
	RND_ARRAY(n_r_msg, r_msg, rnd_inner(1));
	RND_ARRAY(n_r_c, r_c, rnd_color());
	RND_ARRAY(n_r_b, r_b, coin());
	if (coin()) {
		m->n_r_by = rnd() % 4;
		m->r_by = calloc(m->n_r_by + 1, sizeof(*m->r_by));
		for (size_t i = 0; i < m->n_r_by; i++)
			rnd_bytes(&m->r_by[i]);
	}
	switch (rnd() % 4) {
	case 1:
		m->choice_case = ALLTYPES__CHOICE_ONE_NUM;
		m->one_num = rnd_u64();
		break;
	case 2:
		m->choice_case = ALLTYPES__CHOICE_ONE_STR;
		m->one_str = rnd_string();
		break;
	case 3:
		m->choice_case = ALLTYPES__CHOICE_ONE_MSG;
		m->one_msg = rnd_inner(2);
		break;
	}
	m->req = (int64_t)rnd_u64();
	return m;
}

/* JSON of the record with raw bytes, then back: the same bytes? */
static int json_round_trip(const ProtobufCMessageDescriptor *desc, const uint8_t *raw, size_t len,
			   bool may_need_raw, bool want_unknown)
{
	ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, len, raw);
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *json;
	size_t jlen;
	char err[512];
	uint8_t *back = NULL;
	size_t blen = 0;

	CHECK(m, "unpack");
	CHECK(img_json_gen_record(g, m, raw, len) == 0, "gen");
	CHECK(yajl_gen_get_buf(g, &json, &jlen) == yajl_gen_status_ok, "buf");
	char *text = strndup((const char *)json, jlen);
	yajl_val v = yajl_tree_parse(text, err, sizeof(err));
	CHECK(v, "JSON does not parse: %s\n%s", err, text);
	const char *rawp[] = { "_raw", NULL }, *unkp[] = { "_unknown", NULL };
	CHECK(may_need_raw || !yajl_tree_get(v, rawp, yajl_t_any), "canonical record needed _raw:\n%s", text);
	CHECK(!want_unknown || yajl_tree_get(v, unkp, yajl_t_array), "no _unknown:\n%s", text);
	/* Also without _raw: the fields alone must give the canonical bytes. */
	CHECK(img_json_pack_record(desc, v, &back, &blen, err, sizeof(err)) == 0, "pack: %s\n%s", err, text);
	CHECK(blen == len && !memcmp(back, raw, len), "bytes differ (%zu vs %zu):\n%s", blen, len, text);
	free(back);
	yajl_tree_free(v);
	free(text);
	yajl_gen_free(g);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

static int test_random_messages(void)
{
	for (int i = 0; i < 5000; i++) {
		Alltypes *m = rnd_alltypes();
		size_t len = alltypes__get_packed_size(m);
		uint8_t *raw = malloc(len + 16);

		alltypes__pack(m, raw);
		/* Some with a field from a newer schema appended (field 100, varint). */
		bool unknown = i % 7 == 0;
		if (unknown) {
			raw[len++] = 0xa0;
			raw[len++] = 0x06;
			raw[len++] = 0x2a;
		}
		int r = json_round_trip(&alltypes__descriptor, raw, len, false, unknown);
		free(raw);
		alltypes__free_unpacked(m, NULL);
		if (r < 0) {
			fprintf(stderr, "message %d\n", i);
			return r;
		}
	}
	return 0;
}

/* Non-canonical: the same field twice (last one wins on unpack). */
static int test_non_canonical(void)
{
	/* req (31, zigzag varint) twice, then i32. */
	const uint8_t raw[] = { 0xf8, 0x01, 0x02, 0xf8, 0x01, 0x04, 0x08, 0x05 };
	ProtobufCMessage *m = protobuf_c_message_unpack(&alltypes__descriptor, NULL, sizeof(raw), raw);
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *json;
	size_t jlen;

	CHECK(m, "unpack");
	CHECK(img_json_gen_record(g, m, raw, sizeof(raw)) == 0, "gen");
	yajl_gen_get_buf(g, &json, &jlen);
	CHECK(memmem(json, jlen, "\"_raw\"", 6), "non-canonical record without _raw");
	char *text = strndup((const char *)json, jlen);
	yajl_val v = yajl_tree_parse(text, NULL, 0);
	uint8_t *back;
	size_t blen;
	char err[256];
	CHECK(v && img_json_pack_record(&alltypes__descriptor, v, &back, &blen, err, sizeof(err)) == 0, "pack");
	CHECK(blen == sizeof(raw) && !memcmp(back, raw, blen), "raw bytes not reproduced");
	free(back);
	yajl_tree_free(v);
	free(text);
	yajl_gen_free(g);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

/* JSON that must be refused with a message naming the problem. */
static int test_bad_json(void)
{
	static const struct {
		const char *json, *expect;
	} cases[] = {
		{ "{\"req\": 1, \"s\": \"a\", \"s\": \"b\"}", "twice" },
		{ "{\"req\": 1, \"r_s\": [\"a\"], \"r_s\": [\"b\"]}", "twice" },
		{ "{\"req\": 1, \"one_num\": 1, \"one_str\": \"x\"}", "oneof" },
		{ "{\"req\": 1, \"_unknown\": [], \"_unknown\": []}", "twice" },
		{ "{\"s\": \"a\"}", "req" },
		{ "{\"req\": 1, \"c\": \"PURPLE\"}", "PURPLE" },
		{ "{\"req\": 1, \"msg\": {\"note\": \"x\"}}", "msg" },
		{ "{\"req\": 1, \"s\": {\"base64\": \"AAA=\"}}", "NUL" },
		{ "{\"req\": 1, \"by\": \"not base64!\"}", "by" },
		{ "{\"req\": \"9223372036854775808\"}", "req" },
		{ "{\"req\": 1, \"u32\": 1.5}", "u32" },
		{ "{\"req\": 1, \"_raw\": \"@@@@\"}", "_raw" },
		{ "{\"req\": 1, \"_raw\": \"/w==\"}", "_raw" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		yajl_val v = yajl_tree_parse(cases[i].json, NULL, 0);
		uint8_t *buf = NULL;
		size_t len;
		char err[256] = "";

		CHECK(v, "case %zu does not parse", i);
		int r = img_json_pack_record(&alltypes__descriptor, v, &buf, &len, err, sizeof(err));
		yajl_tree_free(v);
		if (r == 0)
			free(buf);
		CHECK(r < 0, "case %zu accepted: %s", i, cases[i].json);
		CHECK(strstr(err, cases[i].expect), "case %zu: '%s' does not mention '%s'", i, err, cases[i].expect);
	}
	return 0;
}

static int test_base64(void)
{
	uint8_t buf[64], *out;
	size_t len;

	for (size_t n = 0; n < sizeof(buf); n++) {
		for (size_t i = 0; i < n; i++)
			buf[i] = rnd();
		char *s = img_base64_encode(buf, n);
		CHECK(s && strlen(s) == (n + 2) / 3 * 4, "length %zu", n);
		CHECK(img_base64_decode(s, &out, &len) == 0 && len == n && !memcmp(out, buf, n), "decode %zu", n);
		free(out);
		free(s);
	}
	const char *bad[] = { "A", "AB=", "A=BC", "AB*D", "====", "AAA=AAAA" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = img_base64_decode(bad[i], &out, &len);
		if (r == 0)
			free(out);
		CHECK(r < 0, "'%s' accepted", bad[i]);
	}
	return 0;
}

static int test_kind_names(void)
{
	CHECK(img_kind_by_file_name("core-12.img") == img_kind_info(IMG_CORE), "core");
	CHECK(img_kind_by_file_name("/x/y/pagemap-3.img") == img_kind_info(IMG_PAGEMAP), "pagemap");
	CHECK(img_kind_by_file_name("inventory.img") == img_kind_info(IMG_INVENTORY), "inventory");
	CHECK(!img_kind_by_file_name("core-.img") && !img_kind_by_file_name("core-1x.img") &&
	      !img_kind_by_file_name("core-1.img.bak") && !img_kind_by_file_name("xcore-1.img") &&
	      !img_kind_by_file_name("pages-1.img") && !img_kind_by_file_name("core--1.img"), "non-names");
	CHECK(img_is_pages_file_name("pages-7.img") && !img_is_pages_file_name("pagemap-7.img"), "pages");
	/* Magics are unique and every kind has one line. */
	for (int a = 0; a < IMG_KIND_MAX; a++) {
		const struct img_kind_info *k = img_kind_info(a);
		CHECK(k && k->kind == (enum img_kind)a && k->first, "kind %d has no table line", a);
		CHECK(img_kind_by_magic(k->magic) == k, "magic of %s not unique", k->name);
		CHECK(img_kind_by_short_name(k->name) == k, "name of %s not unique", k->name);
	}
	return 0;
}

int main(void)
{
	log_set_level(LOG_LVL_NONE);
	test_kind_names();
	test_base64();
	test_non_canonical();
	test_bad_json();
	test_random_messages();
	if (failures) {
		printf("FAIL (%d)\n", failures);
		return 1;
	}
	printf("PASS\n");
	return 0;
}
