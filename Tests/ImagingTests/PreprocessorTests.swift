import Crypto
import Foundation
import Imaging
import XCTest

final class PreprocessorTests: XCTestCase {
    func fixture(_ path: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/\(path)", withExtension: nil), path)
    }

    struct ResampleCases: Decodable {
        struct Case: Decodable {
            let source: String
            let width: Int
            let height: Int
            /// PIL's filter: "bicubic" unless said.
            let filter: String?
            let rgb8_sha256: String
        }
        let cases: [Case]
    }

    /// Whole resizes, up and down, extreme ratios, against Pillow's bytes; both pass orders
    /// (the vertical pass first when the height drops by more than twice the width).
    func testBicubicResizeMatchesPillow() throws {
        let data = try Data(contentsOf: fixture("resample/expected.json"))
        let cases = try JSONDecoder().decode(ResampleCases.self, from: data).cases
        XCTAssertEqual(cases.count, 20)
        for c in cases {
            let image = try ImageDecoder.decode(path: try fixture("resample/\(c.source)").path)
            let out = PILResampler.resize(
                image, width: c.width, height: c.height,
                crop: (left: 0, top: 0, width: c.width, height: c.height), filter: c.filter == "bilinear" ? .bilinear : .bicubic)
            let hash = SHA256.hash(data: out.pixels).map { String(format: "%02x", $0) }.joined()
            XCTAssertEqual(hash, c.rgb8_sha256, "\(c.source) → \(c.width)×\(c.height) \(c.filter ?? "bicubic")")
        }
    }

    /// A crop window computes the same pixels as resizing everything and cropping.
    func testCropWindowEqualsCroppedResize() throws {
        let image = try ImageDecoder.decode(path: try fixture("resample/noise-37x53.png").path)
        let full = PILResampler.resize(image, width: 100, height: 143, crop: (0, 0, 100, 143))
        let window = PILResampler.resize(image, width: 100, height: 143, crop: (left: 13, top: 40, width: 50, height: 61))
        for y in 0..<61 {
            for x in 0..<50 {
                for c in 0..<3 {
                    XCTAssertEqual(window.pixels[(y * 50 + x) * 3 + c], full.pixels[((y + 40) * 100 + x + 13) * 3 + c])
                }
            }
        }
    }

    /// Short side to the size, long side int(size·long/short), centre offset rounded half to even.
    func testCropGeometry() {
        let p = Preprocessor(size: 4)
        // 6 × 3 → resize to 8 × 4; margin 4 → left 2.
        // 5 × 4 → resize to 5 × 4; margin 1 → 0.5 rounds to 0 (half to even).
        // 7 × 4 → 7 × 4; margin 3 → 1.5 rounds to 2.
        for (w, h, expectedLeft) in [(6, 3, 2), (5, 4, 0), (7, 4, 2)] {
            var pixels = [UInt8](repeating: 0, count: w * h * 3)
            for x in 0..<w { for y in 0..<h { pixels[(y * w + x) * 3] = UInt8(x * 30) } }
            let image = RGBImage(width: w, height: h, pixels: pixels)
            let crop = p.crop(image)
            XCTAssertEqual(crop.width, 4); XCTAssertEqual(crop.height, 4)
            if h == 4 {  // no resize: the crop is a plain window, so the column values tell the offset
                XCTAssertEqual(crop.pixels[0], UInt8(expectedLeft * 30), "\(w)×\(h)")
            }
        }
    }

    func testNormalisationUsesCLIPMeanAndStd() {
        let p = Preprocessor(size: 1)
        let values = p.normalize(RGBImage(width: 1, height: 1, pixels: [255, 0, 128]))
        XCTAssertEqual(values[0], (1 - 0.48145466) / 0.26862954, accuracy: 1e-6)
        XCTAssertEqual(values[1], (0 - 0.4578275) / 0.26130258, accuracy: 1e-6)
        XCTAssertEqual(values[2], (128 / 255 - 0.40821073) / 0.27577711, accuracy: 1e-6)
    }

    func testPreprocessorConfigIsRead() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pp-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(#"{"size": {"shortest_edge": 336}, "crop_size": 336, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.25, 0.25], "resample": 3}"#.utf8)
            .write(to: dir)
        let p = try Preprocessor(configPath: dir.path, imageSize: 224)
        XCTAssertEqual(p.shortestEdge, 336); XCTAssertEqual(p.cropSize, 336); XCTAssertEqual(p.mean, [0.5, 0.5, 0.5])
        XCTAssertEqual(p.filter, .bicubic)
        try Data(#"{"resample": 2}"#.utf8).write(to: dir)
        XCTAssertEqual(try Preprocessor(configPath: dir.path, imageSize: 224).filter, .bilinear)
        try Data(#"{"resample": 1}"#.utf8).write(to: dir)
        XCTAssertThrowsError(try Preprocessor(configPath: dir.path, imageSize: 224)) {
            XCTAssertTrue("\($0)".contains("resample 1 is neither bicubic (3) nor bilinear (2)"), "\($0)")
        }
        try Data(#"{"image_std": [1, 2]}"#.utf8).write(to: dir)
        XCTAssertThrowsError(try Preprocessor(configPath: dir.path, imageSize: 224)) {
            XCTAssertTrue("\($0)".contains("'image_std' must be three numbers"), "\($0)")
        }
    }
}
