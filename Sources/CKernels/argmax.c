#include "clip_kernels.h"
#include "cpu.h"

#include <float.h>
#include <math.h>
#include <immintrin.h>

// The score of class c, written once so that both kernels compute it with the same
// operations in the same order (no contraction into a fused multiply-add: see the
// pragma), so that their answers agree to the bit.
#pragma STDC FP_CONTRACT OFF
static inline float score(const float *ar, const float *br, const float *p, const float *q, const float *m, int64_t c) {
    float x = ar[c] * p[c];
    float y = q[c] * br[c];
    return (x + y) * m[c];
}

static int64_t argmax_portable(const float *ar, const float *br, const float *p, const float *q, const float *m, int64_t k) {
    int64_t at = 0;
    float best = -FLT_MAX;
    int found = 0;
    for (int64_t c = 0; c < k; c++) {
        float v = score(ar, br, p, q, m, c);
        if (!found || v > best) { best = v; at = c; found = 1; }
    }
    return at;
}

__attribute__((target("avx2")))
static int64_t argmax_avx2(const float *ar, const float *br, const float *p, const float *q, const float *m, int64_t k) {
    __m256 bestValue = _mm256_set1_ps(-FLT_MAX);
    __m256i bestIndex = _mm256_set1_epi32(-1);
    __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i eight = _mm256_set1_epi32(8);
    int64_t c = 0;
    for (; c + 8 <= k; c += 8) {
        __m256 x = _mm256_mul_ps(_mm256_loadu_ps(ar + c), _mm256_loadu_ps(p + c));
        __m256 y = _mm256_mul_ps(_mm256_loadu_ps(q + c), _mm256_loadu_ps(br + c));
        __m256 v = _mm256_mul_ps(_mm256_add_ps(x, y), _mm256_loadu_ps(m + c));
        // Strictly greater: each lane keeps its first maximum.
        __m256 better = _mm256_cmp_ps(v, bestValue, _CMP_GT_OQ);
        bestValue = _mm256_blendv_ps(bestValue, v, better);
        bestIndex = _mm256_castps_si256(
            _mm256_blendv_ps(_mm256_castsi256_ps(bestIndex), _mm256_castsi256_ps(index), better));
        index = _mm256_add_epi32(index, eight);
    }
    float values[8];
    int32_t indices[8];
    _mm256_storeu_ps(values, bestValue);
    _mm256_storeu_si256((__m256i *)indices, bestIndex);
    // The lanes' maximum with the smallest class: what a scalar scan finds.
    int64_t at = 0;
    float best = -FLT_MAX;
    int found = 0;
    for (int l = 0; l < 8; l++) {
        if (indices[l] < 0) continue;
        if (!found || values[l] > best || (values[l] == best && indices[l] < at)) {
            best = values[l]; at = indices[l]; found = 1;
        }
    }
    for (; c < k; c++) {
        float v = score(ar, br, p, q, m, c);
        if (!found || v > best) { best = v; at = c; found = 1; }
    }
    return at;
}

static int forcePortable = 0;

void clip_kernels_force_portable(int on) { forcePortable = on; }

int clip_cpu_avx2(void) {
    static int chosen = -1;
    if (chosen < 0) {
        __builtin_cpu_init();
        chosen = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return chosen;
}

int clip_cpu_fma(void) {
    static int chosen = -1;
    if (chosen < 0) {
        __builtin_cpu_init();
        chosen = __builtin_cpu_supports("fma") ? 1 : 0;
    }
    return chosen;
}

int clip_kernels_avx2(void) { return clip_cpu_avx2() && !forcePortable; }

const char *clip_cpu_blas_core(void) {
    __builtin_cpu_init();
    int skylakeX = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd");
    if (skylakeX && __builtin_cpu_supports("avx512bf16")) return "Cooperlake";
    if (skylakeX) return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    return 0;
}

int64_t clip_argmax_hits(
    const float *a, const int32_t *rows, const float *b, const float *p, const float *q, const float *m,
    const int32_t *truth, int64_t n, int64_t k) {
    int64_t hits = 0;
    int avx2 = clip_kernels_avx2();
    for (int64_t r = 0; r < n; r++) {
        const float *ar = a + (int64_t)rows[r] * k, *br = b + r * k;
        int64_t at = avx2 ? argmax_avx2(ar, br, p, q, m, k) : argmax_portable(ar, br, p, q, m, k);
        if (at == truth[r]) hits++;
    }
    return hits;
}

// Bounds are compared in double; a computed float score may differ from the exact one by a
// few units in its last place of the terms' magnitude (≤ 2e-7 of it): the margin below is
// fifty times that, so a class left out can never be a row's computed first maximum.
static const double candidateMargin = 1e-5;

// Class c's part of a row's first pass: its lowest possible score raises the floor, its
// largest magnitude the scale of the margin; a NaN or an infinity clears `finite`. The
// AVX2 form does the same lane by lane, with the same selections (a NaN compares false in
// both), so the two keep the same classes.
static inline void bound_class(
    double g, double low, double high, double spread, double *floor, double *magnitude, int *finite) {
    double x = g * low, y = g * high;
    double lo = (x < y ? x : y) - spread;
    double size = (fabs(x) > fabs(y) ? fabs(x) : fabs(y)) + spread;
    if (!(lo == lo) || !(size == size) || isinf(size)) *finite = 0;
    if (lo > *floor) *floor = lo;
    if (size > *magnitude) *magnitude = size;
}

// Whether class c's highest possible score reaches the cut.
static inline int reaches(double g, double low, double high, double spread, double cut) {
    double x = g * low, y = g * high;
    return (x > y ? x : y) + spread >= cut;
}

// One row's candidates (see the header), appended at indices[total...]; returns the new
// total. A row with a NaN or an infinity keeps every class, and the scan decides as the
// full one would.
static int64_t candidates_portable(
    const float *ar, int64_t k, const double *low, const double *high, const double *spread, int32_t *indices,
    int64_t total) {
    double floor = -DBL_MAX, magnitude = 0;
    int finite = 1;
    for (int64_t c = 0; c < k; c++) bound_class(ar[c], low[c], high[c], spread[c], &floor, &magnitude, &finite);
    double cut = floor - candidateMargin * magnitude;
    for (int64_t c = 0; c < k; c++)
        if (!finite || reaches(ar[c], low[c], high[c], spread[c], cut)) indices[total++] = (int32_t)c;
    return total;
}

// Four classes at a time in double: 1,000 rows × 1,000 classes took 3.3 ms in the scalar
// form, at every keystroke.
__attribute__((target("avx2")))
static int64_t candidates_avx2(
    const float *ar, int64_t k, const double *low, const double *high, const double *spread, int32_t *indices,
    int64_t total) {
    const __m256d sign = _mm256_set1_pd(-0.0), inf = _mm256_set1_pd(INFINITY);
    __m256d floorv = _mm256_set1_pd(-DBL_MAX), magv = _mm256_setzero_pd(), bad = _mm256_setzero_pd();
    int64_t c = 0;
    for (; c + 4 <= k; c += 4) {
        __m256d g = _mm256_cvtps_pd(_mm_loadu_ps(ar + c));
        __m256d x = _mm256_mul_pd(g, _mm256_loadu_pd(low + c)), y = _mm256_mul_pd(g, _mm256_loadu_pd(high + c));
        __m256d s = _mm256_loadu_pd(spread + c);
        // min_pd(a, b) and max_pd(a, b) are "a < b ? a : b" and "a > b ? a : b", the scalar
        // selections exactly (b when either is NaN), in one instruction each.
        __m256d lo = _mm256_sub_pd(_mm256_min_pd(x, y), s);
        __m256d ax = _mm256_andnot_pd(sign, x), ay = _mm256_andnot_pd(sign, y);
        __m256d size = _mm256_add_pd(_mm256_max_pd(ax, ay), s);
        bad = _mm256_or_pd(bad, _mm256_cmp_pd(lo, lo, _CMP_UNORD_Q));
        bad = _mm256_or_pd(bad, _mm256_cmp_pd(size, size, _CMP_UNORD_Q));
        bad = _mm256_or_pd(bad, _mm256_cmp_pd(_mm256_andnot_pd(sign, size), inf, _CMP_EQ_OQ));
        floorv = _mm256_max_pd(lo, floorv);
        magv = _mm256_max_pd(size, magv);
    }
    double lanesFloor[4], lanesMag[4];
    _mm256_storeu_pd(lanesFloor, floorv);
    _mm256_storeu_pd(lanesMag, magv);
    double floor = -DBL_MAX, magnitude = 0;
    int finite = _mm256_movemask_pd(bad) == 0;
    for (int l = 0; l < 4; l++) {
        if (lanesFloor[l] > floor) floor = lanesFloor[l];
        if (lanesMag[l] > magnitude) magnitude = lanesMag[l];
    }
    for (; c < k; c++) bound_class(ar[c], low[c], high[c], spread[c], &floor, &magnitude, &finite);
    if (!finite) {
        for (int64_t j = 0; j < k; j++) indices[total++] = (int32_t)j;
        return total;
    }
    double cut = floor - candidateMargin * magnitude;
    __m256d cutv = _mm256_set1_pd(cut);
    for (c = 0; c + 4 <= k; c += 4) {
        __m256d g = _mm256_cvtps_pd(_mm_loadu_ps(ar + c));
        __m256d x = _mm256_mul_pd(g, _mm256_loadu_pd(low + c)), y = _mm256_mul_pd(g, _mm256_loadu_pd(high + c));
        __m256d hi = _mm256_add_pd(_mm256_max_pd(x, y), _mm256_loadu_pd(spread + c));
        int keep = _mm256_movemask_pd(_mm256_cmp_pd(hi, cutv, _CMP_GE_OQ));
        while (keep) {
            int l = __builtin_ctz(keep);
            indices[total++] = (int32_t)(c + l);
            keep &= keep - 1;
        }
    }
    for (; c < k; c++)
        if (reaches(ar[c], low[c], high[c], spread[c], cut)) indices[total++] = (int32_t)c;
    return total;
}

int64_t clip_argmax_candidates(
    const float *a, const int32_t *rows, int64_t n, int64_t k, const double *low, const double *high,
    const double *spread, int64_t *offsets, int32_t *indices) {
    int64_t total = 0;
    int avx2 = clip_kernels_avx2();
    for (int64_t r = 0; r < n; r++) {
        const float *ar = a + (int64_t)rows[r] * k;
        offsets[r] = total;
        total = avx2 ? candidates_avx2(ar, k, low, high, spread, indices, total)
                     : candidates_portable(ar, k, low, high, spread, indices, total);
    }
    offsets[n] = total;
    return total;
}

// Row r's first maximum among the classes indices[lo..<hi] (ascending), or -1 for none:
// strictly greater keeps the first, as the full scan does.
static int64_t first_max_among(
    const float *ar, const float *br, const float *p, const float *q, const float *m, const int32_t *indices, int64_t lo,
    int64_t hi) {
    int64_t at = -1;
    float best = -FLT_MAX;
    for (int64_t i = lo; i < hi; i++) {
        int64_t c = indices[i];
        float v = score(ar, br, p, q, m, c);
        if (at < 0 || v > best) { best = v; at = c; }
    }
    return at;
}

int64_t clip_argmax_hits_among(
    const float *a, const int32_t *rows, const float *b, const float *p, const float *q, const float *m,
    const int32_t *truth, const int64_t *offsets, const int32_t *indices, int64_t n, int64_t k) {
    int64_t hits = 0;
    for (int64_t r = 0; r < n; r++) {
        const float *ar = a + (int64_t)rows[r] * k, *br = b + r * k;
        // The next row's entries, asked for now: each is a cache miss in a product of
        // 4 MB, and the loads of a row are few and scattered.
        if (r + 1 < n) {
            const float *next = b + (r + 1) * k;
            for (int64_t i = offsets[r + 1]; i < offsets[r + 2]; i++) __builtin_prefetch(next + indices[i]);
        }
        if (first_max_among(ar, br, p, q, m, indices, offsets[r], offsets[r + 1]) == truth[r]) hits++;
    }
    return hits;
}

// Row r's first maximum over its slab entries, as the full scan takes it.
static int64_t slab_first_max(
    const float *p, const float *q, const float *m, const int32_t *cr, const float *ar, const float *br, int64_t count) {
    int64_t at = -1;
    float best = -FLT_MAX;
    for (int64_t j = 0; j < count; j++) {
        int64_t c = cr[j];
        float x = ar[j] * p[c];
        float y = q[c] * br[j];
        float v = (x + y) * m[c];
        if (at < 0 || v > best) { best = v; at = c; }
    }
    return at;
}

int64_t clip_argmax_hits_slab(
    const float *p, const float *q, const float *m, const int32_t *truth, const int64_t *starts, const int32_t *held,
    const int32_t *classes, const int32_t *truthAt, const float *slabA, const float *slabB, int64_t n) {
    int64_t hits = 0;
    for (int64_t r = 0; r < n; r++) {
        // The row's classes and both factors side by side: nothing is read outside the slab
        // but p, q and m (a few KB, in cache). Entry j of the row is class cr[j]'s, so
        // score()'s operations read the factors at j and the coefficients at cr[j].
        const int32_t *cr = classes + starts[r];
        const float *ar = slabA + starts[r], *br = slabB + starts[r];
        // Only whether the truth is the first maximum counts: a row that does not hold it
        // cannot have it first, and the scan stops at the first class that beats it (one
        // before it at least equal, one after it larger). A NaN anywhere takes the full
        // scan, whose rule for it is its own.
        int64_t jt = truthAt[r];
        if (jt < 0) continue;
        int64_t ct = cr[jt];
        float xt = ar[jt] * p[ct];
        float yt = q[ct] * br[jt];
        float vt = (xt + yt) * m[ct];
        int win = vt == vt, nan = vt != vt;
        for (int64_t j = 0; j < held[r] && win; j++) {
            if (j == jt) continue;
            int64_t c = cr[j];
            float x = ar[j] * p[c];
            float y = q[c] * br[j];
            float v = (x + y) * m[c];
            if (v != v) { nan = 1; break; }
            if (j < jt ? v >= vt : v > vt) win = 0;
        }
        if (nan) win = slab_first_max(p, q, m, cr, ar, br, held[r]) == truth[r];
        if (win) hits++;
    }
    return hits;
}
