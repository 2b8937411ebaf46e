import Foundation
import Scoring

/// Plain-text tables for the headless commands.
enum Report {
    static func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }

    /// The reliability diagram of `bins` in block characters: per non-empty bin, a bar as
    /// long as its accuracy, `│` where its mean confidence is (a calibrated bin's bar ends
    /// there), and its figures. The ECE printed is the count-weighted gap of these bins.
    static func reliabilityDiagram(_ bins: [Metrics.ReliabilityBin], ece: Double, width: Int = 30) -> String {
        ReliabilityDiagram.lines(bins, ece: ece, width: width).joined(separator: "\n")
    }

    static func metricsTable(_ m: Metrics, classes: [String], title: String) -> String {
        var lines = [
            "\(title): \(m.count) labelled images",
            "  top-1 \(percent(m.top1))   top-5 \(percent(m.top5))   mean per-class recall \(percent(m.meanPerClassRecall))",
            String(format: "  mean p(true) %.3f   NLL %.3f   ECE %.3f", m.meanTrueProbability, m.nll, m.ece)
        ]
        if !m.confusions.isEmpty {
            lines.append("  most confused (true → predicted):")
            for c in m.confusions.prefix(5) { lines.append("    \(classes[c.truth]) → \(classes[c.predicted]): \(c.count)") }
        }
        return lines.joined(separator: "\n")
    }

    /// With no labelled image there is nothing to measure: every image's top classes instead.
    static func unlabelledTable(_ scores: SetScores, paths: [String], classes: [String], title: String, images: String) -> String {
        var lines = ["\(title): no labelled images in \(images), so no metrics (name classes by subfolder or give --truth); the top 3 classes of each image:"]
        let width = min(48, paths.map(\.count).max() ?? 0)
        for (i, path) in paths.enumerated() {
            let row = scores.probabilities(image: i)
            let top = row.indices.sorted { row[$0] > row[$1] }.prefix(3)
            let cells = top.map { "\(classes[$0]) \(String(format: "%.3f", row[$0]))" }.joined(separator: "   ")
            lines.append("  " + path.padding(toLength: max(width, path.count), withPad: " ", startingAt: 0) + "  " + cells)
        }
        return lines.joined(separator: "\n")
    }

    static func comparisonTable(_ c: ABComparison, classes: [String], nameA: String, nameB: String, paths: [String]) -> String {
        var lines = [
            "A = \(nameA): top-1 \(percent(c.a.top1)) [\(percent(c.intervalA.low)), \(percent(c.intervalA.high))]",
            "B = \(nameB): top-1 \(percent(c.b.top1)) [\(percent(c.intervalB.low)), \(percent(c.intervalB.high))]",
            String(
                format: "B − A: %+.1f points, 95%% interval [%+.1f, %+.1f] (paired bootstrap, %d resamples)",
                100 * c.difference.difference, 100 * c.difference.low, 100 * c.difference.high, c.difference.resamples),
            String(format: "McNemar: %d right only under A, %d only under B, exact p = %.4g", c.mcnemar.onlyA, c.mcnemar.onlyB, c.mcnemar.pValue)
        ]
        let changed = c.perClassDifference.enumerated().compactMap { i, d in d.flatMap { $0 != 0 ? (i, $0) : nil } }
            .sorted { abs($0.1) > abs($1.1) }
        if !changed.isEmpty {
            lines.append("per-class recall, B − A:")
            for (i, d) in changed.prefix(10) { lines.append(String(format: "  %@ %+.1f", classes[i], 100 * d)) }
        }
        for (label, list) in [("right only under A", c.rightOnlyUnderA), ("right only under B", c.rightOnlyUnderB)] where !list.isEmpty {
            lines.append("\(label):")
            for i in list.prefix(10) { lines.append("  \(paths[i])") }
            if list.count > 10 { lines.append("  … \(list.count - 10) more") }
        }
        return lines.joined(separator: "\n")
    }
}
