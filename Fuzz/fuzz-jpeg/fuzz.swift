import ImageFuzzing

/// JPEG through libjpeg behind the C shim's error handling (CMYK and YCCK included), then CLIP's preprocessing.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzImage(data, size, name: "fuzz.jpeg")
    return 0
}
