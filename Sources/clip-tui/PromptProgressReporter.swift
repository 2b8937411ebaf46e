import Foundation
import Scoring

/// `--progress` of `eval` and `compare` on stderr: prompts encoded so far and, while a cold
/// open encodes template by template, each set's top-1 from the templates encoded so far
/// ("A 12/80 templates top-1 41.2%"). A line at most every second, and the last.
final class PromptProgressReporter {
    private let names: [String]
    private let model: String?
    private var lastLine: Date?
    private var lastCount = (done: 0, all: 0)
    private let start = Date()

    /// - Parameters: `names` of the sets in request order; `model` named when several are compared.
    init(sets names: [String], model: String?) {
        self.names = names
        self.model = model
    }

    /// Prompts encoded of those to encode.
    func prompts(_ done: Int, _ all: Int) {
        lastCount = (done, all)
        if done == all || lastLine.map({ Date().timeIntervalSince($0) >= 1 }) ?? true {
            emit("prompts: \(done.formatted())/\(all.formatted()) encoded")
        }
    }

    /// Scores from part of the templates.
    func partial(_ e: LiveEvaluation) {
        let sets = e.sets.enumerated().map { s, set -> String in
            let name = s < names.count ? names[s] : "set \(s + 1)"
            let count = "\(set.scoredTemplates)/\(set.templateCount) templates"
            guard set.scoredTemplates > 0, let top1 = QuickComparison(a: set.scores, b: set.scores, truth: e.truth)?.top1A else {
                return "\(name) \(count)"
            }
            return "\(name) \(count) top-1 \(String(format: "%.1f%%", 100 * top1))"
        }
        emit("prompts: \(lastCount.done.formatted())/\(lastCount.all.formatted()) encoded; " + sets.joined(separator: ", "))
    }

    private func emit(_ line: String) {
        lastLine = Date()
        let elapsed = String(format: "%.1f s", Date().timeIntervalSince(start))
        warn((model.map { "\($0): " } ?? "") + line + " (\(elapsed))")
    }
}
