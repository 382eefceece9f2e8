/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Force-included (-include) into every blob translation unit by pie_c_args.
 * Hidden visibility for declarations too, not only definitions (which
 * -fvisibility=hidden covers): a reference to a default-visibility extern symbol
 * could go through the GOT, and a GOT entry needs a dynamic relocation, which a
 * blob must not have.
 */
#pragma GCC visibility push(hidden)
