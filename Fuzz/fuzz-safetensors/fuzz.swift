import Foundation
import SafeTensors

/// The safetensors header and tensor table: open any bytes as a checkpoint and read every
/// tensor the table lists. Errors are expected; crashes, leaks and hangs are findings.
let path = "/dev/shm/clip-tui-fuzz-\(getpid()).safetensors"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    guard let file = try? SafeTensorsFile(path: path) else { return 0 }
    for info in file.tensors.values where info.elementCount <= 1 << 20 {
        _ = try? file.floats(info.name)
    }
    return 0
}
