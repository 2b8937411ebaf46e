import ImageFuzzing

/// PNG through libpng behind the C shim's error handling, then CLIP's preprocessing.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzImage(data, size, name: "fuzz.png")
    return 0
}
