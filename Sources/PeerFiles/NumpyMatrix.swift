import Foundation
import ScoringCore

/// A two-dimensional `.npy` array of floats (numpy's format, versions 1–3), as open_clip's
/// scripts and clip-retrieval write embeddings: float16, float32 or float64, little-endian,
/// C or Fortran order. The file is mapped, not read: a million rows stay on disk until used.
public struct NumpyMatrix {
    public enum Element: String, Sendable { case float16 = "f2", float32 = "f4", float64 = "f8" }

    public let path: String
    public let rows: Int
    public let columns: Int
    public let element: Element
    private let fortranOrder: Bool
    private let data: Data
    private let offset: Int

    public init(path: String) throws {
        self.path = path
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw ScoringError.cannotRead(path: path, reason: "\(error.localizedDescription)")
        }
        func bad(_ reason: String) -> ScoringError { .badFormat(path: path, line: nil, reason: reason) }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard data.count >= 10, Array(data.prefix(6)) == magic else { throw bad("not a .npy file (no \\x93NUMPY magic)") }
        let major = Int(data[data.startIndex + 6])
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(data[data.startIndex + 8]) | Int(data[data.startIndex + 9]) << 8
            headerStart = 10
        case 2, 3:
            guard data.count >= 12 else { throw bad("truncated header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(data[data.startIndex + 8 + $1]) << (8 * $1) }
            headerStart = 12
        default: throw bad(".npy version \(major) is not one this reader knows (1, 2, 3)")
        }
        guard headerLength <= 1 << 20, headerStart + headerLength <= data.count,
            let header = String(
                data: data.subdata(in: data.startIndex + headerStart..<data.startIndex + headerStart + headerLength),
                encoding: major == 3 ? .utf8 : .isoLatin1)
        else {
            throw bad("truncated header")
        }
        // {'descr': '<f4', 'fortran_order': False, 'shape': (1000, 512), }
        func field(_ name: String) -> Substring? {
            guard let r = header.range(of: "'\(name)':") else { return nil }
            return header[r.upperBound...].drop(while: { $0 == " " })
        }
        guard let descrField = field("descr"), descrField.first == "'",
            let descr = descrField.dropFirst().split(separator: "'", maxSplits: 1).first
        else {
            throw bad("the header has no dtype ('descr')")
        }
        let byteOrder = descr.first
        guard let kind = Element(rawValue: String(descr.dropFirst())), byteOrder == "<" || (byteOrder == "|" && kind == .float16) else {
            throw bad("elements are '\(descr)'; expected little-endian float16, float32 or float64 ('<f2', '<f4', '<f8')")
        }
        guard let orderField = field("fortran_order") else { throw bad("the header has no 'fortran_order'") }
        fortranOrder = orderField.hasPrefix("True")
        guard let shapeField = field("shape"), shapeField.first == "(", let close = shapeField.firstIndex(of: ")") else {
            throw bad("the header has no 'shape'")
        }
        let dims = shapeField[shapeField.index(after: shapeField.startIndex)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard dims.count == 2, let r = Int(dims[0]), let c = Int(dims[1]), r >= 0, c > 0 else {
            throw bad("shape (\(dims.joined(separator: ", "))) is not (rows, dimension)")
        }
        let width = kind == .float16 ? 2 : kind == .float32 ? 4 : 8
        let (cells, overflow) = r.multipliedReportingOverflow(by: c)
        guard !overflow, headerStart + headerLength + cells * width <= data.count else {
            throw bad("holds \(data.count - headerStart - headerLength) bytes of data; shape (\(r), \(c)) needs \(cells &* width) (truncated?)")
        }
        rows = r; columns = c; element = kind
        self.data = data
        offset = headerStart + headerLength
    }

    /// Row `i` as float32.
    public func row(_ i: Int) -> [Float] {
        precondition(i >= 0 && i < rows, "row \(i) of \(rows)")
        return data.withUnsafeBytes { raw -> [Float] in
            let base = raw.baseAddress! + offset
            func cell(_ j: Int) -> Float {
                let index = fortranOrder ? j * rows + i : i * columns + j
                switch element {
                case .float16: return Float(Float16(bitPattern: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))))
                case .float32: return Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
                case .float64: return Float(Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))))
                }
            }
            return (0..<columns).map(cell)
        }
    }
}
