import Foundation
import Hub

/// The Hub's JSON answer (the file listing fetch-model trusts): any bytes through the
/// parser and the choice of files; every accepted name must stay inside the cache folder.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let info = try? HubRepoInfo.parse(Data(bytes: data, count: size), repo: "o/n", url: "fuzz") else { return 0 }
    precondition(info.commit.count == 40)
    for file in info.files {
        precondition(!file.name.hasPrefix("/") && !file.name.split(separator: "/").contains(".."))
    }
    _ = try? info.filesToFetch(repo: "o/n")
    return 0
}
