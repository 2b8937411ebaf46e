import CKernels
import XCTest

@testable import SafeTensors

/// Float16 checkpoints load through `clip_halves_to_floats`: F16C where the CPU has it, a
/// bit-exact loop otherwise. Both must give every half's exact value.
final class HalfConversionTests: XCTestCase {
    /// All 65,536 halves, at an odd byte offset (safetensors data need not be aligned).
    private func convertAll() -> [Float] {
        var bytes = [UInt8](repeating: 0, count: 1 + 2 * 65_536)
        for h in 0..<65_536 {
            bytes[1 + 2 * h] = UInt8(h & 0xff)
            bytes[2 + 2 * h] = UInt8(h >> 8)
        }
        var out = [Float](repeating: 0, count: 65_536)
        bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { DType.f16.convert(raw.baseAddress! + 1, count: 65_536, into: $0.baseAddress!) }
        }
        return out
    }

    private func assertExact(_ out: [Float], _ path: String) {
        var nans = 0
        for h in 0..<65_536 {
            let expected = Float(Float16(bitPattern: UInt16(h)))
            if expected.isNaN {
                XCTAssertTrue(out[h].isNaN, "\(path): half 0x\(String(h, radix: 16)) is a NaN, got \(out[h])")
                nans += 1
            } else {
                XCTAssertEqual(out[h].bitPattern, expected.bitPattern, "\(path): half 0x\(String(h, radix: 16))")
            }
        }
        XCTAssertEqual(nans, 2 * 1023, "every NaN pattern was met")
    }

    func testEveryHalfConvertsExactly() {
        assertExact(convertAll(), "the CPU's path")
        clip_halves_force_portable(1)
        defer { clip_halves_force_portable(0) }
        assertExact(convertAll(), "the portable path")
    }

    func testSpotValues() {
        clip_halves_force_portable(1)
        defer { clip_halves_force_portable(0) }
        let cases: [(UInt16, Float)] = [(0x3c00, 1), (0xc000, -2), (0x0001, 5.960464477539063e-08), (0x7bff, 65504), (0x7c00, .infinity), (0x8000, -0.0)]
        for (h, v) in cases {
            var f: Float = .nan
            withUnsafeBytes(of: h.littleEndian) { raw in clip_halves_to_floats(raw.baseAddress!, &f, 1) }
            XCTAssertEqual(f.bitPattern, v.bitPattern, "half 0x\(String(h, radix: 16))")
        }
    }
}
