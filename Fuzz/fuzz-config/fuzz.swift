import CLIP
import Foundation

/// `config.json`: any bytes through the loader and its validation.
let path = "/dev/shm/clip-tui-fuzz-\(getpid())-config.json"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    _ = try? CLIPConfig.load(path: path)
    return 0
}
