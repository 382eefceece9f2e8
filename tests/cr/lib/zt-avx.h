/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asm text that loads all 32 zmm registers from %[in] and stores them to
 * %[out] (2048 bytes each), for tests that hold AVX-512 state across C/R.
 */
#ifndef ZT_AVX_H
#define ZT_AVX_H

#define ZT_ZMM_LOAD_ALL \
	"vmovdqu64 0(%[in]), %%zmm0\n"	\
	"vmovdqu64 64(%[in]), %%zmm1\n"	\
	"vmovdqu64 128(%[in]), %%zmm2\n"	\
	"vmovdqu64 192(%[in]), %%zmm3\n"	\
	"vmovdqu64 256(%[in]), %%zmm4\n"	\
	"vmovdqu64 320(%[in]), %%zmm5\n"	\
	"vmovdqu64 384(%[in]), %%zmm6\n"	\
	"vmovdqu64 448(%[in]), %%zmm7\n"	\
	"vmovdqu64 512(%[in]), %%zmm8\n"	\
	"vmovdqu64 576(%[in]), %%zmm9\n"	\
	"vmovdqu64 640(%[in]), %%zmm10\n"	\
	"vmovdqu64 704(%[in]), %%zmm11\n"	\
	"vmovdqu64 768(%[in]), %%zmm12\n"	\
	"vmovdqu64 832(%[in]), %%zmm13\n"	\
	"vmovdqu64 896(%[in]), %%zmm14\n"	\
	"vmovdqu64 960(%[in]), %%zmm15\n"	\
	"vmovdqu64 1024(%[in]), %%zmm16\n"	\
	"vmovdqu64 1088(%[in]), %%zmm17\n"	\
	"vmovdqu64 1152(%[in]), %%zmm18\n"	\
	"vmovdqu64 1216(%[in]), %%zmm19\n"	\
	"vmovdqu64 1280(%[in]), %%zmm20\n"	\
	"vmovdqu64 1344(%[in]), %%zmm21\n"	\
	"vmovdqu64 1408(%[in]), %%zmm22\n"	\
	"vmovdqu64 1472(%[in]), %%zmm23\n"	\
	"vmovdqu64 1536(%[in]), %%zmm24\n"	\
	"vmovdqu64 1600(%[in]), %%zmm25\n"	\
	"vmovdqu64 1664(%[in]), %%zmm26\n"	\
	"vmovdqu64 1728(%[in]), %%zmm27\n"	\
	"vmovdqu64 1792(%[in]), %%zmm28\n"	\
	"vmovdqu64 1856(%[in]), %%zmm29\n"	\
	"vmovdqu64 1920(%[in]), %%zmm30\n"	\
	"vmovdqu64 1984(%[in]), %%zmm31\n"

#define ZT_ZMM_STORE_ALL \
	"vmovdqu64 %%zmm0, 0(%[out])\n"	\
	"vmovdqu64 %%zmm1, 64(%[out])\n"	\
	"vmovdqu64 %%zmm2, 128(%[out])\n"	\
	"vmovdqu64 %%zmm3, 192(%[out])\n"	\
	"vmovdqu64 %%zmm4, 256(%[out])\n"	\
	"vmovdqu64 %%zmm5, 320(%[out])\n"	\
	"vmovdqu64 %%zmm6, 384(%[out])\n"	\
	"vmovdqu64 %%zmm7, 448(%[out])\n"	\
	"vmovdqu64 %%zmm8, 512(%[out])\n"	\
	"vmovdqu64 %%zmm9, 576(%[out])\n"	\
	"vmovdqu64 %%zmm10, 640(%[out])\n"	\
	"vmovdqu64 %%zmm11, 704(%[out])\n"	\
	"vmovdqu64 %%zmm12, 768(%[out])\n"	\
	"vmovdqu64 %%zmm13, 832(%[out])\n"	\
	"vmovdqu64 %%zmm14, 896(%[out])\n"	\
	"vmovdqu64 %%zmm15, 960(%[out])\n"	\
	"vmovdqu64 %%zmm16, 1024(%[out])\n"	\
	"vmovdqu64 %%zmm17, 1088(%[out])\n"	\
	"vmovdqu64 %%zmm18, 1152(%[out])\n"	\
	"vmovdqu64 %%zmm19, 1216(%[out])\n"	\
	"vmovdqu64 %%zmm20, 1280(%[out])\n"	\
	"vmovdqu64 %%zmm21, 1344(%[out])\n"	\
	"vmovdqu64 %%zmm22, 1408(%[out])\n"	\
	"vmovdqu64 %%zmm23, 1472(%[out])\n"	\
	"vmovdqu64 %%zmm24, 1536(%[out])\n"	\
	"vmovdqu64 %%zmm25, 1600(%[out])\n"	\
	"vmovdqu64 %%zmm26, 1664(%[out])\n"	\
	"vmovdqu64 %%zmm27, 1728(%[out])\n"	\
	"vmovdqu64 %%zmm28, 1792(%[out])\n"	\
	"vmovdqu64 %%zmm29, 1856(%[out])\n"	\
	"vmovdqu64 %%zmm30, 1920(%[out])\n"	\
	"vmovdqu64 %%zmm31, 1984(%[out])\n"

#endif
