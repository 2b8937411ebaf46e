import Foundation
import SafeTensors
import XCTest

/// A writable copy of a fixture checkpoint, for tests that break it on purpose.
struct TestCheckpoint {
    let folder: URL

    init(copying source: String) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID())")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: source), to: folder)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    var path: String { folder.path }
    func file(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// The tensors of `model.safetensors` as (shape, values), to edit and write back.
    func tensors() throws -> [String: ([Int], [Float])] {
        let st = try SafeTensorsFile(path: file("model.safetensors").path)
        var out: [String: ([Int], [Float])] = [:]
        for (name, info) in st.tensors { out[name] = (info.shape, try st.floats(name)) }
        return out
    }

    /// Writes tensors as F32 safetensors (sorted keys, header padded to 8 bytes).
    static func write(_ tensors: [String: ([Int], [Float])], to url: URL) throws {
        var header: [String: Any] = [:]
        var data = Data()
        for name in tensors.keys.sorted() {
            let (shape, values) = tensors[name]!
            header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [data.count, data.count + 4 * values.count]]
            values.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(data)
        try out.write(to: url)
    }

    func writeModel(_ tensors: [String: ([Int], [Float])]) throws {
        try Self.write(tensors, to: file("model.safetensors"))
    }
}
