import ImageFuzzing

/// GIF through giflib's record API behind the C shim, then CLIP's preprocessing.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzImage(data, size, name: "fuzz.gif")
    return 0
}
