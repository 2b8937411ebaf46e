#include "clip_kernels.h"
#include "cephes_exp.h"

#include <immintrin.h>
#include <math.h>

// Every sum as eight lanes over the features (then the lanes added in one order, then the
// tail), so that the AVX2 loop and the portable one give the same bits.
#pragma STDC FP_CONTRACT OFF

static inline float laneSum(const float lanes[8]) {
    return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

// Scores of one head's query against its keys, made into probabilities (max first, Cephes'
// exp, one float sum): what FastMath.softmax does to them.
static void softmaxInPlace(float *s, int64_t n) {
    float m = s[0];
    for (int64_t j = 1; j < n; j++) m = fmaxf(m, s[j]);
    float sum = 0;
    for (int64_t j = 0; j < n; j++) {
        s[j] = exp1(s[j] - m);
        sum += s[j];
    }
    float inv = 1 / sum;
    for (int64_t j = 0; j < n; j++) s[j] *= inv;
}

__attribute__((target("avx2")))
static inline __m256 dotLanes(const float *q, const float *k, int64_t full) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < full; i += 8) acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(k + i)));
    return acc;
}

// Eight keys' lane sums at once: horizontal adds pair the lanes as laneSum does,
// ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)), so the bits are the portable loop's.
__attribute__((target("avx2")))
static inline __m256 laneSums8(const __m256 a[8]) {
    __m256 h01 = _mm256_hadd_ps(a[0], a[1]), h23 = _mm256_hadd_ps(a[2], a[3]);
    __m256 h45 = _mm256_hadd_ps(a[4], a[5]), h67 = _mm256_hadd_ps(a[6], a[7]);
    __m256 h0123 = _mm256_hadd_ps(h01, h23), h4567 = _mm256_hadd_ps(h45, h67);
    __m128 s0123 = _mm_add_ps(_mm256_castps256_ps128(h0123), _mm256_extractf128_ps(h0123, 1));
    __m128 s4567 = _mm_add_ps(_mm256_castps256_ps128(h4567), _mm256_extractf128_ps(h4567, 1));
    return _mm256_set_m128(s4567, s0123);
}

__attribute__((target("avx2")))
static void attend_avx2(
    const float *q, const float *const *kv, int64_t n, int64_t width, int64_t heads, float scale, float *out, float *s) {
    int64_t d = width / heads, full = d / 8 * 8;
    __m256 sv = _mm256_set1_ps(scale);
    for (int64_t h = 0; h < heads; h++) {
        const float *qh = q + h * d;
        int64_t j = 0;
        if (full == d) {
            for (; j + 8 <= n; j += 8) {
                __m256 a[8];
                for (int l = 0; l < 8; l++) a[l] = dotLanes(qh, kv[j + l] + h * d, full);
                _mm256_storeu_ps(s + j, _mm256_mul_ps(sv, laneSums8(a)));
            }
        }
        for (; j < n; j++) {
            const float *k = kv[j] + h * d;
            float lanes[8];
            _mm256_storeu_ps(lanes, dotLanes(qh, k, full));
            float dot = laneSum(lanes);
            for (int64_t i = full; i < d; i++) dot += qh[i] * k[i];
            s[j] = scale * dot;
        }
        // The softmax: Cephes' exp eight at a time (exp1's operations lane by lane).
        float m = s[0];
        for (j = 1; j < n; j++) m = fmaxf(m, s[j]);
        __m256 mv = _mm256_set1_ps(m);
        for (j = 0; j + 8 <= n; j += 8) _mm256_storeu_ps(s + j, exp8(_mm256_sub_ps(_mm256_loadu_ps(s + j), mv)));
        for (; j < n; j++) s[j] = exp1(s[j] - m);
        float sum = 0;
        for (j = 0; j < n; j++) sum += s[j];
        float inv = 1 / sum;
        for (j = 0; j < n; j++) s[j] *= inv;
        float *o = out + h * d;
        for (int64_t i = 0; i < full; i += 8) {
            __m256 acc = _mm256_setzero_ps();
            for (j = 0; j < n; j++)
                acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_set1_ps(s[j]), _mm256_loadu_ps(kv[j] + width + h * d + i)));
            _mm256_storeu_ps(o + i, acc);
        }
        for (int64_t i = full; i < d; i++) {
            float acc = 0;
            for (j = 0; j < n; j++) acc += s[j] * kv[j][width + h * d + i];
            o[i] = acc;
        }
    }
}

static void attend_portable(
    const float *q, const float *const *kv, int64_t n, int64_t width, int64_t heads, float scale, float *out, float *s) {
    int64_t d = width / heads, full = d / 8 * 8;
    for (int64_t h = 0; h < heads; h++) {
        const float *qh = q + h * d;
        for (int64_t j = 0; j < n; j++) {
            const float *k = kv[j] + h * d;
            float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            for (int64_t i = 0; i < full; i += 8)
                for (int l = 0; l < 8; l++) lanes[l] = lanes[l] + qh[i + l] * k[i + l];
            float dot = laneSum(lanes);
            for (int64_t i = full; i < d; i++) dot += qh[i] * k[i];
            s[j] = scale * dot;
        }
        softmaxInPlace(s, n);
        float *o = out + h * d;
        for (int64_t i = 0; i < d; i++) {
            float acc = 0;
            for (int64_t j = 0; j < n; j++) acc = acc + s[j] * kv[j][width + h * d + i];
            o[i] = acc;
        }
    }
}

void clip_causal_attention(
    const float *qkv, int64_t ld, const int32_t *rows, int64_t n, const float *const *kv, const int64_t *offsets, int64_t width,
    int64_t heads, float *out, float *scores) {
    float scale = 1 / sqrtf((float)(width / heads));
    int avx2 = clip_math_avx2();
    for (int64_t r = 0; r < n; r++) {
        int64_t row = rows[r], count = offsets[r + 1] - offsets[r];
        if (count <= 0) continue;
        const float *q = qkv + row * ld;
        if (avx2) attend_avx2(q, kv + offsets[r], count, width, heads, scale, out + row * width, scores);
        else attend_portable(q, kv + offsets[r], count, width, heads, scale, out + row * width, scores);
    }
}
