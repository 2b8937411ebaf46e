import Crypto
import Foundation
import Imaging
import XCTest

/// The decoders against what PIL's `convert("RGB")` gives, file by file (PngSuite, JPEGs).
final class DecoderConformanceTests: XCTestCase {
    struct Expectation: Decodable {
        let width: Int?
        let height: Int?
        let rgb8_sha256: String?
        let error: String?
        let note: String?
    }

    func fixture(_ path: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/\(path)", withExtension: nil), path)
    }

    func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    func expectations(_ path: String) throws -> [String: Expectation] {
        try JSONDecoder().decode([String: Expectation].self, from: Data(contentsOf: fixture(path)))
    }

    func testPngSuiteMatchesPIL() throws {
        let expected = try expectations("pngsuite/expected-pil-rgb.json")
        XCTAssertEqual(expected.count, 175)
        var decoded = 0, refused = 0
        for (name, e) in expected.sorted(by: { $0.key < $1.key }) {
            let path = try fixture("pngsuite/\(name)").path
            // Files PIL refuses, and the one with a wrong IDAT checksum, must be refused.
            if e.error != nil || e.note != nil {
                XCTAssertThrowsError(try ImageDecoder.decode(path: path), name) { error in
                    XCTAssertTrue("\(error)".contains(name), "error names the file: \(error)")
                }
                refused += 1
                continue
            }
            let image = try ImageDecoder.decode(path: path)
            XCTAssertEqual(image.width, e.width, name)
            XCTAssertEqual(image.height, e.height, name)
            XCTAssertEqual(sha256(image.pixels), e.rgb8_sha256, name)
            decoded += 1
        }
        XCTAssertEqual(refused, 14)  // the 14 corrupt files (x*), the wrong IDAT checksum among them
        XCTAssertEqual(decoded, 161)
    }

    func testJPEGsMatchPIL() throws {
        let expected = try expectations("jpeg/expected-pil-rgb.json")
        XCTAssertEqual(expected.count, 3)  // 4:4:4, progressive, CMYK
        for (name, e) in expected {
            let image = try ImageDecoder.decode(path: try fixture("jpeg/\(name)").path)
            XCTAssertEqual(image.width, e.width, name)
            XCTAssertEqual(image.height, e.height, name)
            XCTAssertEqual(sha256(image.pixels), e.rgb8_sha256, name)
        }
    }

    /// Every file of `formats/` (CMYK and YCCK JPEG, 4:2:2 and EXIF-rotated JPEG, LA PNG,
    /// WebP lossy, lossless, with alpha and animated, GIF, BMP, PPM/PGM/PBM) against
    /// Pillow's pixels, bit for bit (`scripts/make_format_fixtures.py` made them).
    func testOtherFormatsMatchPIL() throws {
        let expected = try expectations("formats/expected-pil-rgb.json").filter { !$0.key.hasPrefix("_") }
        XCTAssertGreaterThanOrEqual(expected.count, 33)
        for (name, e) in expected.sorted(by: { $0.key < $1.key }) {
            let path = try fixture("formats/\(name)").path
            if e.error != nil {
                XCTAssertThrowsError(try ImageDecoder.decode(path: path), name)
                continue
            }
            let image: RGBImage
            do { image = try ImageDecoder.decode(path: path) } catch {
                XCTFail("\(name): \(error)")
                continue
            }
            XCTAssertEqual(image.width, e.width, name)
            XCTAssertEqual(image.height, e.height, name)
            XCTAssertEqual(sha256(image.pixels), e.rgb8_sha256, name)
        }
    }

    /// The same pixels whatever the container: a CMYK JPEG and its YCCK twin differ only
    /// by lossy coding, and the PPM, PGM's grey and the BMPs hold the source exactly.
    func testLosslessFormatsAgree() throws {
        let ppm = try ImageDecoder.decode(path: fixture("formats/p6.ppm").path)
        for name in ["p3.ppm", "rgb24.bmp", "topdown24.bmp", "bgrx32.bmp", "lossless.webp", "rgba-bitfields-v5.bmp", "animated.webp"] {
            XCTAssertEqual(try ImageDecoder.decode(path: fixture("formats/\(name)").path), ppm, name)
        }
    }

    /// An 8-bit BMP whose pixels are run-length coded (RLE8): refused by name.
    private func rle8BMP() -> [UInt8] {
        var b: [UInt8] = Array("BM".utf8) + [UInt8](repeating: 0, count: 12)
        let info: [UInt32] = [40, 2, 2]
        for v in info { b += withUnsafeBytes(of: v.littleEndian, Array.init) }
        b += [1, 0, 8, 0]  // planes, bits
        b += withUnsafeBytes(of: UInt32(1).littleEndian, Array.init)  // BI_RLE8
        b += [UInt8](repeating: 0, count: 20)
        b.replaceSubrange(10..<14, with: withUnsafeBytes(of: UInt32(b.count).littleEndian, Array.init))
        return b + [2, 1, 0, 0, 2, 1, 0, 1]
    }

    func testBadFilesGiveErrorsNamingThem() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clip-tui-imaging-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ name: String, _ bytes: [UInt8]) throws -> String {
            let url = dir.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            return url.path
        }
        let png = Array(try Data(contentsOf: fixture("pngsuite/basn2c08.png")))
        // A PNG header claiming 100000 × 100000 pixels: refused before allocation.
        var huge = png
        huge.replaceSubrange(16..<24, with: [0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0])
        let crc = crc32(Array(huge[12..<29]))  // IHDR type + data
        huge.replaceSubrange(29..<33, with: [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)])
        let cases: [(String, [UInt8], String)] = [
            ("empty.png", [], "empty file"),
            ("text.png", Array("hello, not an image".utf8), "not a PNG, JPEG, WebP, GIF, BMP or PPM/PGM/PBM file"),
            ("scan.tif", [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0], "TIFF images are not supported"),
            ("float.pfm", Array("Pf\n2 2\n-1.0\n".utf8), "the Pf variant of PPM is not supported"),
            ("rle.bmp", rle8BMP(), "run-length compressed BMP (RLE8) is not supported"),
            ("truncated.webp", Array(try Data(contentsOf: fixture("formats/lossy.webp")).prefix(60)), "corrupt WebP"),
            ("truncated.gif", Array(try Data(contentsOf: fixture("formats/single.gif")).prefix(200)), "corrupt GIF"),
            ("truncated.bmp", Array(try Data(contentsOf: fixture("formats/rgb24.bmp")).prefix(500)), "corrupt BMP: file is truncated"),
            ("truncated.ppm", Array(try Data(contentsOf: fixture("formats/p6.ppm")).prefix(500)), "corrupt PPM: file is truncated"),
            ("over-maxval.pgm", Array("P2 2 1 7 3 9\n".utf8), "sample 9 is over the maxval 7"),
            ("truncated.png", Array(png.prefix(png.count / 2)), "corrupt PNG"),
            ("huge.png", huge, "too large"),
            ("truncated.jpg", Array(try Data(contentsOf: fixture("jpeg/truncated-60x40.jpg"))), "corrupt JPEG"),
            ("header-only.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 0, 16], "corrupt JPEG")
        ]
        for (name, bytes, message) in cases {
            let path = try write(name, bytes)
            XCTAssertThrowsError(try ImageDecoder.decode(path: path, maxPixels: 50_000_000), name) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix(path), "\(name): '\(text)' names the file")
                XCTAssertTrue(text.contains(message), "\(name): '\(text)' says '\(message)'")
            }
        }
        XCTAssertThrowsError(try ImageDecoder.decode(path: dir.appendingPathComponent("missing.png").path)) {
            XCTAssertTrue("\($0)".contains("missing.png: cannot read"), "\($0)")
        }
    }

    func testPixelLimitAppliesToRealSizes() throws {
        let path = try fixture("pngsuite/basn2c08.png").path  // 32 × 32
        XCTAssertNoThrow(try ImageDecoder.decode(path: path, maxPixels: 1024))
        XCTAssertThrowsError(try ImageDecoder.decode(path: path, maxPixels: 1023)) {
            XCTAssertTrue("\($0)".contains("32x32 pixels is over the limit of 1023"), "\($0)")
        }
    }

    /// PNG's CRC-32, to make a header that passes the checksum.
    private func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }
}
