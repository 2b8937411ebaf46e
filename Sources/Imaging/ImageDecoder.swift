import CImageCodecs
import Foundation

/// Decodes image files, chosen by their first bytes, to 8-bit RGB as PIL's
/// `Image.open(path).convert("RGB")` gives them: PNG, JPEG (CMYK too), WebP and GIF through
/// their libraries (the only file that sees them), BMP and PPM/PGM/PBM in Swift.
public enum ImageDecoder {
    /// Images with more pixels are refused before any pixel memory is allocated
    /// (PIL's own bomb limit, `2 × Image.MAX_IMAGE_PIXELS`).
    public static let defaultMaxPixels = 178_956_970

    /// The formats read, by their magic bytes.
    public enum Format: String, Sendable, CaseIterable {
        case png = "PNG", jpeg = "JPEG", webp = "WebP", gif = "GIF", bmp = "BMP", ppm = "PPM"
    }

    /// What the error for an unknown file lists.
    public static let formatList = "PNG, JPEG, WebP, GIF, BMP or PPM/PGM/PBM"

    /// The format the first bytes announce, or nil for anything else.
    public static func format(of bytes: some Collection<UInt8>) -> Format? {
        let head = Array(bytes.prefix(12))
        func starts(_ s: String, at i: Int = 0) -> Bool { head.count >= i + s.utf8.count && Array(head[i..<(i + s.utf8.count)]) == Array(s.utf8) }
        if head.count >= 8, Array(head.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return .jpeg }
        if starts("RIFF"), starts("WEBP", at: 8) { return .webp }
        if starts("GIF87a") || starts("GIF89a") { return .gif }
        if starts("BM") { return .bmp }
        // PIL's test: `P` then one of 0–6, f or y (its own variants are refused by name).
        if head.count >= 2, head[0] == UInt8(ascii: "P"), Array("0123456fy".utf8).contains(head[1]) { return .ppm }
        return nil
    }

    /// Formats recognised only to be refused by name.
    static func otherFormat(of bytes: some Collection<UInt8>) -> String? {
        let head = Array(bytes.prefix(12))
        guard head.count >= 4 else { return nil }
        if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { return "TIFF" }
        if head.count >= 12, Array(head[4..<8]) == Array("ftyp".utf8) {
            let brand = String(decoding: head[8..<12], as: UTF8.self)
            return brand.hasPrefix("avi") ? "AVIF" : brand.hasPrefix("hei") || brand.hasPrefix("mif") ? "HEIF" : nil
        }
        if head.starts(with: [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50]) || head.starts(with: [0xFF, 0x4F, 0xFF, 0x51]) { return "JPEG 2000" }
        if head.starts(with: Array("8BPS".utf8)) { return "Photoshop (PSD)" }
        if head.starts(with: [0x00, 0x00, 0x01, 0x00]) { return "ICO" }
        if head.starts(with: Array("qoif".utf8)) { return "QOI" }
        if head.starts(with: Array("%PDF".utf8)) { return "PDF" }
        return nil
    }

    /// Reads and decodes an image file into 8-bit RGB (alpha dropped, not composited, as
    /// PIL's `convert("RGB")` does).
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
        guard let format = format(of: data) else {
            if let other = otherFormat(of: data) {
                throw ImagingError.unsupported(path: path, reason: "\(other) images are not supported (\(formatList) are)")
            }
            throw ImagingError.unknownFormat(path: path)
        }
        switch format {
        case .bmp: return try BMPDecoder.decode(Array(data), path: path, maxPixels: maxPixels)
        case .ppm: return try NetpbmDecoder.decode(Array(data), path: path, maxPixels: maxPixels)
        case .png, .jpeg, .webp, .gif: break
        }
        var image = clip_rgb_image()
        var message = [CChar](repeating: 0, count: 512)
        let status = data.withUnsafeBytes { raw -> Int32 in
            let bytes = raw.bindMemory(to: UInt8.self).baseAddress!
            let limit = UInt64(maxPixels)
            switch format {
            case .png: return clip_png_decode(bytes, raw.count, limit, &image, &message, message.count)
            case .jpeg: return clip_jpeg_decode(bytes, raw.count, limit, &image, &message, message.count)
            case .webp: return clip_webp_decode(bytes, raw.count, limit, &image, &message, message.count)
            case .gif: return clip_gif_decode(bytes, raw.count, limit, &image, &message, message.count)
            case .bmp, .ppm: return Int32(CLIP_CODEC_UNSUPPORTED.rawValue)  // decoded above
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
