import CKernels

/// Causal self-attention over chains of earlier tokens, in C (`clip_causal_attention`,
/// AVX2 where the CPU has it; `SoftmaxRows.forcePortable` picks the portable loop, which
/// gives the same bits). A text tower's prompts share prefixes, so a token's keys are not
/// a contiguous block: each query row names its own list of key rows.
public enum CausalAttention {
    /// For each r, query row `rows[r]` of the fused `qkv` (rows `ld` floats apart, q first)
    /// attends to the key rows `keysAndValues[offsets[r] ..< offsets[r + 1]]` (each `width`
    /// key floats, then `width` value floats); its output goes to `out + rows[r] · width`.
    /// `scores` holds as many floats as the longest chain.
    public static func apply(
        qkv: UnsafePointer<Float>, ld: Int, rows: [Int32], keysAndValues: [UnsafePointer<Float>?], offsets: [Int64],
        width: Int, heads: Int, into out: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>
    ) {
        precondition(offsets.count == rows.count + 1 && Int(offsets.last ?? 0) <= keysAndValues.count, "one chain per row")
        precondition(heads > 0 && width % heads == 0, "whole heads")
        clip_causal_attention(
            qkv, Int64(ld), rows, Int64(rows.count), keysAndValues, offsets, Int64(width), Int64(heads), out, scores)
    }
}
