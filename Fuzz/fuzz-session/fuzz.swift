import Foundation
import TerminalUI

/// Session JSON: any bytes as a session file; what reads is turned into the session's
/// state and drawn at 80×24, so hostile strings (wide, combining, control) reach the views.
let path = "/dev/shm/clip-tui-fuzz-\(getpid())-session.json"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    guard let document = try? SessionDocument.read(path: path) else { return 0 }
    let grid = Screen(state: SessionState(document: document), snapshot: nil, preview: nil, header: "fuzz",
                      engineStatus: "", directColor: false).render(width: 80, height: 24)
    precondition(grid.text.split(separator: "\n", omittingEmptySubsequences: false).allSatisfy { TextWidth.columns(String($0)) == 80 })
    return 0
}
