import Foundation
import SafeTensors
import XCTest

final class SafeTensorsFileTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// A file with the given header text (padded with `pad` spaces) and data bytes.
    func write(_ name: String, header: String, data: [UInt8], headerLength: UInt64? = nil) throws -> String {
        let h = Array(header.utf8)
        var bytes: [UInt8] = []
        let n = headerLength ?? UInt64(h.count)
        for i in 0..<8 { bytes.append(UInt8((n >> (8 * UInt64(i))) & 0xFF)) }
        bytes += h + data
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    func testReadsF32F16BF16AtUnalignedOffsets() throws {
        // Header of odd length puts the data at an odd file offset.
        var data: [UInt8] = [0xAA]  // one byte of padding before the first tensor
        for v: Float in [1.5, -2.25] { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
        for v: Float16 in [0.5, -3] { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
        for v: Float in [6.5, -0.125] { withUnsafeBytes(of: UInt16(v.bitPattern >> 16).littleEndian) { data += $0 } }
        let header = """
            {"a":{"dtype":"F32","shape":[2],"data_offsets":[1,9]},"b":{"dtype":"F16","shape":[2,1],"data_offsets":[9,13]},\
            "c":{"dtype":"BF16","shape":[2],"data_offsets":[13,17]},"__metadata__":{"format":"pt"}}
            """
        let file = try SafeTensorsFile(path: try write("ok.safetensors", header: header, data: data))
        XCTAssertEqual(try file.floats("a"), [1.5, -2.25])
        XCTAssertEqual(try file.floats("b"), [0.5, -3])
        XCTAssertEqual(try file.floats("c"), [6.5, -0.125])
        XCTAssertEqual(file.tensors["b"]?.shape, [2, 1])
        XCTAssertEqual(file.metadata["format"], "pt")
        XCTAssertThrowsError(try file.floats("missing")) { XCTAssertTrue("\($0)".contains("no tensor named 'missing'")) }
    }

    /// Each malformed file and the message it must give (the path always leads).
    func testMalformedFilesGiveClearErrors() throws {
        let f32 = [UInt8](repeating: 0, count: 8)
        let cases: [(String, String, [UInt8], UInt64?, String)] = [
            ("zero-header", "", [1, 2, 3], 0, "header length 0 does not fit"),
            ("huge-header", "{}", [], UInt64.max, "header length 18446744073709551615 does not fit"),
            ("past-end", "{}", [], 1000, "header length 1000 does not fit"),
            ("not-json", "{not json", [], nil, "header is not a JSON object"),
            ("array", "[1,2]", [], nil, "top level is not an object"),
            ("dtype", #"{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}"#, f32, nil, "dtype Q4"),
            ("no-shape", #"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#, f32, nil, "no shape"),
            ("neg-dim", #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, f32, nil, "bad dimension"),
            ("big-shape", #"{"a":{"dtype":"F32","shape":[100000,100000,100000],"data_offsets":[0,4]}}"#, f32, nil, "larger than the file"),
            ("offsets", #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}"#, f32, nil, "outside the 8 data bytes"),
            ("reversed", #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, f32, nil, "data offsets [4, 0)"),
            ("mismatch", #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}"#, f32, nil, "8 bytes do not hold shape [1]"),
            ("bad-offsets", #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, f32, nil, "data_offsets must be two integers"),
            ("frac-offsets", #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0.5,4]}}"#, f32, nil, "data_offsets must be two integers"),
            ("bool-dim", #"{"a":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, f32, nil, "bad dimension"),
            // Limits checked before the header is parsed.
            (
                "deep", "{\"a\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}", f32, nil,
                "JSON nested deeper than 8 levels"
            )
        ]
        for (name, header, data, length, message) in cases {
            let path = try write(name, header: header, data: data, headerLength: length)
            XCTAssertThrowsError(try SafeTensorsFile(path: path), name) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix(path), "\(name): \(text)")
                XCTAssertTrue(text.contains(message), "\(name): '\(text)' should say '\(message)'")
            }
        }
        let short = dir.appendingPathComponent("short")
        try Data([1, 2, 3]).write(to: short)
        XCTAssertThrowsError(try SafeTensorsFile(path: short.path)) {
            XCTAssertTrue("\($0)".contains("3 bytes is too small"), "\($0)")
        }
        XCTAssertThrowsError(try SafeTensorsFile(path: dir.appendingPathComponent("absent").path)) {
            XCTAssertTrue("\($0)".contains("absent: cannot open"), "\($0)")
        }
        XCTAssertThrowsError(try SafeTensorsFile(path: dir.path)) {
            XCTAssertTrue("\($0)".contains("not a regular file"), "\($0)")
        }
    }

    func testTensorCountLimit() throws {
        // 1,000,002 entries (a million tensors and metadata are allowed): refused by the
        // pre-scan, before a million objects are built.
        let n = SafeTensorsFile.maxTensorCount + 2
        var header = "{"
        header.reserveCapacity(n * 6)
        for i in 0..<n { header += (i == 0 ? "" : ",") + "\"\(i)\":0" }
        header += "}"
        let path = try write("many", header: header, data: [])
        XCTAssertThrowsError(try SafeTensorsFile(path: path)) { error in
            XCTAssertTrue("\(error)".contains("more than 1000001 entries at the top level"), "\(error)")
        }
    }

    func testOtherDTypesParseAndConvert() throws {
        var data: [UInt8] = []
        for v: Int64 in [3, -7] { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
        data += [200]
        let header = #"{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"u":{"dtype":"U8","shape":[1],"data_offsets":[16,17]}}"#
        let file = try SafeTensorsFile(path: try write("ints", header: header, data: data))
        XCTAssertEqual(try file.floats("ids"), [3, -7])
        XCTAssertEqual(try file.floats("u"), [200])
    }
}
