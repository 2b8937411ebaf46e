import Foundation
import InputLimits

/// One tensor's place in a safetensors file.
public struct TensorInfo: Sendable, Equatable {
    /// The tensor's key in the header.
    public let name: String
    /// Element type as stored.
    public let dtype: DType
    /// Dimensions, outermost first (PyTorch's order).
    public let shape: [Int]
    /// Byte range inside the data section (after the header).
    public let dataRange: Range<Int>

    /// Elements the shape holds.
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A memory-mapped safetensors file (https://github.com/huggingface/safetensors, format.md).
///
/// Layout: 8-byte little-endian header length N, N bytes of JSON, then the data. Every
/// length and offset is checked against the file size before anything is read.
public final class SafeTensorsFile: @unchecked Sendable {
    /// Headers above this are refused before they are read (the format caps them at 100 MB).
    public static let maxHeaderBytes: UInt64 = 100_000_000
    /// Most tensors a header may list before it is refused as hostile.
    public static let maxTensorCount = 1_000_000

    /// The file read.
    public let path: String
    /// Every tensor the header lists, by key, with its checked byte range.
    public let tensors: [String: TensorInfo]
    /// The header's `__metadata__` strings (empty when absent).
    public let metadata: [String: String]
    private let file: MappedFile
    private let dataStart: Int

    public convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    /// Parses and checks the header of a mapped file: its length, its JSON, each entry's
    /// dtype and shape, and offsets that lie inside the data and match dtype × shape.
    /// - Throws: `SafeTensorsError` naming the file and the tensor at fault.
    public init(file: MappedFile) throws {
        self.file = file
        self.path = file.path
        let bytes = file.bytes
        guard bytes.count >= 8 else { throw SafeTensorsError.tooSmall(path: path, size: bytes.count) }
        let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard headerLength >= 2, headerLength <= Self.maxHeaderBytes,
            headerLength <= UInt64(bytes.count - 8)
        else {
            throw SafeTensorsError.headerLengthOutOfRange(path: path, length: headerLength, fileSize: bytes.count)
        }
        dataStart = 8 + Int(headerLength)
        let dataSize = bytes.count - dataStart
        // The limits are checked on the mapped bytes (inside `parse`) before anything is built.
        let limits = JSONLimits(maxBytes: Int(Self.maxHeaderBytes), maxDepth: 8, maxTopLevelMembers: Self.maxTensorCount + 1)
        let json: JSONValue
        do {
            json = try JSONValue.parse(UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]), limits: limits)
        } catch {
            throw SafeTensorsError.headerNotJSON(path: path, reason: "\(error)")
        }
        guard let object = json.members else {
            throw SafeTensorsError.headerNotJSON(path: path, reason: "top level is not an object")
        }
        guard object.count <= Self.maxTensorCount else {
            throw SafeTensorsError.headerNotJSON(path: path, reason: "\(object.count) entries is over the limit")
        }
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (key, value) in object {
            if key == "__metadata__" {
                for (k, v) in value.members ?? [] { metadata[k] = v.string ?? "\(v)" }
                continue
            }
            tensors[key] = try Self.parseEntry(key: key, value: value, path: path, dataSize: dataSize)
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    private static func parseEntry(key: String, value entry: JSONValue, path: String, dataSize: Int) throws -> TensorInfo {
        guard entry.members != nil else {
            throw SafeTensorsError.badEntry(path: path, key: key, reason: "entry is not an object")
        }
        guard let dtypeName = entry["dtype"]?.string else {
            throw SafeTensorsError.badEntry(path: path, key: key, reason: "no dtype")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw SafeTensorsError.unsupportedDType(path: path, key: key, dtype: dtypeName)
        }
        guard let shapeValues = entry["shape"]?.array else {
            throw SafeTensorsError.badEntry(path: path, key: key, reason: "no shape")
        }
        var shape: [Int] = []
        var count = 1
        for v in shapeValues {
            guard let n = Self.integer(v), n >= 0, n < Int64(Int32.max) else {
                throw SafeTensorsError.badEntry(path: path, key: key, reason: "bad dimension \(v)")
            }
            shape.append(Int(n))
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(n))
            guard !overflow, product <= dataSize else {
                throw SafeTensorsError.badEntry(path: path, key: key, reason: "shape \(shapeValues) is larger than the file")
            }
            count = product
        }
        guard let offsets = entry["data_offsets"]?.array, offsets.count == 2,
            let begin = Self.integer(offsets[0]),
            let end = Self.integer(offsets[1])
        else {
            throw SafeTensorsError.badEntry(path: path, key: key, reason: "data_offsets must be two integers")
        }
        guard begin >= 0, end >= begin, end <= Int64(dataSize) else {
            throw SafeTensorsError.dataOutOfRange(
                path: path, key: key, begin: Int(clamping: begin),
                end: Int(clamping: end), dataSize: dataSize)
        }
        guard Int(end - begin) == count * dtype.byteCount else {
            throw SafeTensorsError.badEntry(
                path: path, key: key,
                reason: "\(end - begin) bytes do not hold shape \(shape) of \(dtype.rawValue)")
        }
        return TensorInfo(name: key, dtype: dtype, shape: shape, dataRange: Int(begin)..<Int(end))
    }

    /// A JSON integer: a number without a fraction, exactly representable (below 2^53).
    static func integer(_ value: JSONValue) -> Int64? {
        guard case let .number(d) = value, d == d.rounded(), abs(d) < 9e15 else { return nil }
        return Int64(d)
    }

    /// Reads a tensor as Float into `dest` (which must hold `elementCount` values).
    public func read(_ info: TensorInfo, into dest: UnsafeMutablePointer<Float>) throws {
        guard info.dtype.convertsToFloat else {
            throw SafeTensorsError.unsupportedDType(path: path, key: info.name, dtype: info.dtype.rawValue)
        }
        let base = file.bytes.baseAddress! + dataStart + info.dataRange.lowerBound
        info.dtype.convert(base, count: info.elementCount, into: dest)
    }

    /// The mapped data of an F32 tensor when it is 4-byte aligned (as Hugging Face writes
    /// them), for reading without a copy; nil otherwise. Valid while this file lives.
    public func floatPointer(_ info: TensorInfo) -> UnsafePointer<Float>? {
        guard info.dtype == .f32, info.elementCount > 0 else { return nil }
        let raw = file.bytes.baseAddress! + dataStart + info.dataRange.lowerBound
        guard Int(bitPattern: raw) % MemoryLayout<Float>.alignment == 0 else { return nil }
        return raw.assumingMemoryBound(to: Float.self)
    }

    /// Reads a tensor as a flat Float array.
    public func floats(_ name: String) throws -> [Float] {
        guard let info = tensors[name] else { throw SafeTensorsError.missingTensor(path: path, key: name) }
        return try [Float](unsafeUninitializedCapacity: info.elementCount) { buffer, count in
            if info.elementCount > 0 { try read(info, into: buffer.baseAddress!) }
            count = info.elementCount
        }
    }

    /// Drops the pages of a tensor already copied out from the resident set.
    public func release(_ info: TensorInfo) {
        file.release(range: (dataStart + info.dataRange.lowerBound)..<(dataStart + info.dataRange.upperBound))
    }
}
