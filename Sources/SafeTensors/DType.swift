import CKernels
/// The element types of the safetensors format.
public enum DType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8", bool = "BOOL"
    case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: return 1
        }
    }

    /// Whether `convert` can turn this type into Float (the FP8 formats it cannot).
    public var convertsToFloat: Bool { self != .f8e4m3 && self != .f8e5m2 }
}

extension DType {
    /// Converts `count` elements at `source` (any alignment, little-endian) to Float.
    func convert(_ source: UnsafeRawPointer, count: Int, into dest: UnsafeMutablePointer<Float>) {
        func each<T: FixedWidthInteger>(_: T.Type, _ f: (T) -> Float) {
            for i in 0..<count {
                dest[i] = f(T(littleEndian: source.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)))
            }
        }
        switch self {
        case .f32:
            // safetensors offsets need not be 4-byte aligned: copy bytes, never bind.
            UnsafeMutableRawPointer(dest).copyMemory(from: source, byteCount: count * 4)
        // F16C where the CPU has it: Swift's Float16 → Float is a library call per value on
        // x86-64 (half a second of a ViT-B/32 load).
        case .f16: clip_halves_to_floats(source, dest, Int64(count))
        case .bf16: each(UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
        case .f64: each(UInt64.self) { Float(Double(bitPattern: $0)) }
        case .i64: each(Int64.self) { Float($0) }
        case .i32: each(Int32.self) { Float($0) }
        case .i16: each(Int16.self) { Float($0) }
        case .i8: each(Int8.self) { Float($0) }
        case .u64: each(UInt64.self) { Float($0) }
        case .u32: each(UInt32.self) { Float($0) }
        case .u16: each(UInt16.self) { Float($0) }
        case .u8, .bool: each(UInt8.self) { Float($0) }
        case .f8e4m3, .f8e5m2: dest.initialize(repeating: .nan, count: count)
        }
    }
}
