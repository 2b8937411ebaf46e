import Foundation
import Scoring

/// Draws the whole screen into a grid from the state, the latest scores and the preview.
/// No arithmetic on scores happens here beyond formatting them.
public struct Screen {
    public var state: SessionState
    public var snapshot: ScoreSnapshot?
    public var preview: PreviewImage?
    /// Title-bar facts: the model, the images folder, the encoding and cache state.
    public var header: String
    public var engineStatus: String
    public var directColor: Bool
    /// Scores for a newer edit are on their way: the figures shown are dimmed.
    public var pending: Bool
    /// Why there are no images (a folder that has gone), shown in their pane.
    public var imagesProblem: String?
    /// Files of the folder that could not be read (their reasons are on the status line).
    public var skippedImages: Int
    /// The snapshot's images as the state's filter, sort, class and search list them:
    /// computed once per result and query by the controller, only read here.
    public var visible: [Int]

    /// - Parameter visible: the listed images' indices into the snapshot (nil: computed
    ///   here from the state, as screen tests do).
    public init(
        state: SessionState, snapshot: ScoreSnapshot?, preview: PreviewImage?, header: String,
        engineStatus: String, directColor: Bool, pending: Bool = false, imagesProblem: String? = nil,
        skippedImages: Int = 0, visible: [Int]? = nil
    ) {
        self.visible =
            visible
            ?? snapshot?.visibleImages(filter: state.filter, sort: state.sort, search: state.search, classFilter: state.classFilter) ?? []
        self.state = state; self.snapshot = snapshot; self.preview = preview
        self.header = header; self.engineStatus = engineStatus; self.directColor = directColor
        self.pending = pending
        self.imagesProblem = imagesProblem
        self.skippedImages = skippedImages
    }

    static let frame = CellStyle(foreground: .ansi(6))
    static let focused = CellStyle(foreground: .ansi(3), bold: true)
    static let selected = CellStyle(reverse: true)
    static let good = CellStyle(foreground: .ansi(2))
    static let bad = CellStyle(foreground: .ansi(1))
    static let muted = CellStyle(dim: true)

    public func render(width: Int, height: Int) -> CellGrid {
        var g = CellGrid(width: width, height: height)
        guard let layout = Layout(width: width, height: height, state: state) else {
            let lines = [
                "clip-tui needs at least \(Layout.minimumWidth)×\(Layout.minimumHeight) cells;",
                "this terminal is \(width)×\(height). Make it larger, or press q to quit."
            ]
            for (i, l) in lines.enumerated() { g.put(l, x: 0, y: min(height - 1, i), maxX: width) }
            return g
        }
        g.fill(x: 0, y: 0, width: width, height: 1, style: Self.selected)
        g.put(" clip-tui  " + header, x: 0, y: 0, style: Self.selected, maxX: width)
        if let r = layout.panes[.images] { drawImages(&g, r) }
        for pane in [Pane.labels, .templatesA, .templatesB] { if let r = layout.panes[pane] { drawLines(&g, pane, r) } }
        if let r = layout.preview { drawPreview(&g, r) }
        if let r = layout.scores { drawScores(&g, r) }
        drawSummary(&g, layout.summary)
        drawStatus(&g, layout.status)
        if state.classView != nil { drawClasses(&g, width: width, height: height) }
        if state.leaderboardView != nil { drawLeaderboard(&g, width: width, height: height) }
        if state.chooser != nil { drawChooser(&g, width: width, height: height) }
        if state.promptsView != nil { drawPrompts(&g, width: width, height: height) }
        if state.showHelp { drawHelp(&g, width: width, height: height) }
        return g
    }

    // MARK: - Frames

    func box(_ g: inout CellGrid, _ r: Rect, title: String, focused: Bool) {
        let style = focused ? Self.focused : Self.frame
        g.put("┌" + String(repeating: "─", count: max(0, r.width - 2)) + "┐", x: r.x, y: r.y, style: style)
        for y in (r.y + 1)..<(r.y + r.height - 1) {
            g.put("│", x: r.x, y: y, style: style)
            g.put("│", x: r.x + r.width - 1, y: y, style: style)
        }
        g.put("└" + String(repeating: "─", count: max(0, r.width - 2)) + "┘", x: r.x, y: r.y + r.height - 1, style: style)
        g.put(" \(title) ", x: r.x + 2, y: r.y, style: style, maxX: r.x + r.width - 1)
    }

    func scrolled(_ row: Int, count: Int, visible: Int) -> Int {
        guard count > visible else { return 0 }
        return max(0, min(row - visible / 2, count - visible))
    }

    func pct(_ x: Double?) -> String { x.map { String(format: "%.0f%%", 100 * $0) } ?? "–" }

    // MARK: - Panes

    private func drawImages(_ g: inout CellGrid, _ r: Rect) {
        let skipped = skippedImages > 0 ? " · \(skippedImages) skipped (!)" : ""
        let order =
            (state.classFilter.map { "\($0), " } ?? "")
            + (state.search.map { "by match to '\($0.query)'" } ?? "by \(state.sort.label)")
        box(
            &g, r, title: "Images \(visible.count)\(skipped)  [\(state.filter.rawValue), \(order)]",
            focused: state.focus == .images)
        guard let s = snapshot else {
            if let problem = imagesProblem {
                // Wrapped over the pane's rows: the path and the reason must both show.
                let width = max(1, r.width - 4)
                var rest = Substring(problem), y = r.y + 1
                while !rest.isEmpty && y < r.y + r.height - 1 {
                    let line = TextWidth.prefix(String(rest), fitting: width)
                    g.put(line, x: r.x + 2, y: y, style: Self.bad, maxX: r.x + r.width - 1)
                    rest = rest.dropFirst(max(1, line.count))
                    y += 1
                }
            } else {
                g.put("encoding…", x: r.x + 2, y: r.y + 1, style: Self.muted, maxX: r.x + r.width - 1)
            }
            return
        }
        let inner = r.height - 2
        if visible.isEmpty && !s.images.isEmpty {
            // A filter that leaves nothing says so, and how to get the images back.
            let why = state.filter.emptyMessage + (state.classFilter.map { " of class \($0)" } ?? "")
            let back = state.filter != .all ? "f shows the next filter" : "Esc shows every class"
            let lines = (TextWidth.wrap(why, width: r.width - 3) + TextWidth.wrap(back, width: r.width - 3)).prefix(inner)
            for (k, line) in lines.enumerated() { g.put(line, x: r.x + 2, y: r.y + 1 + k, style: Self.muted, maxX: r.x + r.width - 1) }
            return
        }
        let top = scrolled(state.row(.images), count: visible.count, visible: inner)
        let names = s.classNames
        for (k, i) in visible.dropFirst(top).prefix(inner).enumerated() {
            let row = s.images[i]
            let y = r.y + 1 + k
            let isSelected = top + k == state.row(.images)
            let base = isSelected ? Self.selected : CellStyle.plain
            g.fill(x: r.x + 1, y: y, width: r.width - 2, height: 1, style: base)
            let mark = { (right: Bool?) -> (String, CellStyle) in
                switch right {
                case true?: return ("✓", isSelected ? base : Self.good)
                case false?: return ("✗", isSelected ? base : Self.bad)
                case nil: return ("·", base)
                }
            }
            let (ma, sa) = mark(row.rightA), (mb, sb) = mark(row.rightB)
            var x = g.put(ma, x: r.x + 1, y: y, style: sa)
            x = g.put(mb, x: x, y: y, style: sb)
            let pa = row.predA.map { names[$0] } ?? "–", pb = row.predB.map { names[$0] } ?? "–"
            // A truth whose class is not a label now is unlabelled: shown as "?name".
            let truth = row.truth.map { names[$0] } ?? "?" + (row.truthName ?? "")
            // With a search, each row starts with its cosine to the query.
            let match = state.search.flatMap { i < $0.scores.count ? String(format: " %.2f", $0.scores[i]) : nil } ?? ""
            // What gives way when the row is narrow: the file name first (the preview's title
            // has it), then the predictions that are right (the ✓ says them), then the
            // truth's end; a wrong prediction is what the row is for.
            let name = WebDataset.shortName(row.name)
            let predictions = "A:\(pa)\(pa == pb ? "" : " B:\(pb)")"
            let room = r.x + r.width - 1 - x
            var text = "\(match) \(name)  \(truth) → \(predictions)"
            if TextWidth.columns(text) > room { text = "\(match) \(truth) → \(predictions)" }
            if TextWidth.columns(text) > room, row.truth != nil {
                let wrongA = row.rightA == false, wrongB = row.rightB == false
                let wrong =
                    wrongA && wrongB && pa == pb
                    ? "A,B:\(pa)"
                    : [wrongA ? "A:\(pa)" : nil, wrongB ? "B:\(pb)" : nil].compactMap { $0 }.joined(separator: " ")
                let tail = wrong.isEmpty ? "" : " " + wrong
                let truthRoom = room - TextWidth.columns(match) - 1 - TextWidth.columns(tail)
                let shortTruth =
                    truthRoom >= TextWidth.columns(truth)
                    ? truth
                    : (truthRoom > 1 ? TextWidth.prefix(truth, fitting: truthRoom - 1) + "…" : "")
                text = "\(match) \(shortTruth)\(tail)"
            }
            g.put(text, x: x, y: y, style: base, maxX: r.x + r.width - 1)
        }
    }

    private func drawLines(_ g: inout CellGrid, _ pane: Pane, _ r: Rect) {
        let lines = state.lines(pane)
        let title = pane == .labels ? pane.title : templatesTitle(pane, width: r.width)
        box(&g, r, title: title, focused: state.focus == pane)
        let set: Int? = pane == .templatesA ? 0 : (pane == .templatesB ? 1 : nil)
        let inner = r.height - 2
        let cursor = state.row(pane)
        let top = scrolled(cursor, count: lines.count, visible: inner)
        let right = r.x + r.width - 1
        for (k, line) in lines.dropFirst(top).prefix(inner).enumerated() {
            let i = top + k, y = r.y + 1 + k
            let isCursor = i == cursor && state.focus == pane
            let editing = isCursor && state.editing != nil
            var info = ""
            var infoStyle = Self.muted
            // A class with its own sentences (CuPL) says so: they replace the templates.
            if pane == .labels, let name = line.split(separator: "|").first?.trimmingCharacters(in: .whitespaces),
                let n = state.document.classSentences?[name]?.count, n > 0
            {
                info = "\(n) sentences"
            }
            // Figures by the line's text: a line the engine has not seen yet shows "…".
            if let set, let t = snapshot?.templateRow(set: set, line: line) {
                if let w = t.warning { info = "⚠ \(w) "; infoStyle = Self.bad }
                info += t.tokens.map { "\($0)t" } ?? "…"
                if let a = t.accuracy { info += " \(pct(a))" }
                if let l = t.leaveOneOut { info += String(format: " %+.0f", 100 * l) }
                if let w = t.weight { info += String(format: " w%.2f", w) }
            }
            let infoWidth = TextWidth.columns(info)
            let textRight = right - (info.isEmpty ? 0 : infoWidth + 1)
            let style = isCursor && !editing ? Self.selected : CellStyle.plain
            g.fill(x: r.x + 1, y: y, width: r.width - 2, height: 1, style: style)
            var shown = editing ? state.editing!.text : line
            var cursorColumn = editing ? state.editing!.cursorColumn : 0
            // A line longer than the pane scrolls so that the cursor stays on screen: the
            // columns before it are dropped, whole characters at a time.
            let visible = textRight - (r.x + 1)
            if editing, visible > 1, cursorColumn >= visible {
                var dropped = 0, rest = Substring(shown)
                while dropped < cursorColumn - visible + 1, let c = rest.first {
                    dropped += TextWidth.columns(String(c))
                    rest = rest.dropFirst()
                }
                shown = String(rest)
                cursorColumn -= dropped
            }
            g.put(
                shown.isEmpty && !editing ? "(empty)" : shown, x: r.x + 1, y: y,
                style: shown.isEmpty && !editing ? Self.muted : style, maxX: textRight)
            if !info.isEmpty { g.put(info, x: right - infoWidth, y: y, style: isCursor && !editing ? Self.selected : infoStyle) }
            if editing {
                let cx = r.x + 1 + cursorColumn
                if cx < textRight {
                    var cell = g[cx, y]
                    cell.style = Self.selected
                    g.set(x: cx, y: y, cell)
                }
            }
        }
        if lines.isEmpty {
            g.put("(empty: a adds a line)", x: r.x + 2, y: r.y + 1, style: Self.muted, maxX: right)
        }
    }

    /// A Templates pane's title: its set (and model), then top-1, NLL and ECE. The figures
    /// are what `t`/`T` move, so the names give way first: "Templates A" becomes "A", the
    /// set's name is shortened (keeping its end), then dropped.
    private func templatesTitle(_ pane: Pane, width: Int) -> String {
        let doc = state.document
        let role = pane == .templatesA ? "A" : "B"
        let setName = pane == .templatesA ? doc.nameA : doc.nameB
        // With several models the pane says whose candidate it is.
        let name =
            doc.models.count > 1
            ? Reducer.describe(doc, pane == .templatesA ? doc.candidateA : doc.candidateB)
            : (setName == role ? "" : setName)
        var figures = ""
        let partial = pane == .templatesA ? snapshot?.partialA : snapshot?.partialB
        if let partial, partial.scored == 0 {
            // A cold open: this set's first template is not encoded yet.
            figures = "0/\(partial.of) templates"
        } else if let m = snapshot?.summary {
            figures = "top-1 \(pct(pane == .templatesA ? m.top1A : m.top1B))"
            // Scores from the templates encoded so far, on the way to the full ensemble.
            if let partial { figures += " \(partial.scored)/\(partial.of) templates" }
            // Calibration comes with the statistics stage.
            if let full = pane == .templatesA ? snapshot?.metricsA : snapshot?.metricsB {
                figures += String(format: " NLL %.2f ECE %.2f", full.nll, full.ece)
            }
        }
        if let method = doc.sets[pane == .templatesA ? doc.setA : doc.setB].weighting { figures += " · w \(method.rawValue)" }
        let room = width - 5  // the corners and a space either side
        func titled(_ head: String, _ name: String?) -> String {
            head + (name.map { " (\($0))" } ?? "") + (figures.isEmpty ? "" : "  " + figures)
        }
        if name.isEmpty { return [titled(pane.title, nil), titled(role, nil)].first { TextWidth.columns($0) <= room } ?? titled(role, nil) }
        for head in [pane.title, role] where TextWidth.columns(titled(head, name)) <= room { return titled(head, name) }
        let spare = room - TextWidth.columns(titled(role, ""))
        // Shortened as the leaderboard shortens names: a set keeps its end ("…singular.txt").
        if spare >= 6 { return titled(role, Self.fit(name, spare, modelWidth: 8)) }
        return titled(role, nil)
    }

    private func selectedImage() -> ScoreSnapshot.ImageRow? { selectedIndex().map { snapshot!.images[$0] } }

    private func selectedIndex() -> Int? {
        guard snapshot != nil else { return nil }
        let r = state.row(.images)
        return r < visible.count ? visible[r] : nil
    }

    private func drawPreview(_ g: inout CellGrid, _ r: Rect) {
        let name = selectedImage().map { WebDataset.shortName($0.name) } ?? "Preview"
        box(&g, r, title: name, focused: false)
        guard let p = preview, p.width > 0, p.height > 0 else { return }
        let w = r.width - 2, h = r.height - 2
        let offsetX = r.x + 1 + max(0, (w - p.width) / 2)
        for ty in 0..<min(h, (p.height + 1) / 2) {
            for tx in 0..<min(w, p.width) {
                func pixel(_ py: Int) -> TerminalColor {
                    guard py < p.height else { return .normal }
                    let i = (py * p.width + tx) * 3
                    return .rgb(p.pixels[i], p.pixels[i + 1], p.pixels[i + 2])
                }
                // Upper half block: foreground is the top pixel, background the bottom one.
                g.set(
                    x: offsetX + tx, y: r.y + 1 + ty,
                    Cell(character: "▀", style: CellStyle(foreground: pixel(2 * ty), background: pixel(2 * ty + 1))))
            }
        }
    }

    private func drawScores(_ g: inout CellGrid, _ r: Rect) {
        let inner = r.height - 2, right = r.x + r.width - 1
        let focused = state.focus == .scores
        guard let s = snapshot, let index = selectedIndex(), !s.classNames.isEmpty else {
            box(&g, r, title: "Scores  A │ B", focused: focused)
            return
        }
        // Every class, most probable first; the pane scrolls with its cursor (Tab to it).
        let count = s.classNames.count
        let cursor = min(state.row(.scores), count - 1)
        let top = scrolled(cursor, count: count, visible: inner)
        // The rule says how to read the figures: a sigmoid's do not sum to 100% (SigLIP).
        let place = count > inner ? "\(top + 1)–\(min(count, top + inner))/\(count)" : ""
        // Two models: each column's model and rule (a softmax's and a sigmoid's figures
        // read differently); one model: its rule. The fullest form that fits, the rule kept
        // before the pane's name.
        let doc = state.document
        func kind(_ rule: ScoreRule) -> String { String(rule.shortDescription.prefix { $0 != "(" }) }
        let rules: [String]
        if doc.models.count > 1 {
            let modelA = Self.modelName(doc, doc.candidateA), modelB = Self.modelName(doc, doc.candidateB)
            rules = [
                "A \(modelA) \(s.rule.shortDescription) │ B \(modelB) \(s.ruleB.shortDescription)",
                "A \(s.rule.shortDescription) │ B \(s.ruleB.shortDescription)",
                "A \(kind(s.rule)) │ B \(kind(s.ruleB))"
            ]
        } else {
            rules = [s.rule.description, s.rule.shortDescription, kind(s.rule)]
        }
        let heads = doc.models.count > 1 ? ["Scores", ""] : ["Scores  A │ B", "A │ B"]
        let forms =
            heads.flatMap { head in rules.map { [head, place, $0].filter { !$0.isEmpty }.joined(separator: "  ") } }
            + [[heads[1], place, rules.last!].filter { !$0.isEmpty }.joined(separator: " "), [heads[0], place].filter { !$0.isEmpty }.joined(separator: "  ")]
        let title = forms.first { TextWidth.columns($0) + 5 <= r.width } ?? forms.last!
        box(&g, r, title: title, focused: focused)
        let order = Array(s.classScores(index).dropFirst(top).prefix(inner))
        // After the name: two bars, two " 97%" (5 columns each, a space after), and the
        // difference, up to "+100". The name gives way first, so the difference is never cut;
        // a space ends the name, so it does not run into its bar. Names come before bars:
        // bars (3 cells each at least) are drawn only where the shown names fit beside them.
        let fixed = 16, columns = r.width - 2
        let longest = order.map { TextWidth.columns($0.name) }.max() ?? 0
        let wanted = longest + 2  // the ▸ mark and a space
        var nameWidth: Int, barWidth: Int
        if wanted + fixed + 6 <= columns {
            nameWidth = max(wanted, min(14, columns - fixed - 6))
            barWidth = (columns - nameWidth - fixed) / 2
        } else {
            nameWidth = max(4, min(wanted, columns - fixed))
            barWidth = 0
        }
        for (k, c) in order.enumerated() {
            let y = r.y + 1 + k
            let isTruth = c.isTruth
            if focused && top + k == cursor { g.fill(x: r.x + 1, y: y, width: r.width - 2, height: 1, style: Self.selected) }
            var x = g.put(
                (isTruth ? "▸" : " ") + TextWidth.prefix(c.name, fitting: nameWidth - 2), x: r.x + 1, y: y,
                style: focused && top + k == cursor ? Self.selected : (isTruth ? Self.focused : .plain), maxX: r.x + 1 + nameWidth)
            x = r.x + 1 + nameWidth
            for (p, style) in [(c.probabilityA, Self.good), (c.probabilityB, CellStyle(foreground: .ansi(4)))] {
                if barWidth > 0 {
                    let filled = Int((p * Float(barWidth)).rounded())
                    g.put(
                        String(repeating: "█", count: filled) + String(repeating: "·", count: barWidth - filled), x: x, y: y,
                        style: style, maxX: right)
                    x += barWidth
                }
                // " 97%" and a space: "%4.0f" pads, so the figures never touch the name.
                x = g.put(String(format: "%4.0f%%", 100 * p), x: x, y: y, maxX: right) + 1
            }
            let d = c.difference
            g.put(
                String(format: "%+.0f", 100 * d), x: x, y: y, style: abs(d) >= 0.01 ? (d > 0 ? Self.good : Self.bad) : Self.muted,
                maxX: right)
        }
    }

    /// A candidate's model by its folder's name.
    static func modelName(_ d: SessionDocument, _ c: Int) -> String {
        let m = d.candidate(c).model
        return d.models[m].map(CandidateBoard.shortName) ?? "default"
    }

    private func drawSummary(_ g: inout CellGrid, _ r: Rect) {
        // From the fullest form to the shortest: the engine's state ("scored in", "encoding
        // N/M", "scoring…") must stay on screen at 80 columns, so the figures give way first.
        var forms: [String] = [""]
        let noneYet = [("A", snapshot?.partialA), ("B", snapshot?.partialB)].filter { $0.1?.scored == 0 }
        if let c = snapshot?.summary, !noneYet.isEmpty {
            // A cold open with a set none of whose templates is encoded yet: no comparison.
            let scored = [("A", c.top1A, snapshot?.partialA), ("B", c.top1B, snapshot?.partialB)].filter { $0.2?.scored != 0 }
            let figures = scored.map { String(format: "%@ %.1f%% (%d/%d templates)", $0.0, 100 * $0.1, $0.2?.scored ?? 0, $0.2?.of ?? 0) }
            let waiting = noneYet.map { "\($0.0) waits for its first template" }
            forms = [
                (figures + waiting).joined(separator: "  "), (scored.map { String(format: "%@ %.1f%%", $0.0, 100 * $0.1) } + waiting).joined(separator: "  ")
            ]
        } else if let c = snapshot?.summary {
            // The bootstrap interval comes with the second stage: "…" until then.
            let d = snapshot?.comparison?.difference
            let interval = d.map { String(format: "[%+.1f, %+.1f]", 100 * $0.low, 100 * $0.high) } ?? "[…]"
            let head = String(
                format: "A %.1f%% [%.0f–%.0f]  B %.1f%% [%.0f–%.0f]  B−A %+.1f ",
                100 * c.top1A, 100 * c.intervalA.low, 100 * c.intervalA.high,
                100 * c.top1B, 100 * c.intervalB.low, 100 * c.intervalB.high, 100 * (c.top1B - c.top1A))
            let p = String(format: "  McNemar p=%.3g", c.mcnemar.pValue)
            let flips = String(format: "  flips %d→B %d→A", c.mcnemar.onlyB, c.mcnemar.onlyA)
            let short = String(format: "A %.1f%%  B %.1f%%  B−A %+.1f ", 100 * c.top1A, 100 * c.top1B, 100 * (c.top1B - c.top1A))
            let shortInterval = d.map { String(format: "[%+.0f,%+.0f]", 100 * $0.low, 100 * $0.high) } ?? "[…]"
            forms = [
                head + interval + p + flips, head + interval + p, short + interval + p, short + shortInterval + String(format: " p=%.2g", c.mcnemar.pValue),
                short
            ]
        } else if snapshot != nil {
            forms = ["no labelled images under these labels: put them in class subfolders for accuracy", "no labelled images"]
        }
        let temperature = state.document.temperature.map { String(format: "T %.2f  ", $0) } ?? ""
        let status = "   \(engineStatus)"
        let text =
            forms.first { TextWidth.columns(temperature + $0 + status) <= r.width }
            ?? forms.last!
        // Old figures are dimmed while a newer edit is scored; the status says how far it is.
        let figures = g.put(temperature + text, x: r.x, y: r.y, style: pending ? Self.muted : Self.frame, maxX: r.x + r.width)
        g.put(status, x: figures, y: r.y, style: Self.frame, maxX: r.x + r.width)
    }

    private func drawStatus(_ g: inout CellGrid, _ r: Rect) {
        if let p = state.prompt {
            let x = g.put(p.label, x: r.x, y: r.y, style: Self.focused)
            // A suggestion shows selected: typing replaces it.
            g.put(p.editor.text, x: x, y: r.y, style: p.prefilled ? Self.selected : .plain, maxX: r.x + r.width)
            let cx = x + p.editor.cursorColumn
            if cx < r.width { var cell = g[cx, r.y]; cell.style = Self.selected; g.set(x: cx, y: r.y, cell) }
            return
        }
        let hint = state.editing != nil ? "editing: Enter keeps, Esc restores" : "? help  Tab pane  Enter edit  q quit"
        let x = g.put(state.status, x: r.x, y: r.y, maxX: r.x + r.width)
        let hx = max(x + 2, r.x + r.width - 1 - TextWidth.columns(hint))
        g.put(hint, x: hx, y: r.y, style: Self.muted, maxX: r.x + r.width)
    }

    /// The per-class view: recall under A and B per class, by B − A, and the most confused
    /// pairs of each set, by name.
    private func drawClasses(_ g: inout CellGrid, width: Int, height: Int) {
        let r = Rect(x: 1, y: 1, width: width - 2, height: height - 3)
        g.fill(x: r.x, y: r.y, width: r.width, height: r.height)
        let listed = snapshot?.classRows?.count ?? 0
        let cursorAt = min(state.classView ?? 0, max(0, listed - 1))
        let place = listed > 0 ? " · \(cursorAt + 1)/\(listed)" : ""
        box(&g, r, title: "Classes: recall under A and B, by B − A\(place) · Enter shows a class's images · Esc closes", focused: true)
        guard let rows = snapshot?.classRows else {
            g.put(
                snapshot?.summary == nil ? "no labelled images under these labels" : "computing the per-class figures…",
                x: r.x + 2, y: r.y + 1, style: Self.muted, maxX: r.x + r.width - 1)
            return
        }
        let pairs = min(5, max(0, (r.height - 2) / 4))
        let listHeight = r.height - 2 - (pairs > 0 ? pairs + 2 : 0)
        let cursor = min(state.classView ?? 0, max(0, rows.count - 1))
        let top = scrolled(cursor, count: rows.count, visible: listHeight)
        let nameWidth = max(12, min(40, r.width - 36))
        func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        let header = "class" + String(repeating: " ", count: nameWidth - 5) + right("images", 8) + right("A", 7) + right("B", 7) + right("B−A", 7)
        g.put(header, x: r.x + 2, y: r.y + 1, style: Self.muted, maxX: r.x + r.width - 1)
        for (k, row) in rows.dropFirst(top).prefix(max(0, listHeight - 1)).enumerated() {
            let y = r.y + 2 + k
            let style = top + k == cursor ? Self.selected : CellStyle.plain
            g.fill(x: r.x + 1, y: y, width: r.width - 2, height: 1, style: style)
            let name = TextWidth.prefix(row.name, fitting: nameWidth)
            let figures =
                right("\(row.images)", 8) + right(pct(row.recallA), 7) + right(pct(row.recallB), 7)
                + right(row.difference.map { String(format: "%+.0f", 100 * $0) } ?? "–", 7)
            let x = g.put(name, x: r.x + 2, y: y, style: style, maxX: r.x + r.width - 1)
            g.put(
                String(repeating: " ", count: max(0, nameWidth - TextWidth.columns(name))) + figures, x: x, y: y,
                style: style, maxX: r.x + r.width - 1)
        }
        guard pairs > 0, let s = snapshot else { return }
        let y0 = r.y + 1 + listHeight + 1
        g.put("most confused (true → predicted)", x: r.x + 2, y: y0, style: Self.focused, maxX: r.x + r.width - 1)
        let half = (r.width - 4) / 2
        for (column, set) in ["A", "B"].enumerated() {
            for (k, p) in s.confusedPairs(Character(set), limit: pairs).enumerated() {
                g.put(
                    "\(set): \(p.0) → \(p.1) ×\(p.2)", x: r.x + 2 + column * half, y: y0 + 1 + k,
                    maxX: r.x + 2 + (column + 1) * half - 1)
            }
        }
    }

    /// The prompts view: each prompt with its token count, ⚠ where the model's context cut it,
    /// and the token ids under it when asked for.
    private func drawPrompts(_ g: inout CellGrid, width: Int, height: Int) {
        guard let view = state.promptsView else { return }
        let r = Rect(x: 1, y: 1, width: width - 2, height: height - 3)
        g.fill(x: r.x, y: r.y, width: r.width, height: r.height)
        let hasTokens = view.rows.contains { $0.tokens != nil }
        var lines: [(String, CellStyle)] = []
        for row in view.rows {
            guard let tokens = row.tokens else { lines.append((row.prompt, .plain)); continue }
            let cut = tokens > view.contextLength
            let mark = cut ? "⚠ cut at \(view.contextLength) " : ""
            lines.append((String(format: "%3dt ", tokens) + mark + row.prompt, cut ? Self.bad : .plain))
            if view.showIds { lines.append(("     " + row.ids.map(String.init).joined(separator: " "), Self.muted)) }
        }
        let inner = r.height - 2
        let top = min(view.offset, max(0, lines.count - inner))
        // Where the view is in a long list (1,000 prompts): "120–140/1000".
        let position = lines.count > inner ? " · \(top + 1)–\(min(lines.count, top + inner))/\(lines.count)" : ""
        box(&g, r, title: "\(view.title)\(position)\(hasTokens ? " · i ids" : "") · Esc closes", focused: true)
        for (k, line) in lines.dropFirst(top).prefix(inner).enumerated() {
            g.put(line.0, x: r.x + 2, y: r.y + 1 + k, style: line.1, maxX: r.x + r.width - 1)
        }
    }

    private func drawHelp(_ g: inout CellGrid, width: Int, height: Int) {
        let w = min(width - 4, 96), h = height - 2
        let r = Rect(x: (width - w) / 2, y: (height - h) / 2, width: w, height: h)
        // Keys, then the legend; a description that does not fit wraps under itself. The key
        // column is as wide as the longest key (up to half the box, which at 80 columns holds
        // every one), so that a key never breaks over lines away from its description.
        let longest = (KeyBindings.help + KeyBindings.legend).map { TextWidth.columns($0.0) }.max() ?? 0
        let keyWidth = min(longest, (w - 4) / 2), textWidth = max(8, w - 4 - keyWidth - 1)
        var rows: [(String, String, CellStyle)] = []
        func add(_ entries: [(String, String)]) {
            for (key, what) in entries {
                let keys = TextWidth.wrap(key, width: keyWidth), texts = TextWidth.wrap(what, width: textWidth)
                for i in 0..<max(keys.count, texts.count) {
                    rows.append((i < keys.count ? keys[i] : "", i < texts.count ? texts[i] : "", .plain))
                }
            }
        }
        add(KeyBindings.help)
        rows.append(("", "", .plain))
        rows.append(("Legend", "", Self.focused))
        add(KeyBindings.legend)
        let inner = h - 2
        let top = min(state.helpOffset, max(0, rows.count - inner))
        g.fill(x: r.x, y: r.y, width: r.width, height: r.height)
        let more = rows.count > inner ? " (↑↓ scroll, \(top + 1)–\(min(rows.count, top + inner)) of \(rows.count))" : ""
        box(&g, r, title: "Keys and legend\(more) · any other key closes", focused: true)
        for (k, row) in rows.dropFirst(top).prefix(inner).enumerated() {
            g.put(row.0, x: r.x + 2, y: r.y + 1 + k, style: row.2 == .plain ? Self.focused : row.2, maxX: r.x + 2 + keyWidth)
            g.put(row.1, x: r.x + 3 + keyWidth, y: r.y + 1 + k, maxX: r.x + r.width - 1)
        }
    }

}
