/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Protobuf messages <-> JSON, by reflection over the message descriptors
 * (new kinds need no code here).  The mapping is exact so that
 * decode -> encode gives back the same bytes:
 *   - field names are the .proto names; absent optional fields are left out;
 *   - 64-bit integers are JSON numbers when they fit int64, else strings
 *     (both are accepted back); doubles are printed with 17 digits;
 *   - enums are names (numbers when the value is unknown);
 *   - bytes are base64 strings; strings that are not valid UTF-8 are
 *     {"base64": "..."};
 *   - fields this tool does not know are kept in "_unknown";
 *   - a record whose bytes would not come back identical (non-canonical
 *     encoding from another writer) also carries "_raw": its exact bytes in
 *     base64, which encode uses.
 */
#ifndef CRYO_IMAGE_JSON_H
#define CRYO_IMAGE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* Emit one record as a JSON object; raw/len are its bytes in the file (for the
 * exactness check; NULL to skip it). */
int img_json_gen_record(yajl_gen g, const ProtobufCMessage *m, const uint8_t *raw, size_t len);
/* Build the packed bytes of one record from its JSON object.  *ret is malloc'ed.
 * On error, err holds a message naming the JSON path. */
int img_json_pack_record(const ProtobufCMessageDescriptor *desc, yajl_val v, uint8_t **ret,
			 size_t *ret_len, char *err, size_t errlen);

/* Base64 (RFC 4648, with padding). */
char *img_base64_encode(const uint8_t *p, size_t len);
int img_base64_decode(const char *s, uint8_t **ret, size_t *ret_len);

#endif
