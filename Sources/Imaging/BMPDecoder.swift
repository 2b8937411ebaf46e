/// Windows and OS/2 bitmaps as PIL's `BmpImagePlugin` reads them and `convert("RGB")`
/// gives them: 1, 4 and 8-bit palettes (an index past the palette is black), 16-bit
/// (5-5-5, or 5-6-5 by bitfields), 24 and 32-bit, bottom-up or top-down, alpha dropped.
/// Run-length compressed bitmaps are refused by name.
enum BMPDecoder {
    private static func u16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }

    static func decode(_ bytes: [UInt8], path: String, maxPixels: Int) throws -> RGBImage {
        func corrupt(_ reason: String) -> ImagingError { .corrupt(path: path, format: "BMP", reason: reason) }
        func unsupported(_ reason: String) -> ImagingError { .unsupported(path: path, reason: reason) }
        guard bytes.count >= 18 else { throw corrupt("file is truncated") }
        var offset = Int(u32(bytes, 10))
        let headerSize = Int(u32(bytes, 14))
        guard [12, 40, 52, 56, 64, 108, 124].contains(headerSize) else { throw unsupported("BMP header of \(headerSize) bytes is not supported") }
        guard bytes.count >= 14 + headerSize else { throw corrupt("file is truncated") }
        let h = 18  // the header's fields after its size
        var width: Int, height: Int, bits: Int, compression = 0, colors = 0
        var topDown = false
        var masks: [UInt32] = []
        let paletteEntry: Int
        if headerSize == 12 {
            width = u16(bytes, h); height = u16(bytes, h + 2); bits = u16(bytes, h + 6)
            paletteEntry = 3
        } else {
            width = Int(Int32(bitPattern: u32(bytes, h)))
            // PIL reads the height as top-down when its top byte is 0xFF (a negative height).
            let rawHeight = u32(bytes, h + 4)
            topDown = rawHeight >> 24 == 0xFF
            height = topDown ? Int(UInt32(0) &- rawHeight) : Int(rawHeight)
            bits = u16(bytes, h + 10)
            compression = Int(u32(bytes, h + 12))
            colors = Int(u32(bytes, h + 28))
            paletteEntry = 4
            if compression == 3 {  // BI_BITFIELDS: in a V2+ header, or three masks after a 40-byte one
                if headerSize >= 52 {
                    masks = (0..<(headerSize >= 56 ? 4 : 3)).map { u32(bytes, h + 36 + 4 * $0) }
                } else {
                    guard bytes.count >= 14 + headerSize + 12 else { throw corrupt("file is truncated") }
                    masks = (0..<3).map { u32(bytes, 14 + headerSize + 4 * $0) }
                }
            }
        }
        guard width > 0, height > 0 else { throw corrupt("zero or negative width or height") }
        guard width <= Int(Int32.max), height <= Int(Int32.max), width * height <= maxPixels else {
            throw ImagingError.tooLarge(path: path, reason: "\(width)x\(height) pixels is over the limit of \(maxPixels)")
        }
        switch compression {
        case 0, 3: break
        case 1, 2: throw unsupported("run-length compressed BMP (RLE\(compression == 1 ? 8 : 4)) is not supported")
        default: throw unsupported("BMP compression \(compression) is not supported")
        }
        guard [1, 4, 8, 16, 24, 32].contains(bits) else { throw unsupported("BMP of \(bits) bits per pixel is not supported") }
        if colors == 0 { colors = 1 << min(bits, 24) }
        // Where the pixels begin; PIL skips the palette when the offset points at it.
        if offset == 14 + headerSize && bits <= 8 { offset += paletteEntry * colors }
        var palette: [(UInt8, UInt8, UInt8)] = []
        if bits <= 8 {
            guard (1...65536).contains(colors) else { throw unsupported("BMP palette of \(colors) colours is not supported") }
            let start = 14 + headerSize
            let available = max(0, min(colors, (bytes.count - start) / paletteEntry))
            for i in 0..<available {
                let p = start + i * paletteEntry
                palette.append((bytes[p + 2], bytes[p + 1], bytes[p]))  // stored B G R
            }
        }
        // Which bytes of a 32-bit pixel (or bits of a 16-bit one) hold red, green and blue.
        enum Layout { case palette, bgr24, bytes32(r: Int, g: Int, b: Int), rgb555, rgb565 }
        let layout: Layout
        switch (bits, compression) {
        case (...8, _): layout = .palette
        case (24, 0): layout = .bgr24
        case (32, 0): layout = .bytes32(r: 2, g: 1, b: 0)
        case (16, 0): layout = .rgb555
        case (24, 3):
            guard Array(masks.prefix(3)) == [0xFF0000, 0xFF00, 0xFF] else { throw unsupported("unsupported BMP bitfields layout") }
            layout = .bgr24
        case (16, 3):
            switch Array(masks.prefix(3)) {
            case [0xF800, 0x7E0, 0x1F]: layout = .rgb565
            case [0x7C00, 0x3E0, 0x1F]: layout = .rgb555
            default: throw unsupported("unsupported BMP bitfields layout")
            }
        case (32, 3):
            // PIL's supported masks (r, g, b, a); the byte of each colour, little-endian.
            let rgba = masks.count == 4 ? masks : masks + [0]
            let known: [[UInt32]: (Int, Int, Int)] = [
                [0xFF0000, 0xFF00, 0xFF, 0]: (2, 1, 0), [0xFF00_0000, 0xFF0000, 0xFF00, 0]: (3, 2, 1),
                [0xFF00_0000, 0xFF00, 0xFF, 0]: (3, 1, 0), [0xFF00_0000, 0xFF0000, 0xFF00, 0xFF]: (3, 2, 1),
                [0xFF, 0xFF00, 0xFF0000, 0xFF00_0000]: (0, 1, 2), [0xFF0000, 0xFF00, 0xFF, 0xFF00_0000]: (2, 1, 0),
                [0xFF00_0000, 0xFF00, 0xFF, 0xFF0000]: (3, 1, 0), [0, 0, 0, 0]: (2, 1, 0)
            ]
            guard let (r, g, b) = known[rgba] else { throw unsupported("unsupported BMP bitfields layout") }
            layout = .bytes32(r: r, g: g, b: b)
        default: throw unsupported("unsupported BMP bitfields layout")
        }
        let stride = ((width * bits + 31) >> 3) & ~3
        guard offset >= 0, offset <= bytes.count, (bytes.count - offset) / stride >= height else {
            throw corrupt("file is truncated")
        }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            let row = offset + (topDown ? y : height - 1 - y) * stride
            for x in 0..<width {
                let o = (y * width + x) * 3
                switch layout {
                case .palette:
                    let index: Int
                    switch bits {
                    case 8: index = Int(bytes[row + x])
                    case 4: index = Int(bytes[row + x / 2] >> (x % 2 == 0 ? 4 : 0)) & 0x0F
                    default: index = Int(bytes[row + x / 8] >> UInt8(7 - x % 8)) & 1
                    }
                    if index < palette.count { (rgb[o], rgb[o + 1], rgb[o + 2]) = palette[index] }
                case .bgr24:
                    let p = row + 3 * x
                    rgb[o] = bytes[p + 2]; rgb[o + 1] = bytes[p + 1]; rgb[o + 2] = bytes[p]
                case let .bytes32(r, g, b):
                    let p = row + 4 * x
                    rgb[o] = bytes[p + r]; rgb[o + 1] = bytes[p + g]; rgb[o + 2] = bytes[p + b]
                case .rgb555, .rgb565:
                    // PIL's BGR;15 and BGR;16 unpackers: each field scaled by integer division.
                    let v = u16(bytes, row + 2 * x)
                    if case .rgb565 = layout {
                        rgb[o] = UInt8((v >> 11 & 31) * 255 / 31); rgb[o + 1] = UInt8((v >> 5 & 63) * 255 / 63)
                    } else {
                        rgb[o] = UInt8((v >> 10 & 31) * 255 / 31); rgb[o + 1] = UInt8((v >> 5 & 31) * 255 / 31)
                    }
                    rgb[o + 2] = UInt8((v & 31) * 255 / 31)
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: rgb)
    }
}
