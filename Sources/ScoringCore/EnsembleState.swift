import Tensors

/// One template set's zero-shot classifier over a label set, kept between edits.
///
/// Per class it holds the float64 sum of its prompts' unit embeddings (CLIP's ensemble is
/// that sum normalised), so an edit adds and subtracts only what changed: a template edit
/// subtracts the old template's prompts and adds the new one's in every class, a label edit
/// builds that class alone. Sums are float64 so that a long run of edits does not drift:
/// each add or subtract rounds at 2⁻⁵³ relative, far below the float32 of the result.
public struct EnsembleState: Sendable {
    public struct ClassSum: Sendable {
        public var vector: [Double]
        public var count: Int
    }

    /// The templates the sums hold, as a multiset (a repeated template counts twice).
    public private(set) var templates: [Template: Int] = [:]
    private var sums: [ClassLabel: ClassSum] = [:]
    /// The labels of the last `apply`.
    private var appliedLabels: [ClassLabel] = []
    /// Whether every class of `appliedLabels` has a sum: a template key then finds no new
    /// class without hashing all of them (1,000 labels' names, half a millisecond a key).
    private var everyClassSummed = true
    public let dimension: Int

    public init(dimension: Int) { self.dimension = dimension }

    /// What an update to `labels` × `templates` changes.
    public struct Change: Sendable {
        public var added: [Template: Int] = [:]
        public var removed: [Template: Int] = [:]
        /// Classes without a sum yet (new, or renamed).
        public var newClasses: [ClassLabel] = []
        /// Whether classes built from templates change (a template was added or removed).
        public var templatesChanged: Bool { !added.isEmpty || !removed.isEmpty }
    }

    public func change(to labels: LabelSet, templates new: [Template]) -> Change {
        var c = Change()
        var counts: [Template: Int] = [:]
        for t in new { counts[t, default: 0] += 1 }
        for (t, n) in counts where n > (templates[t] ?? 0) { c.added[t] = n - (templates[t] ?? 0) }
        for (t, n) in templates where n > (counts[t] ?? 0) { c.removed[t] = n - (counts[t] ?? 0) }
        if everyClassSummed, labels.classes == appliedLabels { return c }
        var seen = Set<ClassLabel>()
        for label in labels.classes where sums[label] == nil && seen.insert(label).inserted { c.newClasses.append(label) }
        return c
    }

    /// The prompts an update needs embeddings for: every prompt of a new class, and the
    /// added and removed templates' prompts of the others.
    public func promptsNeeded(_ change: Change, templates new: [Template]) -> Set<String> {
        var needed = Set<String>()
        if change.templatesChanged { needed.reserveCapacity(sums.count * (change.added.count + change.removed.count)) }
        for label in change.newClasses { needed.formUnion(Self.prompts(label, new)) }
        if change.templatesChanged {
            let touched = Array(change.added.keys) + Array(change.removed.keys)
            for label in sums.keys where label.sentences.isEmpty {
                for t in touched { label.forEachName { needed.insert(t.render($0)) } }
            }
        }
        return needed
    }

    /// The classes an `apply` moved.
    public enum Moved: Sendable, Equatable {
        /// Every class of the labels applied: a template edit where no class has its own
        /// sentences (told without hashing 1,000 classes into a set at every key).
        case every
        case these(Set<ClassLabel>)

        public var isEmpty: Bool { if case let .these(s) = self { s.isEmpty } else { false } }
        public func contains(_ label: ClassLabel) -> Bool { if case let .these(s) = self { s.contains(label) } else { true } }
    }

    /// Applies the change; returns the classes whose vector moved. Classes no longer in
    /// `labels` are dropped.
    public mutating func apply(
        _ change: Change, labels: LabelSet, templates new: [Template],
        embeddings: [String: [Float]]
    ) -> Moved {
        let every = change.templatesChanged && !labels.classes.contains { !$0.sentences.isEmpty }
        var moved = Set<ClassLabel>()
        // The same labels as last time (a template key: the same array, compared at once)
        // drop nothing; only a label edit hashes every class to find the ones gone.
        let sameLabels = labels.classes == appliedLabels
        if !sameLabels {
            let present = Set(labels.classes)
            sums = sums.filter { present.contains($0.key) }
        }
        appliedLabels = labels.classes
        if change.templatesChanged {
            if !every { moved.reserveCapacity(sums.count) }
            // In place, position by position: no class's sum is copied or hashed again
            // (1,000 classes × 1 KB at every keystroke). The index is walked by hand: `for i
            // in sums.indices` holds the dictionary's storage through the loop, so the first
            // write copied the dictionary and then every class's vector (0.5 ms a key).
            // The templates and their signed counts once, not copied out of the change's
            // dictionaries for every class.
            let terms = change.added.map { ($0.key, $0.value) } + change.removed.map { ($0.key, -$0.value) }
            var i = sums.startIndex
            while i != sums.endIndex {
                defer { i = sums.index(after: i) }
                let label = sums.keys[i]
                guard label.sentences.isEmpty else { continue }
                let nameCount = 1 + label.synonyms.count
                for (t, n) in terms {
                    label.forEachName { add(&sums.values[i], embeddings[t.render($0)]!, times: Double(n)) }
                    sums.values[i].count += n * nameCount
                }
                // A class left with no prompt is exactly zero, not a residue of round-off.
                if sums.values[i].count == 0 { sums.values[i].vector = [Double](repeating: 0, count: dimension) }
                if !every { moved.insert(label) }
            }
        }
        for label in change.newClasses {
            var sum = ClassSum(vector: [Double](repeating: 0, count: dimension), count: 0)
            for p in Self.prompts(label, new) { add(&sum, embeddings[p]!, times: 1); sum.count += 1 }
            sums[label] = sum
            if !every { moved.insert(label) }
        }
        if !sameLabels || !change.newClasses.isEmpty || !everyClassSummed {
            everyClassSummed = labels.classes.allSatisfy { sums[$0] != nil }
        }
        templates = [:]
        for t in new { templates[t, default: 0] += 1 }
        return every ? .every : .these(moved)
    }

    private func add(_ sum: inout ClassSum, _ v: [Float], times: Double) {
        sum.vector.withUnsafeMutableBufferPointer { s in
            v.withUnsafeBufferPointer { x in
                for i in 0..<min(s.count, x.count) { s[i] += times * Double(x[i]) }
            }
        }
    }

    /// The class's unit classifier (zero when it has no prompt).
    public func unitVector(_ label: ClassLabel) -> [Float] {
        guard let s = sums[label], s.count > 0 else { return [Float](repeating: 0, count: dimension) }
        let norm = s.vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return [Float](repeating: 0, count: dimension) }
        return s.vector.map { Float($0 / norm) }
    }

    /// Classes with a sum.
    public var classCount: Int { sums.count }

    /// Every label's classifier at once, in order: what a template key's cosines and its
    /// template figures both read, made in one pass (each class's sum looked up once).
    public struct ClassTable: Sendable {
        /// `[labels, dimension]`: each label's unit classifier (`unitVector`).
        public let unit: Matrix
        /// `[labels, dimension]`: each label's sum in float32 (zero without one).
        public let sums: Matrix
        /// Each sum's norm, in float64 (0 without one).
        public let norms: [Double]
        /// Prompts in each sum.
        public let counts: [Int]
    }

    public func classTable(_ labels: [ClassLabel]) -> ClassTable {
        let d = dimension
        var unit = Matrix(zeros: labels.count, d), floats = Matrix(zeros: labels.count, d)
        var norms = [Double](repeating: 0, count: labels.count), counts = [Int](repeating: 0, count: labels.count)
        unit.storage.withUnsafeMutableBufferPointer { u in
            floats.storage.withUnsafeMutableBufferPointer { f in
                for (r, label) in labels.enumerated() {
                    guard let s = sums[label] else { continue }
                    counts[r] = s.count
                    s.vector.withUnsafeBufferPointer { v in
                        var norm = 0.0
                        for j in 0..<d { norm += v[j] * v[j] }
                        norm = norm.squareRoot()
                        norms[r] = norm
                        for j in 0..<d { f[r * d + j] = Float(v[j]) }
                        guard s.count > 0, norm > 0 else { return }
                        for j in 0..<d { u[r * d + j] = Float(v[j] / norm) }
                    }
                }
            }
        }
        return ClassTable(unit: unit, sums: floats, norms: norms, counts: counts)
    }

    /// The unnormalised sum and the number of prompts in it.
    public func sum(_ label: ClassLabel) -> ClassSum? { sums[label] }

    /// The prompts of one class (`ClassLabel.prompts`; `templates` have placeholders).
    static func prompts(_ label: ClassLabel, _ templates: [Template]) -> [String] { label.prompts(templates) }
}
