import Foundation

/// What each template contributes to an ensemble, computed from per-template class
/// embeddings without re-encoding: for a subset S of templates, the class-c classifier is
/// normalise(Σ_{t∈S} e_tc), so an image's score is Σ_t (x·e_tc) / ‖Σ_t e_tc‖, and both sums
/// come from precomputed dot products.
public struct TemplateAnalysis: Sendable {
    public let templateCount: Int
    public let classCount: Int
    /// dots[t][i][c] = x_i · e_tc (unit vectors).
    private let dots: [[[Float]]]
    /// gram[c][t][u] = e_tc · e_uc.
    private let gram: [[[Float]]]
    private let truth: [Int]

    /// - Parameters: `templateEmbeddings[t][c]` is template t's unit class embedding for
    ///   class c (names averaged); `images` unit rows; `truth` one class per image.
    public init(templateEmbeddings: [[[Float]]], images: [[Float]], truth: [Int]) {
        templateCount = templateEmbeddings.count
        classCount = templateEmbeddings.first?.count ?? 0
        dots = templateEmbeddings.map { classes in images.map { x in classes.map { Vector.dot(x, $0) } } }
        gram = (0..<classCount).map { c in
            (0..<templateEmbeddings.count).map { t in
                (0..<templateEmbeddings.count).map { u in Vector.dot(templateEmbeddings[t][c], templateEmbeddings[u][c]) }
            }
        }
        self.truth = truth
    }

    /// Top-1 accuracy of the ensemble of `subset` on the images `on` (all by default).
    public func accuracy(_ subset: [Int], on images: [Int]? = nil) -> Double {
        let rows = images ?? Array(0..<truth.count)
        guard !subset.isEmpty, !rows.isEmpty, classCount > 0 else { return 0 }
        let norms = (0..<classCount).map { c -> Float in
            var s: Float = 0
            for t in subset { for u in subset { s += gram[c][t][u] } }
            return s > 0 ? 1 / s.squareRoot() : 0
        }
        var hits = 0
        for i in rows {
            var best = 0
            var bestScore = -Float.infinity
            for c in 0..<classCount {
                var s: Float = 0
                for t in subset { s += dots[t][i][c] }
                s *= norms[c]
                if s > bestScore { bestScore = s; best = c }
            }
            if best == truth[i] { hits += 1 }
        }
        return Double(hits) / Double(rows.count)
    }

    public struct TemplateEffect: Sendable, Codable, Equatable {
        public let template: Int
        /// The template alone.
        public let accuracy: Double
        /// Ensemble accuracy without it minus with all (negative: the template helps).
        public let leaveOneOut: Double

        enum CodingKeys: String, CodingKey { case template, accuracy, leaveOneOut = "leave_one_out" }
    }

    public func effects() -> [TemplateEffect] {
        let all = Array(0..<templateCount)
        let full = accuracy(all)
        return all.map { t in
            TemplateEffect(
                template: t, accuracy: accuracy([t]),
                leaveOneOut: templateCount > 1 ? accuracy(all.filter { $0 != t }) - full : -full)
        }
    }

    /// Greedy forward selection: start empty, add the template that most improves accuracy
    /// on `images`, stop when none improves it or `maxSize` is reached.
    public func forwardSelection(on images: [Int]? = nil, maxSize: Int? = nil) -> [Int] {
        var chosen: [Int] = []
        var best = -1.0
        let limit = min(maxSize ?? templateCount, templateCount)
        while chosen.count < limit {
            var candidate: (Int, Double)?
            for t in 0..<templateCount where !chosen.contains(t) {
                let a = accuracy(chosen + [t], on: images)
                if candidate == nil || a > candidate!.1 { candidate = (t, a) }
            }
            guard let (t, a) = candidate, a > best else { break }
            chosen.append(t)
            best = a
        }
        return chosen
    }

    public struct Selection: Sendable, Codable, Equatable {
        /// Chosen on all images: the set to use.
        public let templates: [Int]
        /// Accuracy of the procedure judged on held-out folds (each fold selected on the others).
        public let heldOutAccuracy: Double
        /// What each fold chose.
        public let foldChoices: [[Int]]
        public let folds: Int

        enum CodingKeys: String, CodingKey {
            case templates, heldOutAccuracy = "held_out_accuracy", foldChoices = "fold_choices", folds
        }
    }

    /// Forward selection judged by k-fold cross-validation, so that the reported accuracy
    /// is not that of a set fitted to the images it is judged on.
    public func crossValidatedSelection(folds k: Int = 5, seed: UInt64 = 7, maxSize: Int? = nil) -> Selection {
        var order = Array(0..<truth.count)
        var rng = SplitMix64(seed: seed)
        order.shuffle(using: &rng)
        let folds = max(1, min(k, truth.count))
        var hits = 0.0
        var choices: [[Int]] = []
        for f in 0..<folds {
            let test = order.enumerated().filter { $0.offset % folds == f }.map(\.element)
            let train = order.enumerated().filter { $0.offset % folds != f }.map(\.element)
            let chosen = forwardSelection(on: train.isEmpty ? test : train, maxSize: maxSize)
            choices.append(chosen)
            hits += accuracy(chosen, on: test) * Double(test.count)
        }
        return Selection(
            templates: forwardSelection(maxSize: maxSize),
            heldOutAccuracy: truth.isEmpty ? 0 : hits / Double(truth.count),
            foldChoices: choices, folds: folds)
    }
}

/// WaffleCLIP's control (Roth et al., 2023): templates padded with random words. A template
/// set that does not beat these is not better than noise.
public enum RandomWordTemplates {
    /// `count` templates "a photo of a {}, which has WORD WORD.", words drawn from `words`.
    public static func make(count: Int, words: [String], seed: UInt64 = 11) -> TemplateSet {
        var rng = SplitMix64(seed: seed)
        let pool = words.isEmpty ? ["thing"] : words
        let templates = (0..<count).map { _ in
            Template("a photo of a {}, which has \(pool.randomElement(using: &rng)!) \(pool.randomElement(using: &rng)!).")
        }
        return TemplateSet(name: "random-words", templates: templates)
    }

    /// A fixed list of ordinary English words, so the control needs no vocabulary file.
    public static let words = """
        apple river stone paper window garden silver engine pocket ladder candle forest mirror basket \
        thunder pencil orange blanket kettle marble feather copper meadow bridge lantern violin saddle \
        harbor pepper tunnel crystal velvet canyon walnut button ribbon island rocket shadow pillow \
        compass anchor falcon tomato quartz jungle helmet puzzle glacier trumpet
        """.split(separator: " ").map(String.init)
}
