#include "clip_kernels.h"
#include "cpu.h"
#include "cephes_exp.h"

#include <float.h>
#include <immintrin.h>
#include <math.h>
#include <string.h>

// Every operation as FastMath.exp and SetScores write them in Swift, in the same order and
// without fused multiply-adds (see the pragma): the AVX2 kernel and the portable loop give
// the same bits, and so do they and the Swift path they replace.
#pragma STDC FP_CONTRACT OFF

// The row's maximum: eight lanes, then the tail (a maximum is exact in any order).
static float maximum(const float *x, int64_t k) {
    float m = -INFINITY;
    int64_t i = 0;
    if (k >= 8) {
        float lanes[8];
        for (int l = 0; l < 8; l++) lanes[l] = -INFINITY;
        for (; i + 8 <= k; i += 8)
            for (int l = 0; l < 8; l++) lanes[l] = fmaxf(lanes[l], x[i + l]);
        for (int l = 0; l < 8; l++) m = fmaxf(m, lanes[l]);
    }
    for (; i < k; i++) m = fmaxf(m, x[i]);
    return m;
}

// The same maximum, eight lanes in one instruction: max_ps(x, lanes) keeps the lane's value
// when x is NaN, as fmaxf(lanes, x) does (a lane never holds a NaN), and the lanes are then
// reduced as above. The portable form's scalar fmaxf per entry was two thirds of the
// summary's time (1,000 images × 1,000 classes at every keystroke).
__attribute__((target("avx2")))
static float maximum_avx2(const float *x, int64_t k) {
    float m = -INFINITY;
    int64_t i = 0;
    if (k >= 8) {
        __m256 lanes = _mm256_set1_ps(-INFINITY);
        for (; i + 8 <= k; i += 8) lanes = _mm256_max_ps(_mm256_loadu_ps(x + i), lanes);
        float l8[8];
        _mm256_storeu_ps(l8, lanes);
        for (int l = 0; l < 8; l++) m = fmaxf(m, l8[l]);
    }
    for (; i < k; i++) m = fmaxf(m, x[i]);
    return m;
}

// The tests' switch to the portable loops (softmax and QuickGELU alike).
static int forcePortableMath = 0;
void clip_softmax_force_portable(int on) { forcePortableMath = on; }
int clip_math_avx2(void) { return clip_cpu_avx2() && !forcePortableMath; }
static int useAVX2(void) { return clip_math_avx2(); }

__attribute__((target("avx2")))
static void exponentials_avx2(const float *row, float top, float scale, float *e, int64_t k) {
    int64_t i = 0;
    __m256 t = _mm256_set1_ps(top), s = _mm256_set1_ps(scale);
    for (; i + 8 <= k; i += 8) _mm256_storeu_ps(e + i, exp8(_mm256_mul_ps(s, _mm256_sub_ps(_mm256_loadu_ps(row + i), t))));
    for (; i < k; i++) e[i] = expf(scale * (row[i] - top));
}

static void exponentials_portable(const float *row, float top, float scale, float *e, int64_t k) {
    int64_t i = 0;
    for (; i + 8 <= k; i += 8)
        for (int l = 0; l < 8; l++) e[i + l] = exp1(scale * (row[i + l] - top));
    for (; i < k; i++) e[i] = expf(scale * (row[i] - top));
}

// The first place of the row's maximum `top`, eight places per compare (the last place
// when none holds it: a row of NaNs).
__attribute__((target("avx2")))
static int64_t first_at_avx2(const float *row, float top, int64_t k) {
    int64_t i = 0;
    __m256 t = _mm256_set1_ps(top);
    for (; i + 8 <= k; i += 8) {
        int mask = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(row + i), t, _CMP_EQ_OQ));
        if (mask) {
            int64_t at = i + __builtin_ctz((unsigned)mask);
            return at < k - 1 ? at : k - 1;
        }
    }
    while (i < k - 1 && row[i] != top) i++;
    return i < k - 1 ? i : k - 1;
}

// Σ of the exponentials in eight float lanes, each lane adding its places in order, as the
// portable loop's lanes do: the same bits.
__attribute__((target("avx2")))
static void lane_sums_avx2(const float *e, int64_t k, float lanes[8]) {
    __m256 sum = _mm256_setzero_ps();
    for (int64_t i = 0; i + 8 <= k; i += 8) sum = _mm256_add_ps(sum, _mm256_loadu_ps(e + i));
    _mm256_storeu_ps(lanes, sum);
}

void clip_softmax_rows(
    const float *cosines, int64_t n, int64_t k, float scale, float *scratch, int64_t *best, float *lse, float *conf,
    float *margin) {
    int avx2 = useAVX2();
    for (int64_t r = 0; r < n && k > 0; r++) {
        const float *row = cosines + r * k;
        float top = avx2 ? maximum_avx2(row, k) : maximum(row, k);
        int64_t b = 0;
        if (avx2) {
            b = first_at_avx2(row, top, k);
        } else {
            while (b < k - 1 && row[b] != top) b++;
        }
        if (avx2) exponentials_avx2(row, top, scale, scratch, k); else exponentials_portable(row, top, scale, scratch, k);
        // Σ: eight float lanes, then in double (SetScores.sum).
        float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t i = k - k % 8;
        if (avx2) {
            lane_sums_avx2(scratch, k, lanes);
        } else {
            for (int64_t j = 0; j + 8 <= k; j += 8)
                for (int l = 0; l < 8; l++) lanes[l] += scratch[j + l];
        }
        double s = 0;
        for (int l = 0; l < 8; l++) s += (double)lanes[l];
        for (; i < k; i++) s += (double)scratch[i];
        scratch[b] = -1;
        double second = k > 1 ? (double)(avx2 ? maximum_avx2(scratch, k) : maximum(scratch, k)) : 0;
        best[r] = b;
        lse[r] = scale * top + (float)log(s);
        conf[r] = (float)(1 / s);
        margin[r] = (float)((1 - second) / s);
    }
}

__attribute__((target("avx2")))
static void quick_gelu_avx2(float *x, int64_t count) {
    int64_t i = 0;
    const __m256 k = _mm256_set1_ps(-1.702f), one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= count; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        _mm256_storeu_ps(x + i, _mm256_div_ps(v, _mm256_add_ps(one, exp8(_mm256_mul_ps(v, k)))));
    }
    for (; i < count; i++) x[i] = x[i] / (1 + expf(-1.702f * x[i]));
}

static void quick_gelu_portable(float *x, int64_t count) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8)
        for (int l = 0; l < 8; l++) x[i + l] = x[i + l] / (1 + exp1(x[i + l] * -1.702f));
    for (; i < count; i++) x[i] = x[i] / (1 + expf(-1.702f * x[i]));
}

void clip_quick_gelu(float *x, int64_t count) {
    if (useAVX2()) quick_gelu_avx2(x, count); else quick_gelu_portable(x, count);
}
