import Foundation

/// Candidates (a model and a template set each) scored on the same images and labels, as
/// `compare`, `export` and the session's leaderboard see them: paired on the images every
/// model embedded, and ranked by a `Leaderboard`.
///
/// Each model's images are evaluated in one request holding every set, so a candidate is
/// an (evaluation, set) pair; candidates are listed model-major.
public struct CandidateBoard: Sendable {
    /// Where a candidate's results are: which evaluation (one per model) and which of its sets.
    public struct Candidate: Sendable, Equatable {
        public let evaluation: Int
        public let set: Int
        /// Its name on screen and in reports: the model's short name and the set's, unique.
        public let id: String
        public init(evaluation: Int, set: Int, id: String) { self.evaluation = evaluation; self.set = set; self.id = id }
    }

    /// One model's evaluation: the paths of its embedded images (in the evaluation's order)
    /// and the result.
    public struct ModelEvaluation: Sendable {
        public let paths: [String]
        public let result: LiveEvaluation
        public init(paths: [String], result: LiveEvaluation) { self.paths = paths; self.result = result }
    }

    public let candidates: [Candidate]
    public let evaluations: [ModelEvaluation]
    /// The images every model embedded, by path, in the first model's order.
    public let paths: [String]
    /// The truth of each of `paths` (nil: unlabelled).
    public let truth: [Int?]
    /// Per candidate, its prediction of each of `paths`.
    public let predictions: [[Int?]]
    /// Over the labelled images of `paths`.
    public let leaderboard: Leaderboard

    /// - Parameter againstReference: pair every candidate with the first too (`compare
    ///   --fail-if-worse`); the session ranks against the best only.
    public init(candidates: [Candidate], evaluations: [ModelEvaluation], againstReference: Bool = true) {
        precondition(!evaluations.isEmpty, "one evaluation at least")
        self.candidates = candidates
        self.evaluations = evaluations
        // Candidates are paired on the images every model could read (a file one encoder
        // failed on is left out of the pairs, not of that model's own metrics).
        let rows = evaluations.map { e in Dictionary(e.paths.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a }) }
        let first = evaluations[0]
        let paths = rows.count == 1 ? first.paths : first.paths.filter { p in rows.allSatisfy { $0[p] != nil } }
        let truth = rows.count == 1 ? first.result.truth : paths.map { first.result.truth[rows[0][$0]!] }
        predictions = candidates.map { c in
            let scores = evaluations[c.evaluation].result.sets[c.set].scores
            return rows.count == 1 ? scores.predictions : paths.map { scores.predictions[rows[c.evaluation][$0]!] }
        }
        let labelled = truth.indices.filter { truth[$0] != nil }
        leaderboard = Leaderboard(correct: predictions.map { p in labelled.map { p[$0] == truth[$0] } }, againstReference: againstReference)
        self.paths = paths
        self.truth = truth
    }

    private init(
        candidates: [Candidate], evaluations: [ModelEvaluation], paths: [String], truth: [Int?], predictions: [[Int?]],
        leaderboard: Leaderboard
    ) {
        self.candidates = candidates; self.evaluations = evaluations; self.paths = paths; self.truth = truth
        self.predictions = predictions; self.leaderboard = leaderboard
    }

    /// The same board over later stages of the same evaluations (metrics, per-template
    /// figures): predictions do not move after the first stage, so the ranking is kept.
    public func replacing(evaluations later: [ModelEvaluation]) -> CandidateBoard {
        precondition(later.count == evaluations.count, "the same models")
        return CandidateBoard(
            candidates: candidates, evaluations: later, paths: paths, truth: truth, predictions: predictions, leaderboard: leaderboard)
    }

    public var classes: [String] { evaluations[0].result.classNames }
    public var labelledCount: Int { truth.filter { $0 != nil }.count }

    /// A candidate's set result and the evaluation it is part of.
    public func result(_ i: Int) -> (set: LiveEvaluation.SetResult, evaluation: LiveEvaluation) {
        let e = evaluations[candidates[i].evaluation].result
        return (e.sets[candidates[i].set], e)
    }

    /// Every model × every set, model-major, named "model · set" (the model left out when
    /// `showModel` is false): what `compare`, `export` and the session rank.
    /// `evaluations` are per model, each holding every set in order.
    public init(
        models: [String], sets: [String], evaluations: [ModelEvaluation], showModel: Bool, againstReference: Bool = true
    ) {
        precondition(models.count == evaluations.count, "one evaluation per model")
        let pairs = models.flatMap { m in sets.map { (model: m, set: $0) } }
        let ids = Self.ids(pairs, showModel: showModel)
        self.init(
            candidates: pairs.indices.map { .init(evaluation: $0 / sets.count, set: $0 % sets.count, id: ids[$0]) },
            evaluations: evaluations, againstReference: againstReference)
    }

    /// A leaderboard of some candidates only (an export of a few): their best is the best
    /// among them, their p-values corrected over their comparisons.
    public func leaderboard(of picked: [Int]) -> Leaderboard {
        if picked == Array(candidates.indices) { return leaderboard }
        let labelled = truth.indices.filter { truth[$0] != nil }
        return Leaderboard(correct: picked.map { c in labelled.map { predictions[c][$0] == truth[$0] } }, againstReference: false)
    }

    /// Candidates `a` and `b` compared as A and B on the paired images (nil before
    /// metrics are in, or without labelled images).
    public func comparison(_ a: Int, _ b: Int) -> ABComparison? {
        guard let ma = result(a).set.metrics, let mb = result(b).set.metrics, labelledCount > 0 else { return nil }
        return ABComparison(a: ma, b: mb, predictionsA: predictions[a], predictionsB: predictions[b], truth: truth)
    }

    /// A model as a leaderboard names it: its folder's name, or the folder above when that
    /// is a generic one ("model", a Hub snapshot's hash).
    public static func shortName(_ model: String) -> String {
        let url = URL(fileURLWithPath: model)
        let last = url.lastPathComponent
        let generic = last == "model" || (last.count == 40 && last.allSatisfy(\.isHexDigit))
        return generic ? url.deletingLastPathComponent().lastPathComponent + "/" + last : last
    }

    /// Names for candidates given as (model, set name) pairs: "model · set", with the
    /// model left out when there is one, made unique with "#2", "#3".
    public static func ids(_ pairs: [(model: String, set: String)], showModel: Bool) -> [String] {
        var seen: [String: Int] = [:]
        return pairs.map { p in
            let base = showModel ? "\(shortName(p.model)) · \(p.set)" : p.set
            seen[base, default: 0] += 1
            return seen[base]! == 1 ? base : "\(base) #\(seen[base]!)"
        }
    }
}
