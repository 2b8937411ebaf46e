#include "clip_kernels.h"
#include "cpu.h"

#include <immintrin.h>
#include <math.h>

// TemplateEffects' per-class loop, in C: its Swift form (array checks around a dozen
// float64 operations and two square roots per class) took 1.3 ms of a key at 87 templates
// × 1,000 classes. Every operation is the Swift one, in the same order and without fused
// multiply-adds (see the pragma): square roots and divisions round exactly, so the AVX2
// form below, four classes per step, gives the same bits as the portable loop.
#pragma STDC FP_CONTRACT OFF

// Swift's min and max: the second operand when it compares below (above), else the first.
static inline double min_swift(double x, double y) { return y < x ? y : x; }
static inline double max_swift(double x, double y) { return y > x ? y : x; }

static inline void coefficients_body(
    int64_t k, const float *dots, const float *norm_squared, const double *s_norm, const int64_t *s_count,
    const int64_t *names, double wt, float *p, float *q, float *m, double *low, double *high, double *spread) {
    for (int64_t c = 0; c < k; c++) {
        if (names[c] <= 0) {
            // A class with its own sentences keeps its cosine.
            p[c] = 1; q[c] = 0; m[c] = 1;
            low[c] = min_swift(low[c], 1); high[c] = max_swift(high[c], 1);
            continue;
        }
        double su = (double)dots[c], uu = (double)norm_squared[c], s = s_norm[c];
        int64_t left = s_count[c] - names[c];
        double v2 = s * s - 2 * wt * su + wt * wt * uu;
        float sc = 0, w = 0;
        if (left > 0 && v2 > 1e-12 * s * s) {
            sc = (float)(1 / sqrt(v2));
            w = (float)s;
        }
        float o = (float)wt;
        p[c] = w; q[c] = -o; m[c] = sc;
        double lambda = s > 0 ? su / s : 0;
        double md = (double)sc, along = (double)w * md - (double)o * lambda * md;
        // ‖u⊥‖ with room for float32 round-off: in ‖u‖² (a hundredth of ‖u‖ at least), in λ
        // and the cosine, and in the product D (a thousandth of ‖u‖).
        double across = sqrt(max_swift(0, uu - lambda * lambda) + 1e-4 * uu) + 1e-3 * sqrt(uu);
        low[c] = min_swift(low[c], along); high[c] = max_swift(high[c], along);
        spread[c] = max_swift(spread[c], fabs((double)o) * md * across);
    }
}

// Four classes at a time: every lane computes what the loop above does, and the lanes
// whose class the loop would not have computed (a sentence class, a class left without
// prompts) take the loop's values by a select. Lanes may divide by zero or take the root
// of a negative number on the way; their results are never chosen.
__attribute__((target("avx2")))
static void coefficients_avx2(
    int64_t k, const float *dots, const float *norm_squared, const double *s_norm, const int64_t *s_count,
    const int64_t *names, double wt, float *p, float *q, float *m, double *low, double *high, double *spread) {
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1), two_wt = _mm256_set1_pd(2 * wt),
                  wt_wt = _mm256_set1_pd(wt * wt), tiny = _mm256_set1_pd(1e-12), room2 = _mm256_set1_pd(1e-4),
                  room = _mm256_set1_pd(1e-3);
    const float of = (float)wt;
    const __m256d od = _mm256_set1_pd((double)of), od_abs = _mm256_set1_pd(fabs((double)of));
    const __m256i none = _mm256_setzero_si256();
    int64_t c = 0;
    for (; c + 4 <= k; c += 4) {
        __m256i given = _mm256_loadu_si256((const __m256i *)(names + c));
        __m256i left = _mm256_sub_epi64(_mm256_loadu_si256((const __m256i *)(s_count + c)), given);
        __m256d templated = _mm256_castsi256_pd(_mm256_cmpgt_epi64(given, none));
        __m256d su = _mm256_cvtps_pd(_mm_loadu_ps(dots + c)), uu = _mm256_cvtps_pd(_mm_loadu_ps(norm_squared + c));
        __m256d sn = _mm256_loadu_pd(s_norm + c);
        __m256d v2 = _mm256_add_pd(_mm256_sub_pd(_mm256_mul_pd(sn, sn), _mm256_mul_pd(two_wt, su)), _mm256_mul_pd(wt_wt, uu));
        __m256d ok = _mm256_and_pd(
            _mm256_castsi256_pd(_mm256_cmpgt_epi64(left, none)),
            _mm256_cmp_pd(v2, _mm256_mul_pd(_mm256_mul_pd(tiny, sn), sn), _CMP_GT_OQ));
        // The float32 coefficients, and their float64 values as the loop reads them back.
        __m128 scf = _mm256_cvtpd_ps(_mm256_and_pd(ok, _mm256_div_pd(one, _mm256_sqrt_pd(v2))));
        __m128 wf = _mm256_cvtpd_ps(_mm256_and_pd(ok, sn));
        __m256d md = _mm256_cvtps_pd(scf), wd = _mm256_cvtps_pd(wf);
        __m256d lambda = _mm256_and_pd(_mm256_cmp_pd(sn, zero, _CMP_GT_OQ), _mm256_div_pd(su, sn));
        __m256d along = _mm256_sub_pd(_mm256_mul_pd(wd, md), _mm256_mul_pd(_mm256_mul_pd(od, lambda), md));
        __m256d perpendicular = _mm256_sub_pd(uu, _mm256_mul_pd(lambda, lambda));
        perpendicular = _mm256_and_pd(_mm256_cmp_pd(perpendicular, zero, _CMP_GT_OQ), perpendicular);  // max_swift(0, ·)
        __m256d across = _mm256_add_pd(
            _mm256_sqrt_pd(_mm256_add_pd(perpendicular, _mm256_mul_pd(room2, uu))), _mm256_mul_pd(room, _mm256_sqrt_pd(uu)));
        __m256d width = _mm256_mul_pd(_mm256_mul_pd(od_abs, md), across);
        // A sentence class: p = 1, q = 0, m = 1, its bounds widened to 1, its spread kept.
        along = _mm256_blendv_pd(one, along, templated);
        __m256d lo = _mm256_loadu_pd(low + c), hi = _mm256_loadu_pd(high + c), sp = _mm256_loadu_pd(spread + c);
        lo = _mm256_blendv_pd(lo, along, _mm256_cmp_pd(along, lo, _CMP_LT_OQ));
        hi = _mm256_blendv_pd(hi, along, _mm256_cmp_pd(along, hi, _CMP_GT_OQ));
        __m256d wider = _mm256_and_pd(templated, _mm256_cmp_pd(width, sp, _CMP_GT_OQ));
        sp = _mm256_blendv_pd(sp, width, wider);
        _mm256_storeu_pd(low + c, lo);
        _mm256_storeu_pd(high + c, hi);
        _mm256_storeu_pd(spread + c, sp);
        // The lanes' mask as four floats: 1 where templated, compared with 1.
        __m128 ones = _mm_set1_ps(1);
        __m128 mask = _mm_cmpeq_ps(_mm256_cvtpd_ps(_mm256_and_pd(templated, one)), ones);
        _mm_storeu_ps(p + c, _mm_blendv_ps(ones, wf, mask));
        _mm_storeu_ps(q + c, _mm_blendv_ps(_mm_setzero_ps(), _mm_set1_ps(-of), mask));
        _mm_storeu_ps(m + c, _mm_blendv_ps(ones, scf, mask));
    }
    coefficients_body(k - c, dots + c, norm_squared + c, s_norm + c, s_count + c, names + c, wt, p + c, q + c, m + c, low + c,
                      high + c, spread + c);
}

static void coefficients_portable(
    int64_t k, const float *dots, const float *norm_squared, const double *s_norm, const int64_t *s_count,
    const int64_t *names, double wt, float *p, float *q, float *m, double *low, double *high, double *spread) {
    coefficients_body(k, dots, norm_squared, s_norm, s_count, names, wt, p, q, m, low, high, spread);
}

void clip_loo_coefficients(
    int64_t k, const float *dots, const float *norm_squared, const double *s_norm, const int64_t *s_count,
    const int64_t *names, double wt, float *p, float *q, float *m, double *low, double *high, double *spread) {
    if (clip_kernels_avx2())
        coefficients_avx2(k, dots, norm_squared, s_norm, s_count, names, wt, p, q, m, low, high, spread);
    else
        coefficients_portable(k, dots, norm_squared, s_norm, s_count, names, wt, p, q, m, low, high, spread);
}
