import CImageCodecs
import Foundation

/// Decodes PNG and JPEG files, chosen by their first bytes, to 8-bit RGB as PIL's
/// `Image.open(path).convert("RGB")` gives them. The only file that sees libpng and libjpeg.
public enum ImageDecoder {
    /// Images with more pixels are refused before any pixel memory is allocated
    /// (PIL's own bomb limit, `2 × Image.MAX_IMAGE_PIXELS`).
    public static let defaultMaxPixels = 178_956_970

    /// The formats read, by their magic bytes.
    public enum Format: String, Sendable { case png = "PNG", jpeg = "JPEG" }

    /// The format the first bytes announce, or nil for anything else.
    public static func format(of bytes: some Collection<UInt8>) -> Format? {
        let head = Array(bytes.prefix(8))
        if head.count >= 8, head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return .jpeg }
        return nil
    }

    /// Reads and decodes a PNG or JPEG file into 8-bit RGB (alpha dropped, not composited,
    /// as PIL's `convert("RGB")` does).
    /// - Throws: `ImagingError` naming the file: unreadable, empty, unknown format, corrupt,
    ///   or more than `maxPixels` pixels.
    public static func decode(path: String, maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe) } catch {
            throw ImagingError.cannotRead(path: path, reason: (error as NSError).localizedDescription)
        }
        return try decode(data: data, path: path, maxPixels: maxPixels)
    }

    /// - Parameter path: names the source in errors.
    public static func decode(data: Data, path: String, maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        guard !data.isEmpty else { throw ImagingError.empty(path: path) }
        guard let format = format(of: data) else { throw ImagingError.unknownFormat(path: path) }
        var image = clip_rgb_image()
        var message = [CChar](repeating: 0, count: 512)
        let status = data.withUnsafeBytes { raw -> Int32 in
            let bytes = raw.bindMemory(to: UInt8.self).baseAddress!
            switch format {
            case .png: return clip_png_decode(bytes, raw.count, UInt64(maxPixels), &image, &message, message.count)
            case .jpeg: return clip_jpeg_decode(bytes, raw.count, UInt64(maxPixels), &image, &message, message.count)
            }
        }
        defer { clip_codec_free(&image) }
        // The C side writes a NUL-terminated message into the buffer.
        let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch Int(status) {
        case Int(CLIP_CODEC_OK.rawValue): break
        case Int(CLIP_CODEC_TOO_LARGE.rawValue): throw ImagingError.tooLarge(path: path, reason: reason)
        case Int(CLIP_CODEC_UNSUPPORTED.rawValue): throw ImagingError.unsupported(path: path, reason: reason)
        case Int(CLIP_CODEC_NO_MEMORY.rawValue): throw ImagingError.tooLarge(path: path, reason: "out of memory")
        default: throw ImagingError.corrupt(path: path, format: format.rawValue, reason: reason.isEmpty ? "undecodable" : reason)
        }
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0 else {
            throw ImagingError.corrupt(path: path, format: format.rawValue, reason: "zero width or height")
        }
        let pixels = Array(UnsafeBufferPointer(start: image.pixels, count: width * height * 3))
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
