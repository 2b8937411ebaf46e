#ifndef CLIP_KERNELS_CPU_H
#define CLIP_KERNELS_CPU_H

/// 1 when this CPU runs AVX2 (asked once): the one check every kernel that has an AVX2
/// form chooses by.
int clip_cpu_avx2(void);

/// 1 when this CPU runs FMA too (asked once): kernels with fused multiply-adds ask both.
int clip_cpu_fma(void);

#endif
