import ImageFuzzing

/// WebP through libwebp's animation decoder behind the C shim, then CLIP's preprocessing.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzImage(data, size, name: "fuzz.webp")
    return 0
}
