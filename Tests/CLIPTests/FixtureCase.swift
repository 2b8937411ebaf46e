import Foundation
import Imaging
import SafeTensors
import XCTest

/// A parity fixture: a random-weight checkpoint and what PyTorch computed from it
/// (made by `clipref.py fixture`; see Fixtures/MANIFEST.json for the commands and hashes).
struct FixtureCase {
    let root: String
    let texts: [String]
    let tokenIds: [[Int]]
    let images: [String]
    let expected: SafeTensorsFile

    static func load(_ name: String) throws -> FixtureCase {
        if name.hasPrefix("/") { return try load(url: URL(fileURLWithPath: name)) }
        return try load(url: try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)))
    }

    static func load(url: URL) throws -> FixtureCase {
        let root = url.path
        let data = try Data(contentsOf: url.appendingPathComponent("cases.json"))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        return FixtureCase(
            root: root,
            texts: try XCTUnwrap(object["texts"] as? [String]),
            tokenIds: try XCTUnwrap(object["token_ids"] as? [[Int]]),
            images: try XCTUnwrap(object["images"] as? [String]).map { "\(root)/\($0)" },
            expected: try SafeTensorsFile(path: "\(root)/expected.safetensors"))
    }

    var modelFolder: String { "\(root)/model" }

    func tensor(_ name: String) throws -> (values: [Float], shape: [Int]) {
        let info = try XCTUnwrap(expected.tensors[name], "fixture has no \(name)")
        return (try expected.floats(name), info.shape)
    }
}

/// The parity rule of the fixtures: cosine ≥ 0.99999 with the reference row and
/// max |difference| ≤ 1e-4 × the row's max |value|.
func assertRowsMatch(
    _ actual: [Float], _ expected: [Float], cols: Int, _ what: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, "\(what): size", file: file, line: line)
    guard actual.count == expected.count, cols > 0 else { return }
    for r in 0..<(expected.count / cols) {
        let a = actual[(r * cols)..<((r + 1) * cols)], e = expected[(r * cols)..<((r + 1) * cols)]
        var dot = 0.0, na = 0.0, ne = 0.0, maxDiff: Float = 0, maxAbs: Float = 0
        for (x, y) in zip(a, e) {
            dot += Double(x) * Double(y); na += Double(x) * Double(x); ne += Double(y) * Double(y)
            maxDiff = max(maxDiff, abs(x - y)); maxAbs = max(maxAbs, abs(y))
        }
        let cosine = dot / (na.squareRoot() * ne.squareRoot())
        XCTAssertGreaterThanOrEqual(cosine, 0.99999, "\(what) row \(r): cosine", file: file, line: line)
        XCTAssertLessThanOrEqual(
            maxDiff, 1e-4 * maxAbs, "\(what) row \(r): max |diff| \(maxDiff) vs max |value| \(maxAbs)",
            file: file, line: line)
    }
}

/// The fixture's 8-bit crops (`crops_uint8`, `[images, size, size, 3]`) against
/// `preprocessor`'s: at most 1 apart, and off by one on at most 0.1% of values (PIL's
/// integer passes are matched bit for bit; the slack is for JPEG decoders).
func assertCropsMatch(_ f: FixtureCase, _ preprocessor: Preprocessor, size: Int, file: StaticString = #filePath, line: UInt = #line) throws {
    let (expected, shape) = try f.tensor("crops_uint8")
    XCTAssertEqual(shape, [f.images.count, size, size, 3], file: file, line: line)
    let plane = size * size * 3
    var offByOne = 0
    for (i, path) in f.images.enumerated() {
        let crop = preprocessor.crop(try ImageDecoder.decode(path: path))
        XCTAssertEqual(crop.width, size, file: file, line: line)
        XCTAssertEqual(crop.height, size, file: file, line: line)
        for j in 0..<plane {
            let d = abs(Int(crop.pixels[j]) - Int(expected[i * plane + j]))
            XCTAssertLessThanOrEqual(d, 1, "\(path) value \(j)", file: file, line: line)
            if d == 1 { offByOne += 1 }
            if d > 1 { break }
        }
    }
    XCTAssertLessThanOrEqual(Double(offByOne), 0.001 * Double(expected.count), "values off by one", file: file, line: line)
}
