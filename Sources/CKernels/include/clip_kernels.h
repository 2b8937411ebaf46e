#ifndef CLIP_KERNELS_H
#define CLIP_KERNELS_H

#include <stdint.h>

/// Counts the rows whose first largest score is their truth, for scores of the form
///   score[r][c] = (a[row(r)][c] * p[c] + q[c] * b[r][c]) * m[c]
/// where row(r) = rows[r] picks a row of `a` (stride k) and b has one row per r (stride k).
/// The template effects' two figures are of this form: a template left out of the
/// ensemble (p = ‖S‖, q = −1, m = 1/‖S − u‖) and a template alone (p = 0 or 1, q = 1/‖u‖,
/// m = 1). Ties go to the smallest class, as a scalar scan's would. An AVX2 kernel where
/// the CPU has it (chosen once, at run time), a portable one otherwise; both give the
/// same answers, as every product and sum is done in the same order, per class.
int64_t clip_argmax_hits(
    const float *a, const int32_t *rows, const float *b, const float *p, const float *q, const float *m,
    const int32_t *truth, int64_t n, int64_t k);

/// The classes that can be a row's first maximum of any score of the form above whose
/// coefficients lie in per-class bounds: for every template t, p[c]·m_t[c] between low[c]
/// and high[c], and |q_t[c]·b[r][c]|·m_t[c] at most spread[c]. A class whose highest
/// possible score is below some class's lowest (less a margin over float rounding) is
/// left out. Row r's classes, ascending, are indices[offsets[r] ..< offsets[r + 1]]
/// (`indices` has room for n·k); returns offsets[n]. A row with a NaN or an infinity
/// keeps every class.
int64_t clip_argmax_candidates(
    const float *a, const int32_t *rows, int64_t n, int64_t k, const double *low, const double *high,
    const double *spread, int64_t *offsets, int32_t *indices);

/// `clip_argmax_hits` over each row's candidates only (from `clip_argmax_candidates`):
/// the same count, as every class left out scores below a candidate.
int64_t clip_argmax_hits_among(
    const float *a, const int32_t *rows, const float *b, const float *p, const float *q, const float *m,
    const int32_t *truth, const int64_t *offsets, const int32_t *indices, int64_t n, int64_t k);

/// `clip_argmax_hits_among` with each row's classes read from a slab: row r scans
/// `classes[starts[r] ..< starts[r] + held[r]]` (ascending, a superset of its candidates),
/// with a and b at those classes in `slabA` and `slabB` at the same places. The same
/// count: a superset of the candidates holds the first maximum too. `truthAt[r]` is where
/// truth[r] sits among row r's classes (-1: not held, so not its first maximum).
int64_t clip_argmax_hits_slab(
    const float *p, const float *q, const float *m, const int32_t *truth, const int64_t *starts, const int32_t *held,
    const int32_t *classes, const int32_t *truthAt, const float *slabA, const float *slabB, int64_t n);

/// out[r] = Σ_j a[r·dim + j]·b[r·dim + j] for each of `rows` rows: fused multiply-adds
/// eight lanes at a time where the CPU has AVX2 and FMA (and the portable kernels are not
/// forced), a scalar loop otherwise; the two round differently.
void clip_row_dots(const float *a, const float *b, int64_t rows, int64_t dim, float *out);

/// Per row of `cosines` [n, k], under a softmax at `scale`: the first largest class, the
/// log-sum-exp of scale·cosine, the top probability and its lead over the second (what
/// `SetScores` keeps). `scratch` holds k floats. Cephes' exp eight lanes at a time (AVX2
/// where the CPU has it; the same operations lane by lane otherwise), the same bits as
/// the Swift path it replaces.
void clip_softmax_rows(
    const float *cosines, int64_t n, int64_t k, float scale, float *scratch, int64_t *best, float *lse, float *conf,
    float *margin);

/// OpenAI's QuickGELU in place, x · σ(1.702 x) as x / (1 + exp(−1.702 x)): the same
/// operations and bits as `FastMath.quickGELU`'s Swift, eight lanes with AVX2.
void clip_quick_gelu(float *x, int64_t count);

/// One template's leave-one-out coefficients per class (TemplateEffects.compute, which
/// says what they are): from S_c·u_tc (`dots`), ‖u_tc‖², ‖S_c‖, the class's prompt count
/// and the prompts the template gives it (`names`; 0: a class with its own sentences), at
/// template weight `wt`, the score's p, q and m, and the bounds over templates `low`,
/// `high`, `spread` widened to hold them. The AVX2 build and the portable one (as
/// `clip_kernels_force_portable` chooses) give the same bits.
void clip_loo_coefficients(
    int64_t k, const float *dots, const float *norm_squared, const double *s_norm, const int64_t *s_count,
    const int64_t *names, double wt, float *p, float *q, float *m, double *low, double *high, double *spread);

/// Causal self-attention for `n` query rows of a fused q, k, v buffer (`qkv`, rows `ld`
/// floats apart, q first): row rows[r] attends to the key rows kv[offsets[r] ..<
/// offsets[r + 1]], each `width` key floats followed by `width` value floats, and its
/// output (`width` floats, the heads side by side) goes to out + rows[r]·width. Scores at
/// 1/√(width/heads), softmax by Cephes' exp; `scores` holds the longest chain. The AVX2 and
/// portable loops give the same bits.
void clip_causal_attention(
    const float *qkv, int64_t ld, const int32_t *rows, int64_t n, const float *const *kv, const int64_t *offsets, int64_t width,
    int64_t heads, float *out, float *scores);

/// LayerNorm of `rows` rows of `n` floats: (x − mean) / √(var + eps) · γ + β, the mean and
/// variance summed in double (two passes; four double lanes twice over with AVX2, which
/// changes their sums by double rounding only).
void clip_layer_norm(const float *x, int64_t rows, int64_t n, const float *g, const float *b, float eps, float *y);

/// Makes the portable softmax, QuickGELU, attention and LayerNorm loops the ones used
/// (on = 1) or the CPU's choice again (0).
void clip_softmax_force_portable(int on);

/// 1 when the AVX2 kernel is the one used (for the benchmark's report).
int clip_kernels_avx2(void);

/// The OpenBLAS kernels (an `OPENBLAS_CORETYPE` name) this CPU's instruction sets can run,
/// the fastest first: "Cooperlake" (AVX-512 with BF16), "SkylakeX" (AVX-512 F, BW, VL,
/// DQ, CD), "Haswell" (AVX2 and FMA); NULL for none of them. From the instruction sets,
/// not the model number, which an older OpenBLAS may not know.
const char *clip_cpu_blas_core(void);

/// Makes the portable kernel the one used (on = 1) or the CPU's choice again (on = 0): the
/// tests check both kernels on one machine.
void clip_kernels_force_portable(int on);

/// Little-endian IEEE halves (unaligned) to floats, exactly: F16C where the CPU has it
/// (checkpoints in float16 load 8 values per instruction), a bit-exact loop otherwise.
void clip_halves_to_floats(const void *src, float *dst, int64_t n);

/// Makes the portable conversion the one used (on = 1) or the CPU's choice again (on = 0).
void clip_halves_force_portable(int on);

#endif
