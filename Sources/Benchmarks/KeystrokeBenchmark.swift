import CLIP
import Dispatch
import Foundation
import Scoring
import Synchronization
import Tensors
import Tokenization

/// Replays typing against the engine the session uses (`LiveEngine`), and reports the
/// latency from a keystroke to new scores: the first stage of the evaluation (both sets'
/// probabilities, top-1 and the summary).
///
/// The prompts that exist before typing starts are a warm cache: they get unit vectors up
/// front (what a cache read gives), so only what typing creates is encoded, by the real
/// text tower. Images are random unit vectors (their encoding is not what is timed).
public struct KeystrokeBenchmark {
    let text: TextEncoder
    let tokenizer: Tokenizer
    let imageCount: Int
    let labels: [String]

    public init(text: TextEncoder, tokenizer: Tokenizer, imageCount: Int, labels: [String]) {
        self.text = text; self.tokenizer = tokenizer; self.imageCount = imageCount; self.labels = labels
    }
    public var templatesA: [String] = ["a photo of a {}.", "a drawing of a {}."]
    public var templatesB: [String] = ["{}"]
    /// What is typed, key by key, as a new first template of A.
    public var typed = "a blurry close-up photo of my {}."
    /// Keystrokes after the replays, each making a new template in A (its prompts all new),
    /// settled one by one: the resident memory they add (`memory`); 0 skips it.
    public var memoryKeys = 0
    /// Whether to measure a cold open (every prompt of A and B new) against plain batches.
    public var measureColdOpen = false
    /// Whether the prompts that exist before typing are random unit vectors rather than the
    /// model's own (encoding ImageNet × 87 templates takes 15 s with the demo model, minutes
    /// at ViT-B/32 shapes). Random prompts are the template figures' worst case: a class's
    /// templates point every way, so no class can be ruled out of a leave-one-out argmax.
    public var randomPrompts = false

    /// An `EmbeddingProvider` over the text tower alone (images come pre-embedded).
    final class TextOnlyProvider: EmbeddingProvider {
        let text: TextEncoder
        let tokenizer: Tokenizer
        let fingerprint = "keystroke-benchmark"
        var dimension: Int { text.projectionDim }
        let logitScale: Float = 100
        /// As a loaded model keeps them (`CLIPModel.textStates`).
        let states: TextStateCache
        init(text: TextEncoder, tokenizer: Tokenizer) {
            self.text = text
            self.tokenizer = tokenizer
            states = TextStateCache(layers: text.config.numHiddenLayers, width: text.config.hiddenSize)
        }
        func tokenize(_ s: String) -> (ids: [Int], untruncatedCount: Int) {
            let t = tokenizer.tokenize(s); return (t.ids, t.untruncatedCount)
        }
        func embedTexts(_ texts: [String]) throws -> [[Float]] { try embedTexts(texts, reusingStates: false) }
        func embedTexts(_ texts: [String], reusingStates: Bool, keepingContinuations: Bool) throws -> [[Float]] {
            var options = TextEncoder.Options()
            if reusingStates { options.states = states }
            options.keepContinuations = keepingContinuations
            let m = try text.encode(texts.map { tokenizer.tokenize($0).ids }, endToken: tokenizer.endToken, options: options)
            return (0..<m.rows).map { m.row($0) }
        }
        func embedImages(_ files: [ImageFile]) -> [Result<[Float], Error>] { [] }
    }

    /// What `memoryKeys` keystrokes add to the resident memory, and what the prompt store
    /// holds and let go by then.
    public struct MemoryFigures: Encodable {
        var keys = 0
        var rss_before_mb = 0.0, rss_after_mb = 0.0, rss_growth_mb = 0.0
        var prompts_in_memory = 0, prompts_evicted = 0
        var settled_ms_median = 0.0
    }

    /// A cold open of A and B with no prompt known: the progressive evaluation (template by
    /// template, scores from the templates so far) against the same prompts in plain
    /// batches of `LiveEvaluator.coldOpenBatch`, each with a fresh store.
    public struct ColdOpenFigures: Encodable {
        var prompts = 0
        /// Encoding every prompt in plain batches, sorted (prefixes shared within a batch).
        var plain_ms = 0.0
        /// The progressive evaluation: start → its first scores (A from one template)…
        var first_scores_ms = 0.0
        /// …and → the full ensemble's first stage.
        var full_scores_ms = 0.0
        /// Scores handed out before the full ensemble.
        var partials = 0
        /// plain_ms / full_scores_ms: the share of plain batches' throughput the
        /// progressive order keeps (the full stage 1 is included, so this is a lower bound).
        var throughput_kept = 0.0
    }

    public struct Figures: Encodable {
        var classes = 0, templates_a = 0, templates_b = 0, images = 0
        /// Keystroke → first stage, each key waiting for the previous one's scores.
        var keystroke_ms_median = 0.0, keystroke_ms_p95 = 0.0
        /// Keys 100 ms apart, faster than the scores come: last key → its scores.
        var burst_last_key_ms = 0.0
        /// Encoding one edited template's prompts (one per class), from nothing.
        var edit_template_encode_ms = 0.0
        /// Encoding the burst's last template's prompts, from nothing: what its last key
        /// must at least wait for.
        var burst_encode_ms = 0.0
        /// An edit whose prompts are cached (a template removed, then put back): → scores.
        var cached_edit_ms = 0.0
        /// The product images × classes alone (the floor of an edit that moves every class).
        var product_floor_ms = 0.0
        /// Every stage of the last edit (statistics, template effects) in.
        var all_stages_ms = 0.0
        /// What `eval` does after embedding: set A's scores and metrics over every image,
        /// one shot, its prompts cached.
        var headless_eval_ms = 0.0
        /// How the prompts that exist before typing were made: "model" (encoded, in
        /// `warm_encode_ms`) or "random" (unit vectors; `bench --live-random-prompts`).
        var warm_prompts = "model"
        var warm_encode_ms = 0.0
        /// Classes the template figures scanned per image at the last settled key (of
        /// `classes`; all of them when the bounds rule out too few).
        var effect_classes_scanned = 0.0
        /// Keystrokes that change prompts, by kind (`insert_word`, `append_after_placeholder`,
        /// `delete_character`, `label_edit`): each key waits for the last one's settled scores.
        var edits: [String: EditFigures] = [:]
        /// A key inside a template: settled minus that key's own encoding of its new prompts
        /// (the median over the keys of `edits.insert_word`), what the stages after the text
        /// tower cost. Compare with `edits.insert_word.encode_ms`.
        var stages_after_encode_ms = 0.0
        /// A character appended after `{}`: key to settled scores (median).
        var append_after_placeholder_ms = 0.0
        /// The word inserted in A's first template with eight sets in the session (A, B and
        /// six more, cut from A's templates, all cached), the leaderboard of the eight made
        /// at each key as the session makes it: beside `edits.insert_word` (two sets).
        var insert_word_8_sets: EditFigures?
        /// Resident memory over `memoryKeys` keystrokes of new prompts (nil: not measured).
        var memory: MemoryFigures?
        /// A cold open (nil: not measured; `bench --live-cold-open`).
        var cold_open: ColdOpenFigures?
        /// The text tower's prefix states kept across keystrokes, at the end of the replay.
        var text_states = TextStateFigures()
        /// Template weights and the temperature fitted on set A (nil: not measured; `bench --live-weights`).
        var weights: WeightFigures?
        public var sorted_keystroke_ms: [Double] = []
    }

    /// `--weights fit` and `--temperature fit` at the bench's scale, beside `headless_eval_ms`.
    public struct WeightFigures: Encodable {
        var templates = 0, classes = 0, images = 0
        /// `LiveEvaluator.fitWeights`: k folds and the final fit.
        var fit_ms = 0.0
        /// `LiveEvaluator.fitTemperature` (with the fitted weights).
        var temperature_fit_ms = 0.0
        /// What `eval` does after embedding with the fitted weights applied: beside `headless_eval_ms`.
        var weighted_eval_ms = 0.0
        /// The same one-shot eval without weights, on these images.
        var plain_eval_ms = 0.0
        var held_out_top1 = 0.0, equal_top1 = 0.0
        var iterations = 0
        var converged = false
        /// `LiveEvaluator.zpeWeights` (no reference images), and the top-1 its weights give
        /// on these images (no fit: ZPE reads no truth, so no figure needs holding out).
        var zpe_ms = 0.0
        var zpe_top1 = 0.0
        /// `edits.insert_word` replayed with set A weighted by ZPE in the session (`w`):
        /// settled and first scores, beside the same keys' figures with equal weights.
        var zpe_insert_word_settled_ms_median = 0.0, zpe_insert_word_first_ms_median = 0.0
        /// The same kind of keys (another one-token word, typed just before) with equal weights.
        var insert_word_settled_ms_median = 0.0, insert_word_first_ms_median = 0.0
    }

    /// What `TextStateCache` holds and saved over the replay.
    public struct TextStateFigures: Encodable {
        /// Prefixes held, and the most it may hold (prefixes, and MB of states).
        var prefixes = 0, capacity = 0
        var mb = 0.0, capacity_mb = 0.0
        /// Token positions read from it, and computed, by keystroke encodings.
        var reused_rows = 0, computed_rows = 0
        /// Prefixes dropped to make room.
        var evicted = 0
        init() {}
        init(_ cache: TextStateCache) {
            let c = cache.counts
            prefixes = c.held; capacity = cache.capacity
            mb = Double(cache.bytesHeld) / 1e6; capacity_mb = Double(cache.capacityBytes) / 1e6
            reused_rows = c.reusedRows; computed_rows = c.computedRows; evicted = c.evicted
        }
    }

    /// One kind of edit, replayed key by key.
    public struct EditFigures: Encodable {
        var keys = 0
        /// Key → first scores (stage 1).
        var first_ms_median = 0.0, first_ms_p95 = 0.0
        /// Key → every stage in (statistics, template figures).
        var settled_ms_median = 0.0, settled_ms_p95 = 0.0
        /// Encoding the last key's new prompts alone, from nothing.
        var encode_ms = 0.0
        /// Each key's own encoding of its new prompts, inside the evaluation (with the text
        /// tower's kept prefix states), and settled minus it: the stages' cost.
        var key_encode_ms_median = 0.0
        var stages_ms_median = 0.0, stages_ms_p95 = 0.0
        /// Each step of the evaluation (`LiveEvaluation.steps`), median over the keys: where
        /// `stages_ms_median` goes. A step a key skipped counts over the keys that took it.
        var step_ms_median: [String: Double] = [:]
    }

    /// The texts each key of an edit leaves: `text` with `typed` put in, key by key, at
    /// `offset`.
    static func keystrokes(into text: String, at offset: String.Index, typing typed: String) -> [String] {
        (1...typed.count).map { n in String(text[..<offset] + typed.prefix(n) + text[offset...]) }
    }

    /// The texts of `count` backspaces at `offset`, key by key.
    static func deletions(from text: String, before offset: String.Index, count: Int) -> [String] {
        (1...max(1, count)).map { n in String(text[..<text.index(offset, offsetBy: -n)] + text[offset...]) }
    }

    /// Whether `run` measures template weights and the temperature fit (`live.weights`).
    public var measureWeights = false

    public func run(measureBurst: Bool = true) throws -> Figures {
        let provider = TextOnlyProvider(text: text, tokenizer: tokenizer)
        let store = EmbeddingStore(provider: provider, cache: nil)
        let d = provider.dimension
        var rng = SplitMix64(seed: 7)
        func unit() -> [Float] { Vector.normalized((0..<d).map { _ in Float(Int64(bitPattern: rng.next() >> 11) % 2001 - 1000) / 1000 }) }
        let labelSet = LabelSet(name: "bench", classes: labels.map { ClassLabel(name: $0) })
        // Every prompt of A and B: the warm prompts, and what a cold open encodes.
        let allPrompts = Set((templatesA + templatesB).map(Template.init).filter(\.hasPlaceholder).flatMap { t in labels.map { t.render($0) } })
        var warm: [String: [Float]] = [:]
        var r = Figures()
        if randomPrompts {
            for t in templatesA + templatesB { for l in labels { warm[Template(t).render(l)] = unit() } }
            r.warm_prompts = "random"
        } else {
            // The model's own vectors: the geometry the template figures' bounds work on.
            let start = DispatchTime.now()
            warm = try EmbeddingStore(provider: provider, cache: nil).textEmbeddings(allPrompts, batchSize: LiveEvaluator.coldOpenBatch)!
            r.warm_encode_ms = milliseconds(since: start)
        }
        store.remember(texts: warm)
        var rows: [[Float]] = []
        for _ in 0..<imageCount { rows.append(unit()) }
        let names = (0..<imageCount).map { labels[$0 % max(1, labels.count)] as String? }
        let embedded = EmbeddedImages(
            items: names.enumerated().map { ImageCollection.Item(path: "\($0.offset)", relativePath: "\($0.offset)", truthName: $0.element) },
            matrix: Matrix(rows: rows, dimension: d), failures: [])
        let engine = LiveEngine()
        engine.load(store: store, images: embedded, rule: .softmax(scale: 100))
        var generation = 0
        /// Sets beyond A and B (the eight-set replay), scored but shown only on the leaderboard.
        var extraSets: [[Template]] = []
        /// Set A's weighting in the session (nil: equal; `--live-weights` replays with ZPE).
        var weightingA: WeightingMethod? = nil
        func request(_ a: [String], labels: LabelSet? = nil) -> EvaluationRequest {
            var r = EvaluationRequest(
                labels: labels ?? labelSet, sets: [a.map(Template.init), templatesB.map(Template.init)] + extraSets,
                figuresFor: extraSets.isEmpty ? nil : [0, 1])
            r.methods = [weightingA]
            return r
        }
        /// The leaderboard of every set, as the session makes it once statistics are in.
        @Sendable func board(_ e: LiveEvaluation) -> CandidateBoard {
            CandidateBoard(
                models: ["bench"], sets: e.sets.indices.map { "set \($0 + 1)" },
                evaluations: [.init(paths: embedded.items.map(\.path), result: e)], showModel: false, againstReference: false)
        }
        let classesScanned = Mutex(0.0)
        /// Milliseconds to the first stage (and, when asked, to the last).
        func evaluate(
            _ a: [String], labels: LabelSet? = nil, allStages: Bool = false
        ) throws -> (first: Double, last: Double, encode: Double, steps: [String: Double]) {
            generation += 1
            engine.supersede(with: generation)
            let start = DispatchTime.now()
            // The first stage's time, set from the engine's @Sendable publish closure.
            let first = Mutex<Double?>(nil), encode = Mutex(0.0), steps = Mutex<[String: Double]>([:])
            let current = generation
            let boardOnce = Mutex(false)
            let many = !extraSets.isEmpty
            try engine.evaluate(request(a, labels: labels), generation: current) { e in
                first.withLock { if $0 == nil { $0 = milliseconds(since: start) } }
                if e.completed == .scores { encode.withLock { $0 = 1000 * e.encodeSeconds } }
                steps.withLock { $0 = e.steps }
                if let scanned = e.effectClassesScanned { classesScanned.withLock { $0 = scanned } }
                if many, e.completed >= .statistics, !boardOnce.withLock({ $0 }) {
                    boardOnce.withLock { $0 = true }
                    _ = board(e)
                }
                if !allStages && e.completed == .scores { engine.supersede(with: current + 1_000_000) }
            }
            engine.supersede(with: generation)
            return (first.withLock { $0 } ?? .nan, milliseconds(since: start), encode.withLock { $0 }, steps.withLock { $0 })
        }
        r.classes = labels.count; r.templates_a = templatesA.count; r.templates_b = templatesB.count; r.images = imageCount
        _ = try evaluate(templatesA, allStages: true)
        var times: [Double] = []
        for n in 1...typed.count {
            times.append(try evaluate([String(typed.prefix(n))] + templatesA).first)
        }
        r.sorted_keystroke_ms = times.sorted()
        r.keystroke_ms_median = percentile(r.sorted_keystroke_ms, 0.5)
        r.keystroke_ms_p95 = percentile(r.sorted_keystroke_ms, 0.95)
        r.all_stages_ms = try evaluate([typed] + templatesA, allStages: true).last
        // Cached edits: the typed template out, and back in.
        let cached = [try evaluate(templatesA).first, try evaluate([typed] + templatesA).first]
        r.cached_edit_ms = cached.max() ?? 0

        if measureBurst {
            // Six keys 100 ms apart on another thread while the engine works on this one.
            let burst = " and a grey {}"
            let queue = DispatchQueue(label: "bench.engine")
            let group = DispatchGroup()
            let lastScores = Mutex<DispatchTime?>(nil)
            let base = generation
            var lastKey = DispatchTime.now()
            for n in 1...6 {
                let g = base + n
                let keyed = request([typed + String(burst.prefix(n * burst.count / 6))] + templatesA)
                lastKey = DispatchTime.now()
                engine.supersede(with: g)
                group.enter()
                queue.async {
                    _ = try? engine.evaluate(keyed, generation: g) { e in
                        if e.completed == .scores && n == 6 { lastScores.withLock { $0 = DispatchTime.now() } }
                    }
                    group.leave()
                }
                if n < 6 { Thread.sleep(forTimeInterval: 0.1) }
            }
            group.wait()
            generation = base + 6
            let last = lastScores.withLock { $0 }
            r.burst_last_key_ms = last.map { Double($0.uptimeNanoseconds - lastKey.uptimeNanoseconds) / 1e6 } ?? .nan
        }

        // One new template's prompts, encoded from nothing (no sharing with warm prompts).
        func encodeMilliseconds(_ template: String) throws -> Double {
            let fresh = EmbeddingStore(provider: provider, cache: nil)
            let prompts = Set(labels.map { Template(template).render($0) })
            // Tokenized again too, as the key tokenized them: encoding includes tokenizing.
            tokenizer.forgetRecentTexts()
            let start = DispatchTime.now()
            _ = try fresh.textEmbeddings(prompts, batchSize: LiveEvaluator.promptBatch)
            return milliseconds(since: start)
        }
        r.edit_template_encode_ms = try encodeMilliseconds("a low resolution photo of my {}.")
        if measureBurst { r.burst_encode_ms = try encodeMilliseconds(typed + " and a grey {}") }

        // Honest keystrokes: every key below changes prompts (a lone `{` would leave the
        // template out and encode nothing: the easy case `keystroke_ms_*` also counts).
        let edited = templatesA.first { Template($0).hasPlaceholder } ?? "a photo of a {}."
        let rest = Array(templatesA.drop { $0 == edited })
        let placeholder = edited.range(of: "{}")!
        func figures(_ steps: [(a: [String], labels: LabelSet?)], encode: () throws -> Double) throws -> EditFigures {
            _ = try evaluate([edited] + rest, allStages: true)  // from the set as it was
            var first: [Double] = [], settled: [Double] = [], encoded: [Double] = [], stages: [Double] = []
            var bySteps: [String: [Double]] = [:]
            for step in steps {
                let t = try evaluate(step.a, labels: step.labels, allStages: true)
                first.append(t.first)
                settled.append(t.last)
                encoded.append(t.encode)
                stages.append(t.last - t.encode)
                for (name, ms) in t.steps { bySteps[name, default: []].append(ms) }
            }
            first.sort(); settled.sort(); encoded.sort(); stages.sort()
            var f = EditFigures()
            f.keys = steps.count
            f.first_ms_median = percentile(first, 0.5); f.first_ms_p95 = percentile(first, 0.95)
            f.settled_ms_median = percentile(settled, 0.5); f.settled_ms_p95 = percentile(settled, 0.95)
            f.key_encode_ms_median = percentile(encoded, 0.5)
            f.stages_ms_median = percentile(stages, 0.5); f.stages_ms_p95 = percentile(stages, 0.95)
            f.step_ms_median = bySteps.mapValues { percentile($0.sorted(), 0.5) }
            f.encode_ms = try encode()
            return f
        }
        let inserted = Self.keystrokes(into: edited, at: placeholder.lowerBound, typing: "big ")
        r.edits["insert_word"] = try figures(inserted.map { ([$0] + rest, nil) }) { try encodeMilliseconds(inserted.last!) }
        let appended = Self.keystrokes(into: edited, at: placeholder.upperBound, typing: " here")
        r.edits["append_after_placeholder"] = try figures(appended.map { ([$0] + rest, nil) }) { try encodeMilliseconds(appended.last!) }
        let room = edited.distance(from: edited.startIndex, to: placeholder.lowerBound)
        if room > 0 {
            let deleted = Self.deletions(from: edited, before: placeholder.lowerBound, count: min(4, room))
            r.edits["delete_character"] = try figures(deleted.map { ([$0] + rest, nil) }) { try encodeMilliseconds(deleted.last!) }
        }
        if let name = labels.first {
            let renamed = Self.keystrokes(into: name, at: name.endIndex, typing: " fish")
            let steps = renamed.map { n -> (a: [String], labels: LabelSet?) in
                ([edited] + rest, LabelSet(name: "bench", classes: [ClassLabel(name: n)] + labels.dropFirst().map { ClassLabel(name: $0) }))
            }
            r.edits["label_edit"] = try figures(steps) {
                // One class's prompts under both sets.
                let fresh = EmbeddingStore(provider: provider, cache: nil)
                let prompts = Set((templatesA + templatesB).map(Template.init).filter(\.hasPlaceholder).map { $0.render(renamed.last!) })
                tokenizer.forgetRecentTexts()
                let start = DispatchTime.now()
                _ = try fresh.textEmbeddings(prompts, batchSize: LiveEvaluator.promptBatch)
                return milliseconds(since: start)
            }
        }
        if let insert = r.edits["insert_word"] { r.stages_after_encode_ms = insert.stages_ms_median }
        r.effect_classes_scanned = classesScanned.withLock { $0 }
        // The same keys with A weighted by ZPE, made live at each key as the session makes
        // it (`w`): beside `edits.insert_word`, the same keys with equal weights.
        var weightedInsert: EditFigures?, plainInsert: EditFigures?
        if measureWeights {
            // Two more words than insert_word's, of one token each, typed in turn: "new "
            // with equal weights, then "old " weighted. Neither's prompts are in memory yet
            // (as for a user), and both meet the text-state cache as the replay left it.
            let typedPlain = Self.keystrokes(into: edited, at: placeholder.lowerBound, typing: "new ")
            plainInsert = try figures(typedPlain.map { ([$0] + rest, nil) }) { try encodeMilliseconds(typedPlain.last!) }
            let typedWeighted = Self.keystrokes(into: edited, at: placeholder.lowerBound, typing: "old ")
            weightingA = .zpe
            weightedInsert = try figures(typedWeighted.map { ([$0] + rest, nil) }) { try encodeMilliseconds(typedWeighted.last!) }
            weightingA = nil
            _ = try evaluate([edited] + rest, allStages: true)
        }
        // The same keys with eight sets: only A's candidates change; the leaderboard is made per key.
        if templatesA.count >= 6 {
            let size = max(1, templatesA.count / 6)
            extraSets = (0..<6).map { i in templatesA.dropFirst(i * size).prefix(size).map(Template.init) }
            // Another word of as many keys: its prompts are new too (the two-set replay's are cached now).
            let other = Self.keystrokes(into: edited, at: placeholder.lowerBound, typing: "red ")
            r.insert_word_8_sets = try figures(other.map { ([$0] + rest, nil) }) { try encodeMilliseconds(other.last!) }
            extraSets = []
        }
        r.append_after_placeholder_ms = r.edits["append_after_placeholder"]?.settled_ms_median ?? 0

        if measureColdOpen {
            var c = ColdOpenFigures()
            let prompts = allPrompts
            c.prompts = prompts.count
            var start = DispatchTime.now()
            _ = try EmbeddingStore(provider: provider, cache: nil).textEmbeddings(prompts, batchSize: LiveEvaluator.coldOpenBatch)
            c.plain_ms = milliseconds(since: start)
            let evaluator = LiveEvaluator(store: EmbeddingStore(provider: provider, cache: nil), images: embedded, rule: .softmax(scale: 100))
            var cold = request(templatesA)
            cold.through = .scores
            start = DispatchTime.now()
            try evaluator.evaluate(cold) { e in
                if c.first_scores_ms == 0 { c.first_scores_ms = milliseconds(since: start) }
                if e.isPartial { c.partials += 1 } else { c.full_scores_ms = milliseconds(since: start) }
            }
            c.throughput_kept = c.plain_ms / max(c.full_scores_ms, 1e-9)
            r.cold_open = c
        }

        if memoryKeys > 0 {
            var m = MemoryFigures()
            m.keys = memoryKeys
            m.rss_before_mb = residentMegabytes()
            let rest = Array(templatesA.dropFirst())
            var settled: [Double] = []
            for i in 0..<memoryKeys {
                // A key that makes a new template: every one of its prompts is new text.
                settled.append(try evaluate(["a photo of a {} seen \(i) times."] + rest, allStages: true).last)
            }
            m.rss_after_mb = residentMegabytes()
            m.rss_growth_mb = m.rss_after_mb - m.rss_before_mb
            (m.prompts_in_memory, m.prompts_evicted) = store.textMemory
            m.settled_ms_median = percentile(settled.sorted(), 0.5)
            r.memory = m
        }

        r.headless_eval_ms =
            try (0..<3).map { _ in
                let s = DispatchTime.now()
                // A fresh evaluator, as a command makes one: nothing kept from the replay.
                let evaluator = LiveEvaluator(store: store, images: embedded, rule: .softmax(scale: 100))
                _ = try evaluator.evaluateOnce(
                    EvaluationRequest(labels: labelSet, sets: [templatesA.map(Template.init)], through: .statistics))
                return milliseconds(since: s)
            }.min() ?? 0
        if measureWeights {
            // Images near their class's ensemble over the first half of A's templates, plus
            // noise twice as large: equal weights get about 68% top-1 and NLL 1.8 (1,000
            // classes, 128 dimensions), weight on that half alone about 99%; a fit has
            // something to learn, as on real data. The replay's random images carry nothing.
            var f = WeightFigures()
            let setA = templatesA.map(Template.init).filter(\.hasPlaceholder)
            let informative = setA.prefix(max(1, setA.count / 2))
            var near: [[Float]] = []
            for i in 0..<imageCount {
                let label = labels[i % max(1, labels.count)]
                var v = [Float](repeating: 0, count: d)
                for t in informative { if let e = warm[t.render(label)] { for j in 0..<d { v[j] += e[j] } } }
                let n = Vector.normalized(v), noise = unit()
                near.append(Vector.normalized((0..<d).map { n[$0] + 2 * noise[$0] }))
            }
            let labelled = EmbeddedImages(items: embedded.items, matrix: Matrix(rows: near, dimension: d), failures: [])
            let evaluator = LiveEvaluator(store: store, images: labelled, rule: .softmax(scale: 100))
            var plain = EvaluationRequest(labels: labelSet, sets: [templatesA.map(Template.init)], through: .statistics)
            f.templates = Set(setA).count; f.classes = labels.count; f.images = imageCount
            func eval(_ r: EvaluationRequest) throws -> Double {
                try (0..<3).map { _ in
                    let s = DispatchTime.now()
                    _ = try LiveEvaluator(store: store, images: labelled, rule: .softmax(scale: 100)).evaluateOnce(r)
                    return milliseconds(since: s)
                }.min() ?? 0
            }
            f.plain_eval_ms = try eval(plain)
            var start = DispatchTime.now()
            let fit = try evaluator.fitWeights(set: 0, request: plain)
            f.fit_ms = milliseconds(since: start)
            f.held_out_top1 = fit?.heldOutTop1 ?? 0; f.equal_top1 = fit?.equalTop1 ?? 0
            f.iterations = fit?.iterations ?? 0; f.converged = fit?.converged ?? false
            plain.weights = [fit?.byTemplate]
            start = DispatchTime.now()
            _ = try evaluator.fitTemperature(set: 0, request: plain)
            f.temperature_fit_ms = milliseconds(since: start)
            f.weighted_eval_ms = try eval(plain)
            start = DispatchTime.now()
            let zpe = try evaluator.zpeWeights(set: 0, request: plain, reference: nil)
            f.zpe_ms = milliseconds(since: start)
            plain.weights = [zpe?.byTemplate]
            f.zpe_top1 = try evaluator.evaluateOnce(plain).sets[0].metrics?.top1 ?? 0
            f.zpe_insert_word_settled_ms_median = weightedInsert?.settled_ms_median ?? 0
            f.zpe_insert_word_first_ms_median = weightedInsert?.first_ms_median ?? 0
            f.insert_word_settled_ms_median = plainInsert?.settled_ms_median ?? 0
            f.insert_word_first_ms_median = plainInsert?.first_ms_median ?? 0
            r.weights = f
        }
        let w = Matrix(rows: (0..<labels.count).map { _ in unit() }, dimension: d)
        let images = embedded.matrix
        r.product_floor_ms =
            (0..<3).map { _ in
                let s = DispatchTime.now(); _ = BLAS.matmul(images, w, transB: true); return milliseconds(since: s)
            }.min() ?? 0
        r.text_states = TextStateFigures(provider.states)
        return r
    }

    private func percentile(_ sorted: [Double], _ q: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
    }
}
