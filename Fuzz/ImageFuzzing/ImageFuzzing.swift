import Foundation
import Imaging

/// What every image fuzz target does with its input: decode through `ImageDecoder` (which
/// picks the decoder by the first bytes), check the pixel count, and run CLIP's
/// preprocessing on what decoded.
public func fuzzImage(_ data: UnsafePointer<UInt8>, _ size: Int, name: String) {
    let bytes = Data(bytes: data, count: size)
    // A pixel limit small enough that the fuzzer cannot spend its time on huge allocations;
    // the limit itself is what is being exercised for larger headers.
    guard let image = try? ImageDecoder.decode(data: bytes, path: name, maxPixels: 1 << 22) else { return }
    precondition(image.pixels.count == image.width * image.height * 3)
    if image.width * image.height <= 1 << 16 {
        _ = Preprocessor(size: 32).pixelValues(image)
    }
}
