/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: any bytes through the config.json parser must give a spec or a clean error. */
#include <stdint.h>
#include <string.h>
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_spec *spec = NULL;
	struct oci_error err = { 0 };
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (oci_spec_parse(text, &spec, &err) == 0)
		oci_spec_free(spec);
	else if (!err.msg[0] || !err.code)
		__builtin_trap(); /* every failure must say why */
	free(text);
	return 0;
}
