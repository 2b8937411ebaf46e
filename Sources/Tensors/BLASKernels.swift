import CBLAS
import CKernels

/// Which of OpenBLAS's kernels run, and which this CPU could run.
///
/// OpenBLAS picks its kernels once, when it loads, from the CPU's model number, and a model
/// newer than the library gets its oldest x86-64 kernels: Debian 12's OpenBLAS 0.3.21 on an
/// Emerald Rapids Xeon (family 6, model 207) runs "Prescott" (SSE3) kernels at 22 GFLOP/s
/// (sgemm, one thread), where its Cooper Lake kernels reach 137 on the same core and a
/// ViT-B/32 image takes 72 ms instead of 318. The instruction sets say what runs; the
/// command line starts itself again with `OPENBLAS_CORETYPE` set when that is better.
public enum BLASKernels {
    /// The kernels OpenBLAS loaded (`openblas_get_corename`).
    public static var loaded: String { String(cString: openblas_get_corename()) }

    /// The best kernels the CPU's instruction sets allow (`clip_cpu_blas_core`), nil for
    /// none of OpenBLAS's AVX2 or AVX-512 ones.
    public static var forThisCPU: String? { clip_cpu_blas_core().map { String(cString: $0) } }

    /// OpenBLAS's names for what it falls back to on an x86-64 CPU it does not know: older
    /// than any of `forThisCPU`'s answers.
    static let fallbacks: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "unknown"]

    /// The kernels to ask for instead of `loaded`, if any: only when OpenBLAS fell back to
    /// old ones and the CPU runs better (a CPU it knows keeps its own choice).
    public static func replacement(loaded: String, forThisCPU: String?) -> String? {
        guard let better = forThisCPU, fallbacks.contains(loaded.lowercased()) else { return nil }
        return better
    }
}
