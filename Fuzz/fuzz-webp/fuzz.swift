import Foundation
import Imaging

/// WebP (libwebp's animation decoder behind the C shim) decoding through `ImageDecoder`, then CLIP's preprocessing of whatever decoded.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    // A pixel limit small enough that the fuzzer cannot spend its time on huge allocations;
    // the limit itself is what is being exercised for larger headers.
    guard let image = try? ImageDecoder.decode(data: bytes, path: "fuzz.webp", maxPixels: 1 << 22) else { return 0 }
    precondition(image.pixels.count == image.width * image.height * 3)
    if image.width * image.height <= 1 << 16 {
        _ = Preprocessor(size: 32).pixelValues(image)
    }
    return 0
}
