import Foundation
import Scoring

/// Any bytes as a webdataset shard: the tar headers listed (ustar, GNU long names, pax
/// paths), members grouped into samples, each sample's image and `.cls` read back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // The reader works on files (it seeks): one scratch file per process, rewritten per input.
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-tar-\(getpid()).tar").path
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size)) else { return 0 }
    guard let dataset = try? WebDataset(shards: [path]), let samples = try? dataset.samples() else { return 0 }
    for s in samples {
        precondition(s.image.offset >= 512 && s.image.offset + s.image.size <= Int64(size), "a member outside the file")
        _ = try? TarArchive.read(s.image, of: path)
    }
    return 0
}
