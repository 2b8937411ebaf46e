import Foundation
import InputLimits
import SafeTensors
import Tensors

/// Where an encoder's weights come from: a checkpoint, or random values for benchmarks.
public protocol WeightSource: AnyObject {
    /// The tensor `key` as Float in PyTorch's layout, which must have exactly `shape`.
    func tensor(_ key: String, shape: [Int]) throws -> [Float]

    /// The tensor `key` (of exactly `shape`, read as `[rows, cols]`) transposed into `dest` as
    /// `[cols, rows]` with row stride `ld`: how linear weights become the `[in, out]` layout
    /// that sgemm takes without transposing.
    func readTransposed(
        _ key: String, shape: [Int], rows: Int, cols: Int,
        into dest: UnsafeMutablePointer<Float>, ld: Int) throws
}

extension WeightSource {
    /// Reads `key` (stored `[rows, cols]`, checked against `shape`) transposed into `dest`,
    /// rows `ld` floats apart: a PyTorch `[out, in]` weight becomes the `[in, out]` layout.
    public func readTransposed(
        _ key: String, shape: [Int], rows: Int, cols: Int,
        into dest: UnsafeMutablePointer<Float>, ld: Int
    ) throws {
        let values = try tensor(key, shape: shape)
        values.withUnsafeBufferPointer {
            BLAS.transpose($0.baseAddress!, rows: rows, cols: cols, lda: cols, into: dest, ldb: ld)
        }
    }

    /// A `torch.nn.Linear` as `Linear` (`[in, out]` weight); `bias: false` for the projections.
    /// `shape` is the stored weight's shape when it is not `[outputs, inputs]` (a conv kernel).
    func linear(_ prefix: String, outputs: Int, inputs: Int, bias: Bool = true, shape: [Int]? = nil) throws -> Linear {
        let weight = try [Float](unsafeUninitializedCapacity: outputs * inputs) { buffer, count in
            try readTransposed(
                "\(prefix).weight", shape: shape ?? [outputs, inputs], rows: outputs, cols: inputs,
                into: buffer.baseAddress!, ld: outputs)
            count = outputs * inputs
        }
        return Linear(
            weight: weight, outputs: outputs, inputs: inputs,
            bias: bias ? try tensor("\(prefix).bias", shape: [outputs]) : nil)
    }
}

/// A checkpoint's weights, with the scalar and the accounting the model needs beyond the
/// encoders' tensors.
protocol CheckpointWeights: WeightSource {
    /// A 0-d (or one-element) tensor, such as `logit_scale`.
    func scalar(_ key: String) throws -> Float
    /// Throws when stored tensors were never read: a layout the encoders do not know.
    func finish() throws
}

/// The tensors of a checkpoint (one `model.safetensors` or the shards named by
/// `model.safetensors.index.json`), read by name with their shape checked, and every key
/// accounted for: `finish()` reports the ones nobody read.
final class CheckpointReader: CheckpointWeights {
    private var files: [String: SafeTensorsFile] = [:]
    private var location: [String: String] = [:]  // tensor key → shard path
    private var used: Set<String> = []
    let description: String

    /// Keys that transformers stores as buffers and recomputes; never an error.
    private static let ignorable: [String] = [
        "text_model.embeddings.position_ids", "vision_model.embeddings.position_ids"
    ]

    /// One safetensors file (open_clip's `open_clip_model.safetensors`).
    init(file path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw CLIPError.missingFile(path: path) }
        let file = try SafeTensorsFile(path: path)
        files[path] = file
        for key in file.tensors.keys { location[key] = path }
        description = path
    }

    init(folder: String) throws {
        let single = URL(fileURLWithPath: folder).appendingPathComponent("model.safetensors").relativePath
        let index = URL(fileURLWithPath: folder).appendingPathComponent("model.safetensors.index.json").relativePath
        if FileManager.default.fileExists(atPath: single) {
            let file = try SafeTensorsFile(path: single)
            files[single] = file
            for key in file.tensors.keys { location[key] = single }
            description = single
        } else if FileManager.default.fileExists(atPath: index) {
            description = index
            /// `model.safetensors.index.json`: only the weight map is read.
            struct ShardIndex: Decodable { let weight_map: [String: String] }
            let map: [String: String]
            do { map = try BoundedJSON.decode(ShardIndex.self, path: index).weight_map } catch let e as BoundedJSON.Failure {
                throw CLIPError.badIndex(path: index, reason: "not a JSON object with a weight_map of key → file (\(e.reason))")
            }
            for (key, shard) in map {
                guard !shard.contains("/"), !shard.hasPrefix(".") else {
                    throw CLIPError.badIndex(path: index, reason: "shard name '\(shard)' must be a file in the same folder")
                }
                let path = URL(fileURLWithPath: folder).appendingPathComponent(shard).relativePath
                if files[path] == nil {
                    guard FileManager.default.fileExists(atPath: path) else { throw CLIPError.missingFile(path: path) }
                    files[path] = try SafeTensorsFile(path: path)
                }
                guard files[path]!.tensors[key] != nil else {
                    throw CLIPError.badIndex(path: index, reason: "'\(key)' is not in \(shard)")
                }
                location[key] = path
            }
        } else {
            throw CLIPError.missingFile(path: single)
        }
    }

    func contains(_ key: String) -> Bool { location[key] != nil }

    /// The tensor `key` as Float, which must have exactly `shape`.
    func tensor(_ key: String, shape: [Int]) throws -> [Float] {
        guard let path = location[key], let file = files[path], let info = file.tensors[key] else {
            throw CLIPError.missingTensor(key: key, path: description)
        }
        guard info.shape == shape else {
            throw CLIPError.wrongShape(key: key, path: path, expected: shape, actual: info.shape)
        }
        guard [.f32, .f16, .bf16].contains(info.dtype) else {
            throw CLIPError.badConfig(path: path, reason: "tensor '\(key)' is \(info.dtype.rawValue); CLIP weights must be F32, F16 or BF16")
        }
        used.insert(key)
        let values = try [Float](unsafeUninitializedCapacity: info.elementCount) { buffer, count in
            if info.elementCount > 0 { try file.read(info, into: buffer.baseAddress!) }
            count = info.elementCount
        }
        // The copy is what the encoders use; let the mapped pages go.
        file.release(info)
        return values
    }

    /// F32 tensors are transposed straight out of the mapping, without an intermediate copy.
    func readTransposed(
        _ key: String, shape: [Int], rows: Int, cols: Int,
        into dest: UnsafeMutablePointer<Float>, ld: Int
    ) throws {
        precondition(shape.reduce(1, *) == rows * cols)
        guard let path = location[key], let file = files[path], let info = file.tensors[key] else {
            throw CLIPError.missingTensor(key: key, path: description)
        }
        guard info.dtype == .f32, let source = file.floatPointer(info) else {
            let values = try tensor(key, shape: shape)
            values.withUnsafeBufferPointer {
                BLAS.transpose($0.baseAddress!, rows: rows, cols: cols, lda: cols, into: dest, ldb: ld)
            }
            return
        }
        guard info.shape == shape else {
            throw CLIPError.wrongShape(key: key, path: path, expected: shape, actual: info.shape)
        }
        used.insert(key)
        BLAS.transpose(source, rows: rows, cols: cols, lda: cols, into: dest, ldb: ld)
        file.release(info)
    }

    /// A scalar stored as shape [] or [1].
    func scalar(_ key: String) throws -> Float {
        guard let path = location[key], let info = files[path]?.tensors[key] else {
            throw CLIPError.missingTensor(key: key, path: description)
        }
        return try tensor(key, shape: info.shape.isEmpty ? [] : [1])[0]
    }

    /// Throws if any key was not read and is not a known buffer.
    func finish() throws {
        let unknown = location.keys.filter { !used.contains($0) && !Self.ignorable.contains($0) }.sorted()
        if !unknown.isEmpty { throw CLIPError.unknownTensors(keys: unknown, path: description) }
    }
}
