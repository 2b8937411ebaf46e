/// The two filters of `ResampleFilter`, as Pillow defines them.
public enum ResampleFilter: Sendable, Equatable {
    /// `Image.BICUBIC` (`resample: 3`): a cubic with a = −0.5, support 2. CLIP's filter.
    case bicubic
    /// `Image.BILINEAR` (`resample: 2`): a triangle, support 1.
    case bilinear

    /// The filter for a Hugging Face `resample` value (PIL's enum), nil for the others.
    public init?(pilResample value: Int) {
        switch value {
        case 3: self = .bicubic
        case 2: self = .bilinear
        default: return nil
        }
    }

    var support: Double { self == .bicubic ? 2 : 1 }

    func callAsFunction(_ xIn: Double) -> Double {
        let x = abs(xIn)
        switch self {
        case .bicubic:
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        case .bilinear:
            return x < 1 ? 1 - x : 0
        }
    }
}

/// PIL's `Image.resize(size, Image.BICUBIC)` (or `BILINEAR`) on 8-bit images, bit for bit.
///
/// Follows Pillow's `libImaging/Resample.c`: an antialiased filter whose support grows with
/// the reduction, coefficients normalised and rounded to 22-bit fixed point, two passes,
/// each rounding to 8 bits.
/// Only the output pixels inside `crop` are computed, which gives the same values as
/// resizing everything and cropping afterwards (each output pixel has its own weights).
public enum PILResampler {
    static let precisionBits = 32 - 8 - 2

    struct Coefficients {
        var first: [Int] = []  // first input index of each output index
        var count: [Int] = []  // how many inputs
        var weights: [Int32] = []  // `kernelSize` per output, fixed point
        var kernelSize = 0
    }

    /// `precompute_coeffs` + `normalize_coeffs_8bpc` for outputs `range` of `outSize`.
    static func coefficients(inSize: Int, outSize: Int, range: Range<Int>, filter: ResampleFilter) -> Coefficients {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        var c = Coefficients()
        c.kernelSize = Int(support.rounded(.up)) * 2 + 1
        c.weights = [Int32](repeating: 0, count: range.count * c.kernelSize)
        var k = [Double](repeating: 0, count: c.kernelSize)
        for (i, xx) in range.enumerated() {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1 / filterScale
            let xmin = max(Int(center - support + 0.5), 0)  // C's (int) truncates toward zero
            let xmax = min(Int(center + support + 0.5), inSize) - xmin
            var total = 0.0
            for x in 0..<xmax {
                k[x] = filter((Double(x + xmin) - center + 0.5) * ss)
                total += k[x]
            }
            for x in 0..<xmax {
                let w = total != 0 ? k[x] / total : k[x]
                let scaled = w * Double(1 << precisionBits)
                c.weights[i * c.kernelSize + x] = Int32(w < 0 ? -0.5 + scaled : 0.5 + scaled)
            }
            c.first.append(xmin)
            c.count.append(xmax)
        }
        return c
    }

    @inline(__always)
    private static func clip8(_ v: Int32) -> UInt8 {
        let shifted = v >> Int32(precisionBits)
        return UInt8(clamping: shifted)
    }

    /// Resizes to `width × height` and returns the `crop` window of the result.
    public static func resize(
        _ image: RGBImage, width: Int, height: Int,
        crop: (left: Int, top: Int, width: Int, height: Int), filter: ResampleFilter = .bicubic
    ) -> RGBImage {
        precondition(crop.left >= 0 && crop.top >= 0 && crop.left + crop.width <= width && crop.top + crop.height <= height)
        // Pillow 13 runs the vertical pass first when the height shrinks by more than twice
        // what the width does (`ImagingResampleInner`: ysize drop > 2 × xsize drop); the
        // 8-bit rounding between the passes makes the order visible. Vertical-first is
        // horizontal-first on the transpose (where this condition cannot hold again).
        let heightDrop = image.height - height, widthDrop = image.width - width
        if heightDrop > 0 && heightDrop > 2 * widthDrop {
            let turned = resize(
                image.transposed(), width: height, height: width,
                crop: (left: crop.top, top: crop.left, width: crop.height, height: crop.width), filter: filter)
            return turned.transposed()
        }
        let needHorizontal = width != image.width
        let needVertical = height != image.height
        let round = Int32(1 << (precisionBits - 1))

        // Which source rows the vertical pass reads.
        let vertical = coefficients(inSize: image.height, outSize: height, range: crop.top..<(crop.top + crop.height), filter: filter)
        let rowsFirst: Int, rowsEnd: Int
        if needVertical {
            rowsFirst = vertical.first.min() ?? 0
            rowsEnd = zip(vertical.first, vertical.count).map { $0 + $1 }.max() ?? 0
        } else {
            rowsFirst = crop.top
            rowsEnd = crop.top + crop.height
        }

        // Horizontal pass over those rows, for the cropped columns. [rows, crop.width, 3]
        let tempWidth = crop.width
        var temp = [UInt8](repeating: 0, count: (rowsEnd - rowsFirst) * tempWidth * 3)
        image.pixels.withUnsafeBufferPointer { src in
            temp.withUnsafeMutableBufferPointer { dst in
                if needHorizontal {
                    let h = coefficients(inSize: image.width, outSize: width, range: crop.left..<(crop.left + crop.width), filter: filter)
                    h.weights.withUnsafeBufferPointer { kk in
                        for y in rowsFirst..<rowsEnd {
                            let row = src.baseAddress! + y * image.width * 3
                            let out = dst.baseAddress! + (y - rowsFirst) * tempWidth * 3
                            for xx in 0..<tempWidth {
                                let k = kk.baseAddress! + xx * h.kernelSize
                                var r = round, g = round, b = round
                                let x0 = h.first[xx]
                                for x in 0..<h.count[xx] {
                                    let p = row + (x0 + x) * 3
                                    r &+= Int32(p[0]) &* k[x]; g &+= Int32(p[1]) &* k[x]; b &+= Int32(p[2]) &* k[x]
                                }
                                out[xx * 3] = clip8(r); out[xx * 3 + 1] = clip8(g); out[xx * 3 + 2] = clip8(b)
                            }
                        }
                    }
                } else {
                    for y in rowsFirst..<rowsEnd {
                        let row = src.baseAddress! + (y * image.width + crop.left) * 3
                        (dst.baseAddress! + (y - rowsFirst) * tempWidth * 3).update(from: row, count: tempWidth * 3)
                    }
                }
            }
        }
        guard needVertical else { return RGBImage(width: crop.width, height: crop.height, pixels: temp) }

        // Vertical pass. [crop.height, crop.width, 3]
        var out = [UInt8](repeating: 0, count: crop.width * crop.height * 3)
        temp.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                vertical.weights.withUnsafeBufferPointer { kk in
                    let stride = tempWidth * 3
                    for yy in 0..<crop.height {
                        let k = kk.baseAddress! + yy * vertical.kernelSize
                        let y0 = vertical.first[yy] - rowsFirst
                        let o = dst.baseAddress! + yy * stride
                        for i in 0..<stride {
                            var acc = round
                            for y in 0..<vertical.count[yy] { acc &+= Int32(src[(y0 + y) * stride + i]) &* k[y] }
                            o[i] = clip8(acc)
                        }
                    }
                }
            }
        }
        return RGBImage(width: crop.width, height: crop.height, pixels: out)
    }
}
