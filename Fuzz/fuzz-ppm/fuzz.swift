import ImageFuzzing

/// PPM/PGM/PBM, plain and binary, through the Swift decoder, then CLIP's preprocessing.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzImage(data, size, name: "fuzz.ppm")
    return 0
}
