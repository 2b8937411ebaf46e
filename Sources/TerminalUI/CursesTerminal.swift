import CNcursesw
import CTerminalGuard
import Dispatch
import Foundation
import Synchronization

/// The one file that talks to ncurses: sets the terminal up, reads keys (and the mouse),
/// copies the controller's grid to the screen, and restores the terminal on every way out.
public final class CursesTerminal {
    private var pairs: [Int64: Int32] = [:]
    private var nextPair: Int32 = 1
    private var maxPairs: Int32 = 0
    private var colorCount: Int32 = 0
    private var directColor = false
    private var signalSources: [DispatchSourceSignal] = []
    /// Set by the signal sources' handler (a dispatch queue), read by the input loop.
    private let stopRequested = Atomic<Bool>(false)
    /// Whether curses is up, for the atexit handler (which may run on any thread).
    private static let active = Atomic<Bool>(false)

    /// Whether a key was put back into ncurses' queue since the last read.
    private var putBack = false

    /// Puts a key read by `wget_wch` (its result and character) back into ncurses' queue.
    private func putBack(_ result: Int32, _ ch: wint_t) {
        if result == KEY_CODE_YES { ungetch(Int32(ch)) } else { unget_wch(wchar_t(bitPattern: ch)) }
        putBack = true
    }

    /// A driver; the terminal is taken over only by `run`.
    public init() {}

    /// Runs until the controller quits or a signal asks to stop; always restores the terminal.
    public func run(_ controller: SessionController) {
        setlocale(LC_ALL, "")
        // Leave the alternate screen, show the cursor, stop mouse reports: what endwin() and
        // mousemask(0) would send, for the crash handler that cannot call them.
        // Bracketed paste off too: ncurses knows nothing of it, so it is switched by hand.
        let restore = "\u{1B}[?2004l\u{1B}[?1000l\u{1B}[?1002l\u{1B}[?1006l\u{1B}[?1049l\u{1B}[?25h\r\n"
        _ = clip_guard_install(STDIN_FILENO, restore, restore.utf8.count)
        // A terminal that announces direct colour (COLORTERM=truecolor) but whose TERM's
        // terminfo has 256 colours gets that terminal's direct-colour entry, where one is
        // installed (ncurses-term): curses takes its colour count from terminfo alone.
        let env = ProcessInfo.processInfo.environment
        if env["COLORTERM"] == "truecolor" || env["COLORTERM"] == "24bit",
            let term = env["TERM"], let direct = Self.directColorEntry(for: term, environment: env),
            newterm(direct, clip_stdout(), clip_stdin()) != nil
        {
            // newterm made and selected the screen; nothing more to do.
        } else {
            initscr()
        }
        Self.active.store(true, ordering: .sequentiallyConsistent)
        atexit { if CursesTerminal.active.load(ordering: .sequentiallyConsistent) { CursesTerminal.bracketedPaste(false); endwin() } }
        defer { Self.bracketedPaste(false); endwin(); Self.active.store(false, ordering: .sequentiallyConsistent); clip_guard_disarm() }
        // The terminal wraps a paste in ESC[200~ … ESC[201~ (`readPaste`), so pasted text
        // is never taken for keys.
        Self.bracketedPaste(true)
        set_escdelay(25)  // a lone Esc is Esc after 25 ms, not after ncurses' default second
        raw()
        noecho()
        keypad(clip_stdscr(), true)
        nodelay(clip_stdscr(), false)
        wtimeout(clip_stdscr(), 30)
        curs_set(0)
        if has_colors() {
            start_color()
            use_default_colors()
            colorCount = clip_colors()
            maxPairs = clip_color_pairs()
        }
        directColor = colorCount >= 0x1000000
        var oldMask: mmask_t = 0
        mousemask(clip_mouse_button1() | clip_mouse_wheel_up() | clip_mouse_wheel_down(), &oldMask)
        mouseinterval(0)
        // SIGTERM and SIGHUP end the loop in order (autosave, then endwin).
        for sig in [SIGTERM, SIGHUP, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.stopRequested.store(true, ordering: .releasing) }
            source.resume()
            signalSources.append(source)
        }
        defer { for s in signalSources { s.cancel() } }

        // The engine's news wakes the loop through a pipe, so that scores are drawn when
        // they land, not at the next 30 ms look.
        let wake = WakePipe()
        if let wake { controller.onEngineChange { wake.signal() } }
        var previous: CellGrid?
        while !controller.state.quitting && !stopRequested.load(ordering: .acquiring) {
            controller.tick()
            let width = Int(getmaxx(clip_stdscr())), height = Int(getmaxy(clip_stdscr()))
            let grid = controller.render(width: width, height: height, directColor: directColor)
            draw(grid, previous: previous)
            previous = grid
            // Keys put back into ncurses' queue are not on stdin: read them at once.
            if let wake, !putBack {
                guard wake.waitForInput(fd: STDIN_FILENO, milliseconds: 30) else { continue }
            }
            putBack = false
            var ch: wint_t = 0
            let result = wget_wch(clip_stdscr(), &ch)
            if result == ERR { continue }
            if var key = translate(result: result, ch: ch) {
                if key == .resize { previous = nil; clearok(clip_stdscr(), true); continue }
                if controller.state.editing != nil || controller.state.prompt != nil { key = burst(after: key) }
                controller.handle(key, width: width, height: height)
            }
        }
        controller.saveNow()
    }

    /// `xterm-256color` → `xterm-direct`, `tmux-256color` → `tmux-direct`, if that entry is in
    /// a terminfo folder ncurses reads; else `xterm-direct` where it exists; nil otherwise.
    static func directColorEntry(for term: String, environment env: [String: String]) -> String? {
        guard !term.hasSuffix("-direct"), !term.contains("direct") else { return nil }
        let base = term.hasSuffix("-256color") ? String(term.dropLast(9)) : term
        var folders = [env["TERMINFO"], env["HOME"].map { $0 + "/.terminfo" }].compactMap { $0 }
        folders += (env["TERMINFO_DIRS"] ?? "").split(separator: ":").map(String.init)
        folders += ["/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo"]
        func installed(_ name: String) -> Bool {
            guard let first = name.unicodeScalars.first else { return false }
            let hex = String(first.value, radix: 16)
            return folders.contains { f in
                FileManager.default.fileExists(atPath: "\(f)/\(Character(first))/\(name)") || FileManager.default.fileExists(atPath: "\(f)/\(hex)/\(name)")
            }
        }
        return [base + "-direct", "xterm-direct"].first(where: installed)
    }

    static func bracketedPaste(_ on: Bool) {
        let sequence = on ? "\u{1B}[?2004h" : "\u{1B}[?2004l"
        _ = sequence.withCString { write(STDOUT_FILENO, $0, strlen($0)) }
    }

    /// Keys typed by a person are tens of milliseconds apart; a paste from a terminal
    /// without bracketed paste arrives as a burst. While a line is being edited, keys that
    /// follow within 3 ms of the last are gathered: two or more text keys (Enter counting
    /// as a newline) are a paste, taken as text, except a final Enter, which stays a key.
    /// Anything else ends the burst and is read again as a key.
    private func burst(after key: Key) -> Key {
        func text(_ k: Key) -> String? {
            switch k {
            case let .character(c): return String(c)
            case .enter: return "\n"
            case .tab: return " "
            default: return nil
            }
        }
        guard var gathered = text(key) else { return key }
        var count = 1
        wtimeout(clip_stdscr(), 3)
        defer { wtimeout(clip_stdscr(), 30) }
        while count < 100_000 {
            var ch: wint_t = 0
            let r = wget_wch(clip_stdscr(), &ch)
            if r == ERR { break }
            guard r != KEY_CODE_YES, ch != 27, let next = translate(result: r, ch: ch).flatMap(text) else {
                putBack(r, ch)
                break
            }
            gathered += next
            count += 1
        }
        guard count > 1 else { return key }
        // A burst that ends in Enter (text then Enter sent by a script, or a paste of
        // whole lines) keeps that last Enter a key: it ends the edit, as typed.
        if gathered.hasSuffix("\n") {
            gathered.removeLast()
            putBack(OK, 13)
        }
        return gathered.isEmpty ? key : .paste(gathered)
    }

    /// After ESC [ 2 0 0 ~: everything up to ESC [ 2 0 1 ~ is pasted text. A terminal that
    /// never ends the paste is given up on after a second of silence.
    private func readPaste() -> String {
        var scalars: [Unicode.Scalar] = []
        let end: [Unicode.Scalar] = ["\u{1B}", "[", "2", "0", "1", "~"]
        wtimeout(clip_stdscr(), 1000)
        defer { wtimeout(clip_stdscr(), 30) }
        while scalars.count < 1 << 20 {
            var ch: wint_t = 0
            let r = wget_wch(clip_stdscr(), &ch)
            if r == ERR { break }
            if r == KEY_CODE_YES { continue }  // a key code inside a paste is not text
            guard let scalar = Unicode.Scalar(UInt32(ch)) else { continue }
            scalars.append(scalar)
            if scalars.count >= end.count, Array(scalars.suffix(end.count)) == end {
                scalars.removeLast(end.count)
                break
            }
        }
        return String(String.UnicodeScalarView(scalars))
    }


    // MARK: - Keys

    private func translate(result: Int32, ch: wint_t) -> Key? {
        if result == KEY_CODE_YES {
            switch Int32(ch) {
            case KEY_UP: return .up
            case KEY_DOWN: return .down
            case KEY_LEFT: return .left
            case KEY_RIGHT: return .right
            case KEY_HOME: return .home
            case KEY_END: return .end
            case KEY_PPAGE: return .pageUp
            case KEY_NPAGE: return .pageDown
            case KEY_BACKSPACE: return .backspace
            case KEY_DC: return .delete
            case KEY_BTAB: return .backTab
            case KEY_ENTER: return .enter
            case KEY_RESIZE: return .resize
            case KEY_MOUSE:
                var event = MEVENT()
                guard getmouse(&event) == OK else { return nil }
                if event.bstate & clip_mouse_wheel_up() != 0 { return .mouseWheel(x: Int(event.x), y: Int(event.y), delta: -3) }
                if clip_mouse_wheel_down() != 0, event.bstate & clip_mouse_wheel_down() != 0 {
                    return .mouseWheel(x: Int(event.x), y: Int(event.y), delta: 3)
                }
                return .mouseClick(x: Int(event.x), y: Int(event.y))
            default: return nil
            }
        }
        switch ch {
        case 9: return .tab
        case 10, 13: return .enter
        case 27:
            // Alt-key sequences arrive as Esc and the key; a lone Esc times out.
            wtimeout(clip_stdscr(), 25)
            defer { wtimeout(clip_stdscr(), 30) }
            var next: wint_t = 0
            let r = wget_wch(clip_stdscr(), &next)
            if r == ERR { return .escape }
            if r == KEY_CODE_YES && Int32(next) == KEY_LEFT { return .altLeft }
            if r == KEY_CODE_YES && Int32(next) == KEY_RIGHT { return .altRight }
            if next == 127 || next == 8 { return .altBackspace }
            if r != KEY_CODE_YES && next == UInt32(UInt8(ascii: "b")) { return .altLeft }
            if r != KEY_CODE_YES && next == UInt32(UInt8(ascii: "f")) { return .altRight }
            if r != KEY_CODE_YES && next == UInt32(UInt8(ascii: "[")) {
                // ESC [ 2 0 0 ~ starts a bracketed paste; any other sequence is put back.
                var seen: [wint_t] = []
                for expected in "200~".unicodeScalars {
                    var c: wint_t = 0
                    let rc = wget_wch(clip_stdscr(), &c)
                    if rc == ERR { break }
                    if rc == KEY_CODE_YES { putBack(rc, c); break }
                    seen.append(c)
                    if c != expected.value { break }
                }
                if seen.count == 4, seen == "200~".unicodeScalars.map({ wint_t($0.value) }) { return .paste(readPaste()) }
                for c in seen.reversed() { putBack(OK, c) }
            }
            // Esc followed by an ordinary key: both count.
            putBack(r, next)
            return .escape
        case 127, 8: return .backspace
        case 1...26: return .control(Character(Unicode.Scalar(UInt8(ch) + 96)))
        default:
            guard let scalar = Unicode.Scalar(UInt32(ch)) else { return nil }
            return .character(Character(scalar))
        }
    }

    // MARK: - Drawing

    private func draw(_ grid: CellGrid, previous: CellGrid?) {
        let same = previous.map { $0.width == grid.width && $0.height == grid.height } ?? false
        if !same { werase(clip_stdscr()) }
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                let cell = grid[x, y]
                if same, previous![x, y] == cell { continue }
                if cell.isContinuation { continue }
                // The last cell of the screen scrolls the window on some terminals: skip it.
                if y == grid.height - 1 && x == grid.width - 1 { continue }
                var attrs: attr_t = 0
                if cell.style.bold { attrs |= clip_attr_bold() }
                if cell.style.reverse { attrs |= clip_attr_reverse() }
                if cell.style.dim { attrs |= clip_attr_dim() }
                var pair = pairFor(cell.style)
                wattr_set(clip_stdscr(), attrs, Int16(truncatingIfNeeded: min(pair, Int32(Int16.max))), &pair)
                var wide = Array(String(cell.character).unicodeScalars.map { wchar_t(bitPattern: $0.value) }) + [0]
                mvaddnwstr(Int32(y), Int32(x), &wide, Int32(wide.count - 1))
            }
        }
        wrefresh(clip_stdscr())
    }

    private func colorNumber(_ c: TerminalColor) -> Int32 {
        switch c {
        case .normal: return -1
        case let .ansi(n): return Int32(n)  // in a direct-colour entry too: values below 8 are the ANSI colours
        case let .rgb(r, g, b):
            // Below 8 a direct-colour entry means an ANSI colour, not RGB: the darkest blues
            // become 8 (invisible difference).
            if directColor { return max(8, Int32(r) << 16 | Int32(g) << 8 | Int32(b)) }
            if colorCount >= 256 {
                // xterm's 6×6×6 cube, or its grey ramp when the colour is grey.
                if r == g && g == b {
                    if r < 8 { return 16 }
                    if r > 248 { return 231 }
                    return 232 + Int32((Int(r) - 8) * 24 / 247)
                }
                let q = { (v: UInt8) -> Int32 in Int32((Int(v) * 5 + 127) / 255) }
                return 16 + 36 * q(r) + 6 * q(g) + q(b)
            }
            // Eight colours: the nearest corner of the RGB cube.
            return (r > 127 ? 1 : 0) | (g > 127 ? 2 : 0) | (b > 127 ? 4 : 0)
        }
    }

    private func pairFor(_ style: CellStyle) -> Int32 {
        guard colorCount > 0 else { return 0 }
        let fg = colorNumber(style.foreground), bg = colorNumber(style.background)
        if fg == -1 && bg == -1 { return 0 }
        let key = Int64(fg + 1) << 32 | Int64(bg + 1)
        if let p = pairs[key] { return p }
        if nextPair >= maxPairs {
            // Out of pairs (a big preview on a 256-pair terminal): start over.
            pairs.removeAll()
            nextPair = 1
        }
        let p = nextPair
        nextPair += 1
        init_extended_pair(p, fg, bg)
        pairs[key] = p
        return p
    }
}

/// A self-pipe: another thread's `signal` ends the input loop's wait for a key.
private final class WakePipe: Sendable {
    private let read: Int32, write: Int32

    init?() {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        (read, write) = (fds[0], fds[1])
    }

    deinit {
        close(read)
        close(write)
    }

    /// Wakes the waiter (a full pipe is awake already).
    func signal() {
        var byte: UInt8 = 1
        _ = Glibc.write(write, &byte, 1)
    }

    /// Waits up to `milliseconds` for input on `fd` or a signal; true when `fd` has input
    /// (or the wait was interrupted: a resize is read as a key), false otherwise.
    func waitForInput(fd: Int32, milliseconds: Int32) -> Bool {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: read, events: Int16(POLLIN), revents: 0)]
        let n = poll(&fds, 2, milliseconds)
        if n < 0 { return true }
        if fds[1].revents != 0 {
            var buffer = [UInt8](repeating: 0, count: 64)
            while Glibc.read(read, &buffer, buffer.count) > 0 {}
        }
        return fds[0].revents != 0
    }
}
