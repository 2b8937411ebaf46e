import Foundation
import Scoring

/// The leaderboard view (`L`): every candidate, best first, against the best.
extension Screen {
    /// One row as drawn: the figures formatted, or "…" while they are computed.
    private struct Row {
        var candidate: Int
        var name: String
        var rule: String
        var top1 = "…", wilson = "", mpcr = "…", nll = "…", ece = "…", versusBest = "", versusBestShort = "", p = ""
        var worse = false
    }

    func drawLeaderboard(_ g: inout CellGrid, width: Int, height: Int) {
        let r = Rect(x: 1, y: 1, width: width - 2, height: height - 3)
        g.fill(x: r.x, y: r.y, width: r.width, height: r.height)
        let doc = state.document
        let count = doc.candidateCount
        box(&g, r, title: "Leaderboard · \(count) candidates · a/b make A/B · O adds · d removes a set · Esc", focused: true)
        let rows = leaderboardRows()
        let labelled = snapshot?.board?.labelledCount ?? 0
        let comparisons = max(0, count - 1)
        let long = "by top-1 on \(labelled) labelled images · vs best: paired bootstrap 95%, McNemar p Holm-corrected over \(comparisons)"
        let explain =
            snapshot?.board == nil
            ? "ranking when the scores are in…"
            : labelled == 0
                ? "no labelled images: candidates in the order given"
                : TextWidth.columns(long) <= r.width - 4
                    ? long : "top-1 on \(labelled) labelled · vs best: bootstrap 95%, McNemar p Holm (\(comparisons))"
        g.put(explain, x: r.x + 2, y: r.y + 1, style: Self.muted, maxX: r.x + r.width - 1)
        // Columns by width: at 80 the name, top-1 with its interval and the difference to
        // the best with its p; wider screens add the rule, recall, NLL and ECE.
        let inner = r.width - 4
        let wide = inner >= 104, widest = inner >= 130
        func right(_ t: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - TextWidth.columns(t))) + t }
        func left(_ t: String, _ w: Int) -> String {
            let cut = TextWidth.prefix(t, fitting: w)
            return cut + String(repeating: " ", count: max(0, w - TextWidth.columns(cut)))
        }
        let diffWidth = wide ? 21 : 16
        let fixed = 3 + 3 + 7 + 9 + diffWidth + 9 + (wide ? 7 + 7 + 7 : 0) + (widest ? 22 : 0)
        let nameWidth = max(10, inner - fixed)
        var header = "   " + right("#", 2) + " " + left("candidate", nameWidth) + right("top-1", 7) + left(" [Wilson]", 9)
        if wide { header += right("mpcr", 7) + right("NLL", 7) + right("ECE", 7) }
        header += right(wide ? "vs best [bootstrap]" : "vs best [boot]", diffWidth) + right("p Holm", 9)
        if widest { header += "  " + left("rule", 20) }
        g.put(header, x: r.x + 2, y: r.y + 2, style: Self.focused, maxX: r.x + r.width - 1)
        // One model width for every row, so that the set names line up: what the longest set
        // name leaves, at least 6 columns.
        let parts = rows.map { $0.name.components(separatedBy: " · ") }.filter { $0.count == 2 }
        let longestSet = parts.map { TextWidth.columns($0[1]) }.max() ?? 0
        let longestModel = parts.map { TextWidth.columns($0[0]) }.max() ?? 0
        let modelWidth = min(longestModel, max(6, nameWidth - 3 - longestSet))
        let listHeight = r.height - 4
        let cursor = min(state.leaderboardView ?? 0, max(0, rows.count - 1))
        let top = scrolled(cursor, count: rows.count, visible: listHeight)
        for (k, row) in rows.dropFirst(top).prefix(listHeight).enumerated() {
            let y = r.y + 3 + k
            let style = top + k == cursor ? Self.selected : (row.worse ? Self.bad : CellStyle.plain)
            g.fill(x: r.x + 1, y: y, width: r.width - 2, height: 1, style: style)
            let mark = row.candidate == doc.candidateA ? "A" : (row.candidate == doc.candidateB ? "B" : " ")
            var line =
                " \(mark) " + right("\(top + k + 1)", 2) + " " + left(Self.fit(row.name, nameWidth, modelWidth: modelWidth), nameWidth) + right(row.top1, 7)
                + left(" " + row.wilson, 9)
            if wide { line += right(row.mpcr, 7) + right(row.nll, 7) + right(row.ece, 7) }
            line += right(wide ? row.versusBest : row.versusBestShort, diffWidth) + right(row.p + (row.worse ? "!" : " "), 9)
            if widest { line += "  " + left(row.rule, 20) }
            g.put(line, x: r.x + 1, y: y, style: style, maxX: r.x + r.width - 1)
        }
    }

    /// A candidate's name in `width` columns: "model · set" with the model in `modelWidth`
    /// (the same for every row) and the set's end kept (where set names differ:
    /// "…singular.txt").
    static func fit(_ name: String, _ width: Int, modelWidth: Int) -> String {
        guard width > 4 else { return name }
        func tail(_ t: String, _ w: Int) -> String {
            guard TextWidth.columns(t) > w else { return t }
            var out = ""
            for c in t.reversed() {
                if TextWidth.columns(String(c) + out) > w - 1 { break }
                out = String(c) + out
            }
            return "…" + out
        }
        func head(_ t: String, _ w: Int) -> String {
            TextWidth.columns(t) <= w ? t : TextWidth.prefix(t, fitting: w - 1) + "…"
        }
        let parts = name.components(separatedBy: " · ")
        guard parts.count == 2 else { return tail(name, width) }
        let (model, set) = (parts[0], parts[1])
        let shown = head(model, min(modelWidth, width / 2))
        return shown + " · " + tail(set, width - 3 - TextWidth.columns(shown))
    }

    /// The rows in rank order once the leaderboard is in (for this document's candidates),
    /// in the document's order with pending figures before.
    private func leaderboardRows() -> [Row] {
        let doc = state.document
        let count = doc.candidateCount
        guard let board = snapshot?.board, board.candidates.count == count else {
            return (0..<count).map { Row(candidate: $0, name: Reducer.describe(doc, $0), rule: "") }
        }
        let ranked = board.labelledCount > 0
        let order = ranked ? board.leaderboard.order : Array(0..<count)
        return order.map { c in
            let result = board.result(c)
            var row = Row(candidate: c, name: board.candidates[c].id, rule: result.evaluation.rule.shortDescription)
            guard ranked else { return row }
            let w = board.leaderboard.intervals[c]
            row.top1 = String(format: "%.1f%%", 100 * board.leaderboard.top1[c])
            row.wilson = String(format: "[%.0f–%.0f]", 100 * w.low, 100 * w.high)
            if let m = result.set.metrics {
                row.mpcr = String(format: "%.1f%%", 100 * m.meanPerClassRecall)
                row.nll = String(format: "%.3f", m.nll)
                row.ece = String(format: "%.3f", m.ece)
            }
            if let v = board.leaderboard.versusBest[c] {
                row.versusBest = String(
                    format: "%+.1f [%+.1f,%+.1f]", 100 * v.difference.difference, 100 * v.difference.low, 100 * v.difference.high)
                // At 80 columns the interval in whole points.
                row.versusBestShort = String(
                    format: "%+.1f [%+.0f,%+.0f]", 100 * v.difference.difference, 100 * v.difference.low, 100 * v.difference.high)
                row.p = v.pHolm < 0.001 ? "<0.001" : String(format: "%.3g", v.pHolm)
                row.worse = v.significantlyWorse
            } else {
                row.versusBest = "best"
                row.versusBestShort = "best"
            }
            return row
        }
    }

    /// The entries of a file named without `#KEY`, one per row, the cursor's highlighted.
    func drawChooser(_ g: inout CellGrid, width: Int, height: Int) {
        guard let c = state.chooser else { return }
        let r = Rect(x: 2, y: 2, width: width - 4, height: height - 5)
        g.fill(x: r.x, y: r.y, width: r.width, height: r.height)
        let inner = r.height - 2
        let top = scrolled(c.row, count: c.keys.count, visible: inner)
        let position = c.keys.count > inner ? " \(top + 1)–\(min(c.keys.count, top + inner))/\(c.keys.count)" : ""
        box(&g, r, title: "\(c.keys.count) entries of \(c.what)\(position) · Enter opens · Esc", focused: true)
        for (k, key) in c.keys.dropFirst(top).prefix(inner).enumerated() {
            let y = r.y + 1 + k
            let style = top + k == c.row ? Self.selected : CellStyle.plain
            g.fill(x: r.x + 1, y: y, width: r.width - 2, height: 1, style: style)
            g.put(" #" + key, x: r.x + 1, y: y, style: style, maxX: r.x + r.width - 1)
        }
    }
}
