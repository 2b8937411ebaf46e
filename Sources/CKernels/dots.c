#include "clip_kernels.h"
#include "cpu.h"

#include <immintrin.h>

// Row r of a with row r of b, for every row: the template effects' S_c·u_tc, 87 templates
// × 1,000 classes at every keystroke (44 MB of template vectors read). Swift's SIMD8 dot
// compiles to SSE with one chain of dependent adds; here two chains of fused
// multiply-adds, eight lanes each. The two forms round differently (by float32 rounding of
// the terms' magnitude), which the effects' bounds leave room for.
static void row_dots_portable(const float *a, const float *b, int64_t rows, int64_t dim, float *out) {
    for (int64_t r = 0; r < rows; r++) {
        const float *x = a + r * dim, *y = b + r * dim;
        float s = 0;
        for (int64_t j = 0; j < dim; j++) s += x[j] * y[j];
        out[r] = s;
    }
}

__attribute__((target("avx2,fma")))
static void row_dots_avx2(const float *a, const float *b, int64_t rows, int64_t dim, float *out) {
    for (int64_t r = 0; r < rows; r++) {
        const float *x = a + r * dim, *y = b + r * dim;
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        int64_t j = 0;
        for (; j + 16 <= dim; j += 16) {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(y + j), s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + j + 8), _mm256_loadu_ps(y + j + 8), s1);
        }
        for (; j + 8 <= dim; j += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(y + j), s0);
        __m256 s = _mm256_add_ps(s0, s1);
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
        float total = _mm_cvtss_f32(h);
        for (; j < dim; j++) total += x[j] * y[j];
        out[r] = total;
    }
}

void clip_row_dots(const float *a, const float *b, int64_t rows, int64_t dim, float *out) {
    if (clip_cpu_fma() && clip_kernels_avx2()) row_dots_avx2(a, b, rows, dim, out);
    else row_dots_portable(a, b, rows, dim, out);
}
