#include "clip_kernels.h"

#include <immintrin.h>
#include <string.h>

// IEEE half to single, exactly (every half is a single): subnormals normalised, infinities
// and NaNs kept (a NaN's payload shifted as the hardware does).
static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff, bits;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000 | (mantissa << 13);
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else {
        // Subnormal: shift the leading one into place.
        int shift = 0;
        while (!(mantissa & 0x400)) { mantissa <<= 1; shift++; }
        bits = sign | ((uint32_t)(113 - shift) << 23) | ((mantissa & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

__attribute__((target("avx,f16c")))
static void halves_f16c(const uint8_t *src, float *dst, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)(src + 2 * i));
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
    }
    for (; i < n; i++) {
        uint16_t h;
        memcpy(&h, src + 2 * i, 2);
        dst[i] = half_to_float(h);
    }
}

static void halves_portable(const uint8_t *src, float *dst, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        uint16_t h;
        memcpy(&h, src + 2 * i, 2);
        dst[i] = half_to_float(h);
    }
}

static int force_portable_halves = 0;

void clip_halves_to_floats(const void *src, float *dst, int64_t n) {
    static int f16c = -1;
    if (f16c < 0) { __builtin_cpu_init(); f16c = __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx"); }
    if (f16c && !force_portable_halves) halves_f16c((const uint8_t *)src, dst, n); else halves_portable((const uint8_t *)src, dst, n);
}

void clip_halves_force_portable(int on) { force_portable_halves = on; }
