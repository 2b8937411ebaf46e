#ifndef CLIP_KERNELS_CEPHES_EXP_H
#define CLIP_KERNELS_CEPHES_EXP_H

// Cephes' single-precision exp as FastMath.exp writes it, one lane and eight (AVX2): the
// same operations in the same order, never fused, so both give the same bits. Shared by
// the softmax, QuickGELU and attention kernels.

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

/// 1 when the math kernels (softmax, QuickGELU, attention) take their AVX2 loops: the CPU
/// has AVX2 and the tests did not ask for the portable ones.
int clip_math_avx2(void);

static inline float bitsToFloat(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t floatToBits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

// Cephes' single-precision exp (FastMath.exp), one lane.
static inline float exp1(float x) {
    const float magic = 12582912.0f;
    if (x < -87.3f) x = -87.3f;
    if (x > 88.3f) x = 88.3f;
    float shifted = x * 1.44269504088896341f + magic;
    float fx = shifted - magic;
    x = x - fx * 0.693359375f + fx * 2.12194440e-4f;
    float z = x * x;
    float y = 1.9875691500e-4f;
    y = y * x + 1.3981999507e-3f;
    y = y * x + 8.3334519073e-3f;
    y = y * x + 4.1665795894e-2f;
    y = y * x + 1.6666665459e-1f;
    y = y * x + 5.0000001201e-1f;
    y = y * z + x + 1;
    return y * bitsToFloat((floatToBits(shifted) + 127u) << 23);
}

__attribute__((target("avx2")))
static inline __m256 exp8(__m256 x) {
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    const __m256 lo = _mm256_set1_ps(-87.3f), hi = _mm256_set1_ps(88.3f);
    x = _mm256_blendv_ps(x, lo, _mm256_cmp_ps(x, lo, _CMP_LT_OQ));
    x = _mm256_blendv_ps(x, hi, _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
    __m256 shifted = _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), magic);
    __m256 fx = _mm256_sub_ps(shifted, magic);
    x = _mm256_add_ps(
        _mm256_sub_ps(x, _mm256_mul_ps(fx, _mm256_set1_ps(0.693359375f))), _mm256_mul_ps(fx, _mm256_set1_ps(2.12194440e-4f)));
    __m256 z = _mm256_mul_ps(x, x);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_add_ps(_mm256_mul_ps(y, x), _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_add_ps(_mm256_mul_ps(y, x), _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_add_ps(_mm256_mul_ps(y, x), _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_add_ps(_mm256_mul_ps(y, x), _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_add_ps(_mm256_mul_ps(y, x), _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(y, z), x), _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
}

#endif
