import Foundation
import InputLimits

/// OpenAI CLIP's image transform: `Resize(size, BICUBIC)` of the short side,
/// `CenterCrop(size)`, `ToTensor`, `Normalize(mean, std)` (openai/CLIP `clip/clip.py`).
public struct Preprocessor: Sendable, Equatable {
    /// OpenAI's per-channel mean (R, G, B) of pixels scaled to 0…1.
    public static let clipMean: [Float] = [0.48145466, 0.4578275, 0.40821073]
    /// OpenAI's per-channel standard deviation (R, G, B).
    public static let clipStd: [Float] = [0.26862954, 0.26130258, 0.27577711]

    /// Short side after resizing.
    public let shortestEdge: Int
    /// Side of the square centre crop.
    public let cropSize: Int
    /// Subtracted per channel (R, G, B) from pixels scaled to 0…1.
    public let mean: [Float]
    /// Divided into each channel after the mean is taken off.
    public let std: [Float]
    /// How the image becomes a square of `cropSize`.
    public let resize: Resize
    /// PIL's filter for the resize (`resample` 3 or 2 in a preprocessor config).
    public var filter: ResampleFilter = .bicubic

    /// The geometric step before normalising.
    public enum Resize: Sendable, Equatable {
        /// The short side to `shortestEdge`, then a centre crop (OpenAI's, open_clip's "shortest").
        case shortestThenCrop
        /// Both sides to `cropSize`, the aspect ratio not kept, nothing cropped (open_clip's
        /// "squash", SigLIP's processors).
        case square
    }

    /// - Parameters: `size` is the short side after resizing, `cropSize` the square crop
    ///   (default `size`), `mean` and `std` three values each.
    public init(size: Int, cropSize: Int? = nil, mean: [Float] = Preprocessor.clipMean, std: [Float] = Preprocessor.clipStd) {
        shortestEdge = size
        self.cropSize = cropSize ?? size
        self.mean = mean
        self.std = std
        resize = .shortestThenCrop
    }

    /// A square resize to `squareSize × squareSize` with no crop (torchvision's
    /// `Resize((s, s))` on a PIL image: PIL's bicubic filter on each axis).
    public init(squareSize: Int, mean: [Float], std: [Float]) {
        shortestEdge = squareSize
        cropSize = squareSize
        self.mean = mean
        self.std = std
        resize = .square
    }

    /// SigLIP's processors' mean and standard deviation (transformers' `IMAGENET_STANDARD_*`).
    public static let halfMeanStd: [Float] = [0.5, 0.5, 0.5]

    /// Reads a Hugging Face `preprocessor_config.json` (`size`, `crop_size`, `image_mean`, `image_std`).
    /// - Parameter square: SigLIP's processors: `size` is both sides, nothing is cropped, and
    ///   the mean and std default to 0.5.
    public init(configPath: String, imageSize: Int, square: Bool = false) throws {
        guard let object = try? BoundedJSON.value(path: configPath), object.members != nil else {
            throw ImagingError.badPreprocessorConfig(path: configPath, reason: "not a JSON object")
        }
        func integer(_ v: JSONValue?) -> Int? {
            guard case let .number(d)? = v, d == d.rounded(), abs(d) < 1e9 else { return nil }
            return Int(d)
        }
        func side(_ key: String, _ inner: [String]) throws -> Int? {
            guard let value = object[key] else { return nil }
            if let n = integer(value) { return n }
            for k in inner { if let n = integer(value[k]) { return n } }
            throw ImagingError.badPreprocessorConfig(path: configPath, reason: "'\(key)' is neither a number nor {\(inner.joined(separator: "|")): n}")
        }
        func triple(_ key: String, _ fallback: [Float]) throws -> [Float] {
            guard let value = object[key] else { return fallback }
            let numbers = (value.array ?? []).compactMap { v -> Float? in if case let .number(d) = v { return Float(d) } else { return nil } }
            guard numbers.count == 3, value.array?.count == 3 else {
                throw ImagingError.badPreprocessorConfig(path: configPath, reason: "'\(key)' must be three numbers")
            }
            return numbers
        }
        var filter = ResampleFilter.bicubic
        if let resample = integer(object["resample"]) {
            guard let f = ResampleFilter(pilResample: resample) else {
                throw ImagingError.badPreprocessorConfig(
                    path: configPath, reason: "resample \(resample) is neither bicubic (3) nor bilinear (2), the filters clip-tui resizes with")
            }
            filter = f
        }
        if square {
            let height = try side("size", ["height", "shortest_edge"]) ?? imageSize
            let width = try side("size", ["width", "shortest_edge"]) ?? height
            guard height == width, height > 0 else {
                throw ImagingError.badPreprocessorConfig(path: configPath, reason: "size \(width)×\(height) is not a square")
            }
            let std = try triple("image_std", Self.halfMeanStd)
            guard std.allSatisfy({ $0 > 0 }) else { throw ImagingError.badPreprocessorConfig(path: configPath, reason: "std must be positive") }
            self.init(squareSize: height, mean: try triple("image_mean", Self.halfMeanStd), std: std)
            self.filter = filter
            return
        }
        let size = try side("size", ["shortest_edge", "height"]) ?? imageSize
        let crop = try side("crop_size", ["height", "shortest_edge"]) ?? imageSize
        let std = try triple("image_std", Self.clipStd)
        guard size > 0, crop > 0, crop <= size, std.allSatisfy({ $0 > 0 }) else {
            throw ImagingError.badPreprocessorConfig(path: configPath, reason: "sizes must be positive, crop ≤ size, std > 0")
        }
        self.init(size: size, cropSize: crop, mean: try triple("image_mean", Self.clipMean), std: std)
        self.filter = filter
    }

    /// The resized and centre-cropped 8-bit pixels (`cropSize × cropSize`).
    public func crop(_ image: RGBImage) -> RGBImage {
        if resize == .square {
            return PILResampler.resize(image, width: cropSize, height: cropSize, crop: (0, 0, cropSize, cropSize), filter: filter)
        }
        let (w, h) = (image.width, image.height)
        let short = min(w, h), long = max(w, h)
        // Python: int(size * long / short), a true division then truncation.
        let newLong = Int(Double(shortestEdge * long) / Double(short))
        let (nw, nh) = w <= h ? (shortestEdge, newLong) : (newLong, shortestEdge)
        // torchvision: int(round((side - size) / 2.0)), half to even.
        let top = Int((Double(nh - cropSize) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(nw - cropSize) / 2).rounded(.toNearestOrEven))
        return PILResampler.resize(
            image, width: nw, height: nh,
            crop: (left: left, top: top, width: cropSize, height: cropSize), filter: filter)
    }

    /// `[3, cropSize, cropSize]` floats, `(v / 255 − mean) / std`, channel-major.
    public func pixelValues(_ image: RGBImage) -> [Float] {
        normalize(crop(image))
    }

    /// A cropped image as the model's input: `[3, height, width]` floats, channel-major,
    /// `(pixel / 255 - mean) / std`.
    public func normalize(_ cropped: RGBImage) -> [Float] {
        let plane = cropped.width * cropped.height
        var out = [Float](repeating: 0, count: 3 * plane)
        cropped.pixels.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { o in
                for c in 0..<3 {
                    let m = mean[c], s = std[c]
                    for i in 0..<plane { o[c * plane + i] = (Float(px[i * 3 + c]) / 255 - m) / s }
                }
            }
        }
        return out
    }
}
