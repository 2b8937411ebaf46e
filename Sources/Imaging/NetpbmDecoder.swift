/// PBM, PGM and PPM (`P1`…`P6`, plain and binary) as PIL's `PpmImagePlugin` reads them and
/// `convert("RGB")` gives them: other maxvals scaled to 8 bits with Python's rounding,
/// 16-bit grey clipped at 255 (PIL reads it as mode `I`), bitmaps as black and white.
enum NetpbmDecoder {
    /// PIL's header whitespace (`b_whitespace`).
    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }

    static func decode(_ bytes: [UInt8], path: String, maxPixels: Int) throws -> RGBImage {
        func corrupt(_ reason: String) -> ImagingError { .corrupt(path: path, format: "PPM", reason: reason) }
        var at = 0
        // The magic: up to six bytes before whitespace.
        var magic: [UInt8] = []
        while at < bytes.count, magic.count < 6 {
            let c = bytes[at]
            at += 1
            if isSpace(c) { break }
            magic.append(c)
        }
        let kind = String(decoding: magic, as: UTF8.self)
        guard ["P1", "P2", "P3", "P4", "P5", "P6"].contains(kind) else {
            throw ImagingError.unsupported(path: path, reason: "the \(kind) variant of PPM is not supported (P1–P6 are)")
        }
        /// A header token: whitespace skipped, `#` to the end of the line ignored, at most 10 bytes.
        func token() throws -> Int {
            var text: [UInt8] = []
            while text.count <= 10 {
                guard at < bytes.count else { break }
                let c = bytes[at]
                at += 1
                if isSpace(c) {
                    if text.isEmpty { continue }
                    break
                }
                if c == UInt8(ascii: "#") {
                    while at < bytes.count, bytes[at] != 0x0A, bytes[at] != 0x0D { at += 1 }
                    if at < bytes.count { at += 1 }
                    continue
                }
                text.append(c)
            }
            guard !text.isEmpty else { throw corrupt("header ends early") }
            guard text.count <= 10, let value = Int(String(decoding: text, as: UTF8.self)), value >= 0 else {
                throw corrupt("bad header value \(String(decoding: text.prefix(11), as: UTF8.self).debugDescription)")
            }
            return value
        }
        let width = try token(), height = try token()
        let bitmap = kind == "P1" || kind == "P4"
        let maxval = bitmap ? 1 : try token()
        guard width > 0, height > 0 else { throw corrupt("zero width or height") }
        guard width.multipliedReportingOverflow(by: height).overflow == false, width * height <= maxPixels else {
            throw ImagingError.tooLarge(path: path, reason: "\(width)x\(height) pixels is over the limit of \(maxPixels)")
        }
        guard bitmap || (1..<65536).contains(maxval) else { throw corrupt("maxval must be greater than 0 and less than 65536") }
        let colour = kind == "P3" || kind == "P6"
        let bands = colour ? 3 : 1
        let count = width * height
        let values: [UInt8]  // count × bands, 8-bit
        switch kind {
        case "P4":
            let stride = (width + 7) / 8
            guard bytes.count - at >= stride * height else { throw corrupt("file is truncated") }
            var out = [UInt8](repeating: 0, count: count)
            for y in 0..<height {
                for x in 0..<width where bytes[at + y * stride + x / 8] & (0x80 >> UInt8(x % 8)) == 0 { out[y * width + x] = 255 }
            }
            values = out
        case "P1":
            var out: [UInt8] = []
            out.reserveCapacity(count)
            var i = at
            while i < bytes.count, out.count < count {
                let c = bytes[i]
                i += 1
                if c == UInt8(ascii: "#") {
                    while i < bytes.count, bytes[i] != 0x0A, bytes[i] != 0x0D { i += 1 }
                    continue
                }
                if isSpace(c) { continue }
                guard c == UInt8(ascii: "0") || c == UInt8(ascii: "1") else { throw corrupt("invalid token for a bitmap") }
                out.append(c == UInt8(ascii: "0") ? 255 : 0)
            }
            guard out.count == count else { throw corrupt("file is truncated") }
            values = out
        case "P2", "P3":
            values = try plainValues(bytes, from: at, count: count * bands, maxval: maxval, grey16: !colour && maxval > 255, corrupt)
        default:  // P5, P6
            let wide = maxval > 255
            let need = count * bands * (wide ? 2 : 1)
            guard bytes.count - at >= need else { throw corrupt("file is truncated") }
            var out = [UInt8](repeating: 0, count: count * bands)
            for i in 0..<(count * bands) {
                let v = wide ? Int(bytes[at + 2 * i]) << 8 | Int(bytes[at + 2 * i + 1]) : Int(bytes[at + i])
                out[i] = scaled(v, maxval: maxval, grey16: !colour && wide)
            }
            values = out
        }
        if colour { return RGBImage(width: width, height: height, pixels: values) }
        var rgb = [UInt8](repeating: 0, count: count * 3)
        for i in 0..<count { rgb[3 * i] = values[i]; rgb[3 * i + 1] = values[i]; rgb[3 * i + 2] = values[i] }
        return RGBImage(width: width, height: height, pixels: rgb)
    }

    /// One sample to 8 bits as PIL does: `round(v / maxval · out_max)` (Python's round,
    /// half to even), with out_max 65535 for grey over 255 (mode `I`, then clipped at 255
    /// by `convert("RGB")`), else 255. Raw 8-bit and 16-bit samples at full scale are
    /// read as they are, which the same formula gives.
    static func scaled(_ v: Int, maxval: Int, grey16: Bool) -> UInt8 {
        let outMax = grey16 ? 65535.0 : 255.0
        let r = (Double(min(v, maxval)) / Double(maxval) * outMax).rounded(.toNearestOrEven)
        return UInt8(min(255, max(0, r)))
    }

    /// Plain (ASCII) samples: whitespace-separated decimal tokens, `#` comments skipped.
    private static func plainValues(
        _ bytes: [UInt8], from start: Int, count: Int, maxval: Int, grey16: Bool, _ corrupt: (String) -> ImagingError
    ) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var i = start
        while i < bytes.count, out.count < count {
            let c = bytes[i]
            if c == UInt8(ascii: "#") {
                while i < bytes.count, bytes[i] != 0x0A, bytes[i] != 0x0D { i += 1 }
                continue
            }
            if isSpace(c) {
                i += 1
                continue
            }
            var value = 0, digits = 0
            while i < bytes.count, !isSpace(bytes[i]), bytes[i] != UInt8(ascii: "#") {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]), digits < 10 else {
                    throw corrupt("bad sample value near byte \(i)")
                }
                value = value * 10 + Int(bytes[i] - UInt8(ascii: "0"))
                digits += 1
                i += 1
            }
            guard value <= maxval else { throw corrupt("sample \(value) is over the maxval \(maxval)") }
            out.append(scaled(value, maxval: maxval, grey16: grey16))
        }
        guard out.count == count else { throw corrupt("file is truncated") }
        return out
    }
}
