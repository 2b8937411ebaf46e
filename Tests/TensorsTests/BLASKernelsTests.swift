import XCTest

@testable import Tensors

/// The kernels asked for instead of OpenBLAS's own choice: only when it fell back to old
/// ones for a CPU it does not know, and the CPU runs better.
final class BLASKernelsTests: XCTestCase {
    func testOnlyAFallbackIsReplaced() {
        XCTAssertEqual(BLASKernels.replacement(loaded: "Prescott", forThisCPU: "Cooperlake"), "Cooperlake")
        XCTAssertEqual(BLASKernels.replacement(loaded: "Core2", forThisCPU: "Haswell"), "Haswell")
        XCTAssertEqual(BLASKernels.replacement(loaded: "Nehalem", forThisCPU: "SkylakeX"), "SkylakeX")
        // A CPU OpenBLAS knows keeps its choice (Zen 4's Cooper Lake kernels, Zen's own).
        XCTAssertNil(BLASKernels.replacement(loaded: "Cooperlake", forThisCPU: "Cooperlake"))
        XCTAssertNil(BLASKernels.replacement(loaded: "Zen", forThisCPU: "Haswell"))
        XCTAssertNil(BLASKernels.replacement(loaded: "Haswell", forThisCPU: "SkylakeX"))
        // Nothing better to ask for.
        XCTAssertNil(BLASKernels.replacement(loaded: "Prescott", forThisCPU: nil))
    }

    /// The CPU's answer agrees with the AVX2 check the project's own kernels choose by.
    func testThisCPUsKernelsFollowItsInstructionSets() {
        let core = BLASKernels.forThisCPU
        if ArgmaxHits.usesAVX2 { XCTAssertTrue(["Cooperlake", "SkylakeX", "Haswell"].contains(core ?? "")) }
        XCTAssertFalse(BLASKernels.loaded.isEmpty)
    }
}
