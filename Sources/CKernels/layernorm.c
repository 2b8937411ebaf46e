#include "clip_kernels.h"
#include "cephes_exp.h"

#include <immintrin.h>
#include <math.h>

// Mean and variance summed in double, as LayerNorm's Swift loop did (two passes, so the
// variance is exact for wide rows); the AVX2 loop keeps four double lanes twice over, so
// its sums differ from the sequential ones by double rounding only. The output is the same
// float expression in both, (x − mean) · inv · γ + β, never fused.
#pragma STDC FP_CONTRACT OFF

static void moments_portable(const float *x, int64_t n, double *mean, double *sq) {
    double sum = 0;
    for (int64_t i = 0; i < n; i++) sum += (double)x[i];
    double m = sum / (double)n, s = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)x[i] - m;
        s += d * d;
    }
    *mean = m;
    *sq = s;
}

__attribute__((target("avx2")))
static void moments_avx2(const float *x, int64_t n, double *mean, double *sq) {
    __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm_loadu_ps(x + i)));
        a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)));
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, _mm256_add_pd(a0, a1));
    double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < n; i++) sum += (double)x[i];
    double m = sum / (double)n;
    __m256d mv = _mm256_set1_pd(m);
    a0 = _mm256_setzero_pd();
    a1 = _mm256_setzero_pd();
    for (i = 0; i + 8 <= n; i += 8) {
        __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i)), mv);
        __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)), mv);
        a0 = _mm256_add_pd(a0, _mm256_mul_pd(d0, d0));
        a1 = _mm256_add_pd(a1, _mm256_mul_pd(d1, d1));
    }
    _mm256_storeu_pd(lanes, _mm256_add_pd(a0, a1));
    double s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < n; i++) {
        double d = (double)x[i] - m;
        s += d * d;
    }
    *mean = m;
    *sq = s;
}

__attribute__((target("avx2")))
static void scale_avx2(const float *x, int64_t n, float m, float inv, const float *g, const float *b, float *y) {
    __m256 mv = _mm256_set1_ps(m), iv = _mm256_set1_ps(inv);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv), iv), _mm256_loadu_ps(g + i));
        _mm256_storeu_ps(y + i, _mm256_add_ps(v, _mm256_loadu_ps(b + i)));
    }
    for (; i < n; i++) y[i] = (x[i] - m) * inv * g[i] + b[i];
}

static void scale_portable(const float *x, int64_t n, float m, float inv, const float *g, const float *b, float *y) {
    for (int64_t i = 0; i < n; i++) y[i] = (x[i] - m) * inv * g[i] + b[i];
}

void clip_layer_norm(const float *x, int64_t rows, int64_t n, const float *g, const float *b, float eps, float *y) {
    int avx2 = clip_math_avx2();
    for (int64_t r = 0; r < rows && n > 0; r++) {
        const float *xr = x + r * n;
        float *yr = y + r * n;
        double mean, sq;
        if (avx2) moments_avx2(xr, n, &mean, &sq); else moments_portable(xr, n, &mean, &sq);
        float inv = (float)(1 / sqrt(sq / (double)n + (double)eps)), m = (float)mean;
        if (avx2) scale_avx2(xr, n, m, inv, g, b, yr); else scale_portable(xr, n, m, inv, g, b, yr);
    }
}
