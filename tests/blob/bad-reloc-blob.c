// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A deliberately broken blob: a pointer stored in static data needs a load-time
 * relocation (R_X86_64_RELATIVE), which the pipeline must reject. The build links
 * it but never converts it; a test checks that blobgen refuses it by name.
 */
#include "pie.h"

static int target = 42;
int *const bad_pointer_table[] = { &target };

PIE_ENTRY int bad_entry(int i)
{
	return *((int *const volatile *)bad_pointer_table)[i];
}
