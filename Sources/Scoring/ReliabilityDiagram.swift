import Foundation

/// The reliability diagram as lines of text: per bin of top-1 confidence, a bar of its
/// accuracy in block characters with a `│` where its mean confidence falls, then the
/// accuracy, confidence and count. The same bins the ECE is read off (`Metrics.reliability`),
/// so the picture and the figure agree. `eval` prints it; the session's `R` shows it.
public enum ReliabilityDiagram {
    public static func lines(_ bins: [Metrics.ReliabilityBin], ece: Double, width: Int = 30) -> [String] {
        var lines = [String(format: "reliability (top-1 confidence in %d bins; ECE %.3f, the count-weighted gap):", bins.count, ece)]
        lines.append("  confidence  " + "accuracy".padding(toLength: width + 2, withPad: " ", startingAt: 0) + "  acc   conf      n")
        let eighths = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        for b in bins where b.count > 0 {
            let filled = Int((b.accuracy * Double(width * 8)).rounded())
            var cells = Array(repeating: "█", count: filled / 8) + (filled % 8 > 0 ? [eighths[filled % 8]] : [])
            cells += Array(repeating: " ", count: max(0, width - cells.count))
            let marker = min(width - 1, Int(b.confidence * Double(width)))
            cells[marker] = "│"
            lines.append(
                String(format: "  %.2f–%.2f   ", b.low, b.high) + cells.joined() + String(format: "  %.2f  %.2f  %5d", b.accuracy, b.confidence, b.count))
        }
        return lines
    }
}
