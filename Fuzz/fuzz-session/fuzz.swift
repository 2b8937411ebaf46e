import Foundation
import TerminalUI

/// Session JSON: any bytes as a session file; what reads is turned into the session's
/// state and drawn at 80×24, so hostile strings (wide, combining, control) reach the views.
let path = "/dev/shm/clip-tui-fuzz-\(getpid())-session.json"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    guard let document = try? SessionDocument.read(path: path) else { return 0 }
    let grid = Screen(
        state: SessionState(document: document), snapshot: nil, preview: nil, header: "fuzz",
        engineStatus: "", directColor: false
    ).render(width: 80, height: 24)
    // Every row fills exactly 80 terminal columns: each cell holds one character of width 1,
    // or of width 2 followed by its continuation cell, and no control character.
    for y in 0..<24 {
        var x = 0
        while x < 80 {
            let cell = grid[x, y]
            precondition(!cell.isContinuation, "row \(y) column \(x): a continuation without its wide character")
            precondition(cell.character.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F })
            let w = TextWidth.columns(cell.character)
            precondition(w == 1 || w == 2, "row \(y) column \(x): \(cell.character.unicodeScalars.map(\.value)) has width \(w)")
            if w == 2 { precondition(x + 1 < 80 && grid[x + 1, y].isContinuation, "row \(y) column \(x): wide character without continuation") }
            x += w
        }
    }
    return 0
}
