import Foundation
import Synchronization
import Tensors
import TestSupport
import XCTest
@testable import Scoring

/// The live engine against fresh evaluations and the headless scoring path, over random
/// edit sequences; the truth after label edits; a newer edit stopping older work.
final class LiveEvaluatorTests: XCTestCase {
    static let dimension = 16

    /// How far two float32 cosines of unit vectors may differ when their class vectors come
    /// from float64 sums in another order (each rounded to float32: ≤ u per component, so
    /// ≤ u·Σ|xᵢwᵢ| ≤ u per cosine, twice) and the products are summed in another order.
    static let cosineTolerance = FloatBounds.reorderedSum(terms: dimension) + 4 * FloatBounds.unitRoundoff

    func images(_ n: Int, classes: [String], seed: UInt64) -> EmbeddedImages {
        var rng = SplitMix64(seed: seed)
        var rows: [[Float]] = [], items: [ImageCollection.Item] = []
        let fake = FakeProvider(dimension: Self.dimension)
        for i in 0..<n {
            // Near a class's plain prompt, so that accuracy is neither 0 nor 1; a few images
            // of a class no label names ("zebra"), one without truth.
            let name = i % 11 == 10 ? "zebra" : classes[i % classes.count]
            var v = fake.derived("a photo of a \(name).")
            for k in v.indices { v[k] += Float(Int(rng.next() % 200) - 100) / 12 }
            rows.append(Vector.normalized(v))
            items.append(.init(path: "/i/\(i).png", relativePath: "\(i).png", truthName: i == 3 ? nil : name))
        }
        return .init(items: items, matrix: Matrix(rows: rows, dimension: Self.dimension), failures: [])
    }

    func evaluateAll(_ e: LiveEvaluator, _ r: EvaluationRequest) throws -> LiveEvaluation {
        var last: LiveEvaluation?
        XCTAssertTrue(try e.evaluate(r) { last = $0 })
        return try XCTUnwrap(last)
    }

    /// Predictions may differ only where the reference's top two are within the tolerance.
    func assertSamePredictions(_ a: SetScores, _ b: SetScores, _ context: String) {
        for i in 0..<a.imageCount where a.predictions[i] != b.predictions[i] {
            let row = (0..<a.classCount).map { a.cosines[i, $0] }.sorted(by: >)
            XCTAssertLessThan(row[0] - row[1], Float(2 * Self.cosineTolerance), "\(context): image \(i) flips without a near tie")
        }
    }

    func assertClose(_ live: LiveEvaluation, _ fresh: LiveEvaluation, _ context: String) {
        XCTAssertEqual(live.classNames, fresh.classNames, context)
        XCTAssertEqual(live.truth, fresh.truth, context)
        for (x, y) in zip(live.sets.map(\.scores), fresh.sets.map(\.scores)) {
            XCTAssertEqual(x.cosines.rows, y.cosines.rows, context)
            XCTAssertEqual(x.cosines.cols, y.cosines.cols, context)
            let worst = zip(x.cosines.storage, y.cosines.storage).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(Double(worst), Self.cosineTolerance, context)
            assertSamePredictions(x, y, context)
        }
    }

    /// CLIP's ensemble written out plainly in float64: each class's prompts' unit vectors
    /// summed, normalised; each image's cosine to it. An independent reference for the engine.
    func referenceCosines(_ store: EmbeddingStore, _ imgs: EmbeddedImages, labels: LabelSet, templates: [Template]) throws -> [[Double]] {
        let classes: [[Double]] = try labels.classes.map { c in
            var sum = [Double](repeating: 0, count: Self.dimension)
            for p in c.prompts(templates) {
                let v = try store.textEmbeddings([p])[0]
                let n = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                for k in sum.indices { sum[k] += Double(v[k]) / n }
            }
            let n = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return n > 0 ? sum.map { $0 / n } : sum
        }
        return (0..<imgs.matrix.rows).map { i in
            classes.map { w in zip(imgs.matrix.row(i), w).reduce(0.0) { $0 + Double($1.0) * $1.1 } }
        }
    }

    func testRandomEditsEqualAFreshEvaluationAndAPlainReference() throws {
        let fake = FakeProvider(dimension: Self.dimension)
        let store = EmbeddingStore(provider: fake, cache: nil)
        var classes = [
            ClassLabel(name: "cat", synonyms: ["kitty"]), ClassLabel(name: "dog"), ClassLabel(name: "fox"),
            ClassLabel(name: "owl", sentences: ["an owl at night.", "a small owl."]), ClassLabel(name: "eel"),
            ClassLabel(name: "cat")
        ]  // a repeated class, as open_clip's ImageNet list has
        var a = ["a photo of a {}.", "a drawing of a {}.", "{}", "itap of my {}."].map(Template.init)
        var b = ["a photo of a {}.", "a {} in the wild."].map(Template.init)
        let imgs = images(60, classes: ["cat", "dog", "fox", "owl", "eel", "kitty"], seed: 5)
        let live = LiveEvaluator(store: store, images: imgs)
        var rng = SplitMix64(seed: 11)
        let words = ["bat", "yak", "emu", "gnu", "cow", "ant"]
        let phrases = ["a {} outside.", "my {}", "a blurry {}", "the {} again", "no placeholder", "a {} and a {}"]
        for step in 0..<80 {
            let pick = { (n: Int) -> Int in Int(rng.next() % UInt64(max(1, n))) }
            switch rng.next() % 9 {
            case 0: a.insert(Template(phrases[pick(phrases.count)]), at: pick(a.count + 1))
            case 1: if a.count > 1 { a.remove(at: pick(a.count)) }
            case 2: a[pick(a.count)] = Template(phrases[pick(phrases.count)])
            case 3: if b.isEmpty { b.append(Template("{}")) } else { b[pick(b.count)] = Template(phrases[pick(phrases.count)]) }
            case 4: classes.insert(ClassLabel(name: words[pick(words.count)]), at: pick(classes.count + 1))
            case 5: if classes.count > 1 { classes.remove(at: pick(classes.count)) }
            case 6: let i = pick(classes.count); classes[i].synonyms.append(words[pick(words.count)])
            case 7: let i = pick(classes.count); classes[i].name = words[pick(words.count)]
            default: if let t = a.first { a.removeFirst(); a.append(t) }  // toggled: out and back in
            }
            let labels = LabelSet(name: "l", classes: classes)
            let request = EvaluationRequest(labels: labels, templatesA: a, templatesB: b)
            let incremental = try evaluateAll(live, request)
            let fresh = try evaluateAll(LiveEvaluator(store: store, images: imgs), request)
            assertClose(incremental, fresh, "step \(step)")
            // Template effects too: after a label edit their products are kept where class
            // and image still are, and only new columns and rows computed.
            for s in 0..<2 {
                for (t, f) in incremental.sets[s].templates {
                    XCTAssertEqual(f.effect, fresh.sets[s].templates[t]?.effect, "step \(step): \(t.text)")
                    XCTAssertEqual(f.tokens, fresh.sets[s].templates[t]?.tokens, "step \(step): \(t.text)'s longest prompt")
                }
            }
            // A plain float64 ensemble of set A: the same cosines within float32's rounding.
            let reference = try referenceCosines(store, imgs, labels: labels, templates: a)
            XCTAssertEqual(incremental.truth, imgs.truth(labels), "step \(step)")
            let scores = incremental.sets[0].scores
            for i in 0..<scores.imageCount {
                for c in 0..<scores.classCount {
                    XCTAssertEqual(Double(scores.cosines[i, c]), reference[i][c], accuracy: Self.cosineTolerance, "step \(step)")
                }
            }
        }
    }

    func testTruthFollowsTheLabelsByName() throws {
        let store = EmbeddingStore(provider: FakeProvider(dimension: Self.dimension), cache: nil)
        let imgs = images(44, classes: ["cat", "dog", "fox", "eel"], seed: 2)
        let live = LiveEvaluator(store: store, images: imgs)
        let t = [Template("a photo of a {}.")]
        func run(_ names: [String]) throws -> LiveEvaluation {
            try evaluateAll(
                live,
                EvaluationRequest(
                    labels: LabelSet(name: "l", classes: names.map { ClassLabel(name: $0) }),
                    templatesA: t, templatesB: t))
        }
        let all = try run(["cat", "dog", "fox", "eel"])
        let named = imgs.truthNames
        XCTAssertEqual(all.truth.compactMap { $0 }.count, named.filter { $0 != nil && $0 != "zebra" }.count)
        // The first class deleted: its images are unlabelled, the others keep their names.
        let deleted = try run(["dog", "fox", "eel"])
        for i in 0..<44 {
            XCTAssertEqual(deleted.truth[i].map { deleted.classNames[$0] }, all.truth[i].map { all.classNames[$0] }.flatMap { $0 == "cat" ? nil : $0 })
        }
        XCTAssertEqual(deleted.summary?.labelled, named.filter { $0 != nil && $0 != "zebra" && $0 != "cat" }.count)
        // A class inserted first shifts nothing by name; the deleted class added back takes its images again.
        let inserted = try run(["ant", "cat", "dog", "fox", "eel"])
        for i in 0..<44 {
            XCTAssertEqual(inserted.truth[i].map { inserted.classNames[$0] }, all.truth[i].map { all.classNames[$0] })
        }
        XCTAssertEqual(inserted.summary?.labelled, all.summary?.labelled)
        // Reordered labels: the same truth by name, the same accuracy.
        let reordered = try run(["eel", "fox", "dog", "cat"])
        XCTAssertEqual(reordered.summary?.top1A, all.summary?.top1A)
        XCTAssertEqual(reordered.summary?.labelled, all.summary?.labelled)
    }

    func testTemplateEffectsEqualRescoringWithoutEachTemplate() throws {
        let store = EmbeddingStore(provider: FakeProvider(dimension: Self.dimension), cache: nil)
        let imgs = images(80, classes: ["cat", "dog", "fox", "owl", "eel"], seed: 9)
        let labels = LabelSet(
            name: "l",
            classes: ["cat", "dog", "fox", "owl", "eel"].map { ClassLabel(name: $0) }
                + [ClassLabel(name: "kitty", synonyms: ["kitten"])])
        let a = ["a photo of a {}.", "a drawing of a {}.", "{}", "itap of my {}.", "a {} outside."].map(Template.init)
        let e = try evaluateAll(LiveEvaluator(store: store, images: imgs), .init(labels: labels, templatesA: a, templatesB: [a[0]]))
        let figures = e.sets[0].templates
        XCTAssertEqual(Set(figures.keys), Set(a), "one figure per template, by text")
        let full = try XCTUnwrap(e.summary).top1A
        for t in a.indices {
            let without = try evaluateAll(
                LiveEvaluator(store: store, images: imgs),
                .init(
                    labels: labels, templatesA: a.enumerated().filter { $0.offset != t }.map(\.element),
                    templatesB: [a[t]]))
            let s = try XCTUnwrap(without.summary)
            // One image in 80 is 0.0125: the figures must agree to the image.
            let effect = try XCTUnwrap(figures[a[t]]?.effect)
            XCTAssertEqual(effect.leaveOneOut, s.top1A - full, accuracy: 1e-9, "template \(t)")
            XCTAssertEqual(effect.accuracy, s.top1B, accuracy: 1e-9, "template \(t) alone")
        }
    }

    /// Prompts shaped as CLIP's are (a class's templates pointing nearly the same way):
    /// the leave-one-out figures scan a few classes per image, ruling the rest out by
    /// bounds, and still equal scoring the set again without each template, to the image,
    /// with equal weights and with weights of the set's own.
    func testTemplateFiguresScanningFewClassesEqualRescoring() throws {
        let (store, imgs, labels, templates, _) = clusteredWorld()
        let classCount = labels.classes.count
        let weights = Dictionary(uniqueKeysWithValues: templates.enumerated().map { ($1, Double($0 % 4 + 1)) })
        for weighted in [false, true] {
            var request = EvaluationRequest(labels: labels, sets: [templates])
            if weighted { request.weights = [weights] }
            let e = try evaluateAll(LiveEvaluator(store: store, images: imgs), request)
            let scanned = try XCTUnwrap(e.effectClassesScanned)
            XCTAssertLessThan(scanned, Double(classCount) / 8, "weighted \(weighted): the bounds rule most classes out")
            let full = try XCTUnwrap(e.sets[0].metrics).top1
            let figures = e.sets[0].templates
            for t in templates.indices {
                var without = EvaluationRequest(labels: labels, sets: [templates.enumerated().filter { $0.offset != t }.map(\.element)])
                if weighted { without.weights = [weights.filter { $0.key != templates[t] }] }
                let top1 = try XCTUnwrap(evaluateAll(LiveEvaluator(store: store, images: imgs), without).sets[0].metrics).top1
                let effect = try XCTUnwrap(figures[templates[t]]?.effect)
                // One image in 300 is 0.0033: the figures agree to the image (a weighted
                // set is scored through float32 sums, where a near tie may fall either way).
                XCTAssertEqual(effect.leaveOneOut, top1 - full, accuracy: weighted ? 0.004 : 1e-9, "weighted \(weighted), template \(t)")
            }
        }
    }

    /// Images and prompts shaped as CLIP's: each class's templates point nearly the same
    /// way (the bounds rule most classes out), and half the images lie between two classes
    /// (where leaving a template out flips the winner: the cases a bound too tight, or a
    /// scan that missed a class, would get wrong). `templates` then `extra` have vectors.
    private func clusteredWorld(
        extra: Int = 0
    ) -> (store: EmbeddingStore, images: EmbeddedImages, labels: LabelSet, templates: [Template], extra: [Template]) {
        let dim = 32, classCount = 60
        let names = (0..<classCount).map { "class\($0)" }
        let templates = (0..<12).map { Template("t\($0) of a {}.") }, more = (0..<extra).map { Template("u\($0) of a {}.") }
        var rng = SplitMix64(seed: 21)
        func noise() -> [Float] { (0..<dim).map { _ in Float(Int(rng.next() % 2001) - 1000) / 1000 } }
        let centers = names.map { _ in Vector.normalized(noise()) }
        let offsets = (templates + more).map { _ in noise() }
        let provider = FakeProvider(dimension: dim)
        for (c, name) in names.enumerated() {
            for (t, template) in (templates + more).enumerated() {
                let n = noise()
                provider.vectors[template.render(name)] = Vector.normalized((0..<dim).map { centers[c][$0] * 4 + offsets[t][$0] * 0.3 + n[$0] * 0.5 })
            }
        }
        var rows: [[Float]] = [], items: [ImageCollection.Item] = []
        for i in 0..<300 {
            let c = i % classCount, d = (c + 1) % classCount, n = noise()
            let between: Float = i % 2 == 0 ? 0.5 : 0
            rows.append(Vector.normalized((0..<dim).map { centers[c][$0] * (1 - between) + centers[d][$0] * between + n[$0] * 0.05 }))
            items.append(.init(path: "/i/\(i).png", relativePath: "\(i).png", truthName: names[c]))
        }
        let imgs = EmbeddedImages(items: items, matrix: Matrix(rows: rows, dimension: dim), failures: [])
        return (EmbeddingStore(provider: provider, cache: nil), imgs, LabelSet(name: "l", classes: names.map { ClassLabel(name: $0) }), templates, more)
    }

    /// Edits on one evaluator, whose scan keeps each image's classes and the templates'
    /// products at them from edit to edit (gathering again only where the candidates moved):
    /// after each, every template's figures equal scoring the set again without it.
    func testTemplateFiguresKeptAcrossEditsEqualRescoring() throws {
        let (store, imgs, labels, templates, extra) = clusteredWorld(extra: 4)
        let live = LiveEvaluator(store: store, images: imgs)
        var set = templates
        for step in 0...extra.count {
            if step > 0 { set[(step * 5) % set.count] = extra[step - 1] }
            let e = try evaluateAll(live, EvaluationRequest(labels: labels, sets: [set]))
            XCTAssertLessThan(try XCTUnwrap(e.effectClassesScanned), Double(labels.classes.count) / 8, "step \(step)")
            let full = try XCTUnwrap(e.sets[0].metrics).top1
            for t in set.indices {
                let without = EvaluationRequest(labels: labels, sets: [set.enumerated().filter { $0.offset != t }.map(\.element)])
                let top1 = try XCTUnwrap(evaluateAll(LiveEvaluator(store: store, images: imgs), without).sets[0].metrics).top1
                XCTAssertEqual(try XCTUnwrap(e.sets[0].templates[set[t]]?.effect).leaveOneOut, top1 - full, accuracy: 1e-9, "step \(step), template \(t)")
            }
        }
    }

    /// The template figures read a key's vectors from stage 1 when it has them, and ask the
    /// store otherwise (a set shown only now, its prompts encoded long before): the same
    /// figures either way, to the bit, a class with a synonym included.
    func testTemplateFiguresFromStageOnesVectorsEqualTheStoresOwn() throws {
        let store = EmbeddingStore(provider: FakeProvider(dimension: Self.dimension), cache: nil)
        let imgs = images(60, classes: ["cat", "dog", "fox", "owl"], seed: 4)
        let labels = LabelSet(
            name: "l", classes: ["cat", "dog", "fox", "owl"].map { ClassLabel(name: $0) } + [ClassLabel(name: "kitty", synonyms: ["kitten"])])
        let a = ["a photo of a {}.", "a drawing of a {}.", "itap of my {}."].map(Template.init)
        let b = ["a {} outside.", "a blurry {}."].map(Template.init)
        var request = EvaluationRequest(labels: labels, sets: [a, b])
        let fresh = try evaluateAll(LiveEvaluator(store: store, images: imgs), request)
        // Set A's figures made after its prompts were encoded and stage 1 moved on: none of
        // them is in that evaluation's stage 1.
        let later = LiveEvaluator(store: store, images: imgs)
        request.figuresFor = [1]
        _ = try evaluateAll(later, request)
        request.figuresFor = [0]
        let shownLater = try evaluateAll(later, request)
        XCTAssertEqual(shownLater.sets[0].templates.count, a.count)
        for t in a {
            XCTAssertEqual(shownLater.sets[0].templates[t]?.effect, fresh.sets[0].templates[t]?.effect, "\(t.text)")
            XCTAssertNotNil(fresh.sets[0].templates[t]?.effect)
        }
    }

    /// Forward selection on the engine's products: each fold's choice and the chosen set's
    /// held-out figure match an evaluation of the chosen templates on the same images.
    func testForwardSelectionEqualsEvaluatingTheChosenSets() throws {
        let store = EmbeddingStore(provider: FakeProvider(dimension: Self.dimension), cache: nil)
        let imgs = images(120, classes: ["cat", "dog", "fox", "owl", "eel"], seed: 12)
        let labels = LabelSet(name: "l", classes: ["cat", "dog", "fox", "owl", "eel"].map { ClassLabel(name: $0) })
        let a = ["a photo of a {}.", "a drawing of a {}.", "{}", "itap of my {}.", "a {} outside.", "a photo of a {}."].map(Template.init)
        let live = LiveEvaluator(store: store, images: imgs)
        let request = EvaluationRequest(labels: labels, sets: [a])
        let selection = try XCTUnwrap(try live.selection(set: 0, request: request, folds: 4))
        XCTAssertFalse(selection.templates.isEmpty)
        XCTAssertEqual(Set(selection.templates).count, selection.templates.count, "distinct templates")
        XCTAssertEqual(selection.folds, 4)
        XCTAssertEqual(selection.images, imgs.truth(labels).compactMap { $0 }.count)
        // The greedy choice is the best first template alone: its top-1 is the highest single-template top-1.
        let alone = try a.map { t in
            try XCTUnwrap(evaluateAll(LiveEvaluator(store: store, images: imgs), .init(labels: labels, sets: [[t]])).sets[0].metrics).top1
        }
        XCTAssertEqual(alone[a.firstIndex(of: selection.templates[0])!], alone.max()!, accuracy: 1e-12)
        // Each step improved the top-1 of the chosen prefix, as evaluated by the engine.
        var last = -1.0
        for n in 1...selection.templates.count {
            let e = try evaluateAll(LiveEvaluator(store: store, images: imgs), .init(labels: labels, sets: [Array(selection.templates.prefix(n))]))
            let top1 = try XCTUnwrap(e.sets[0].metrics).top1
            XCTAssertGreaterThan(top1, last, "prefix \(n)")
            last = top1
        }
        XCTAssertGreaterThanOrEqual(selection.heldOutAccuracy, 0)
        XCTAssertLessThanOrEqual(selection.heldOutAccuracy, 1)
    }

    /// A template without `{}` would give every class the same prompt: it is left out of
    /// the ensemble (the scores are those of the set without it) and has no effects row.
    func testATemplateWithoutAPlaceholderIsLeftOut() throws {
        let store = EmbeddingStore(provider: FakeProvider(dimension: Self.dimension), cache: nil)
        let imgs = images(30, classes: ["cat", "dog", "fox"], seed: 4)
        let labels = LabelSet(name: "l", classes: ["cat", "dog", "fox"].map { ClassLabel(name: $0) })
        let with = try evaluateAll(
            LiveEvaluator(store: store, images: imgs),
            .init(labels: labels, templatesA: [Template("a {}."), Template("a photo of a")], templatesB: [Template("{}")]))
        let without = try evaluateAll(
            LiveEvaluator(store: store, images: imgs),
            .init(labels: labels, templatesA: [Template("a {}.")], templatesB: [Template("{}")]))
        XCTAssertEqual(with.sets[0].scores.cosines, without.sets[0].scores.cosines)
        XCTAssertNotNil(with.sets[0].templates[Template("a {}.")]?.effect)
        XCTAssertEqual(with.sets[0].leftOut, [Template("a photo of a")])
        XCTAssertNil(with.sets[0].templates[Template("a photo of a")]?.effect)
        XCTAssertEqual(with.sets[0].templates[Template("a photo of a")]?.warning, "no {}: left out")
        XCTAssertEqual(with.sets[0].templates.count, 2)
        let plan = PromptPlan(labels: labels, templates: TemplateSet(name: "A", ["a {}.", "a photo of a"]))
        XCTAssertEqual(plan.prompts[0], ["a cat."])
        XCTAssertTrue(plan.issues.contains(.templateWithoutPlaceholder(template: "a photo of a")))
    }

    func testImageSearchRanksByCosineToTheText() throws {
        let fake = FakeProvider(dimension: Self.dimension)
        let store = EmbeddingStore(provider: fake, cache: nil)
        let imgs = images(12, classes: ["cat", "dog"], seed: 6)
        let scores = try LiveEvaluator(store: store, images: imgs).similarities(to: "a photo of a dog.")
        let q = Vector.normalized(fake.derived("a photo of a dog."))
        XCTAssertEqual(scores.count, 12)
        for i in 0..<12 {
            XCTAssertEqual(Double(scores[i]), Double(Vector.dot(imgs.matrix.row(i), q)), accuracy: Self.cosineTolerance)
        }
    }

    /// A temperature divides the model's logits and moves only the last step: the same
    /// cosines, a softmax at scale/T; T = 1 is the model as trained.
    func testATemperatureDividesTheModelsLogits() throws {
        let provider = SlowProvider()
        let store = EmbeddingStore(provider: provider, cache: nil)
        let imgs = images(20, classes: ["cat", "dog", "fox"], seed: 8)
        let labels = LabelSet(name: "l", classes: ["cat", "dog", "fox"].map { ClassLabel(name: $0) })
        let live = LiveEvaluator(store: store, images: imgs)
        let t = [Template("a {}.")]
        let cold = try evaluateAll(live, .init(labels: labels, templatesA: t, templatesB: t))
        XCTAssertEqual(cold.rule, provider.scoreRule, "T = 1 is the checkpoint's rule")
        let batches = provider.batches
        let warm = try evaluateAll(live, .init(labels: labels, templatesA: t, templatesB: t, temperature: 2))
        XCTAssertEqual(provider.batches, batches, "nothing encoded again")
        let a = warm.sets[0].scores, coldA = cold.sets[0].scores
        XCTAssertEqual(a.cosines, coldA.cosines)
        XCTAssertEqual(a.scale, provider.logitScale / 2)
        XCTAssertEqual(warm.temperature, 2)
        XCTAssertEqual(a.predictions, coldA.predictions, "top-1 does not move")
        let row = (0..<3).map { Double(a.scale) * Double(a.cosines[0, $0]) }
        let z = row.map { exp($0 - row.max()!) }.reduce(0, +)
        for c in 0..<3 {
            XCTAssertEqual(Double(a.probabilities(image: 0)[c]), exp(row[c] - row.max()!) / z, accuracy: 1e-6)
        }
    }

    /// SigLIP's rule at a temperature: sigmoid((scale·cos + bias)/T), bias divided too.
    func testATemperatureDividesSigLIPsLogitsWithItsBias() throws {
        let store = EmbeddingStore(provider: FakeProvider(dimension: Self.dimension), cache: nil)
        let imgs = images(10, classes: ["cat", "dog"], seed: 3)
        let labels = LabelSet(name: "l", classes: ["cat", "dog"].map { ClassLabel(name: $0) })
        let live = LiveEvaluator(store: store, images: imgs, rule: .sigmoid(scale: 10, bias: -10))
        let e = try evaluateAll(live, .init(labels: labels, sets: [[Template("a {}.")]], temperature: 1.25))
        XCTAssertEqual(e.rule, .sigmoid(scale: 8, bias: -8))
        let s = e.sets[0].scores
        for c in 0..<2 {
            let z = (10 * Double(s.cosines[0, c]) - 10) / 1.25
            XCTAssertEqual(Double(s.probabilities(image: 0)[c]), 1 / (1 + exp(-z)), accuracy: 1e-6)
        }
    }

    /// A provider that calls back after each batch, to supersede mid-encoding.
    final class SlowProvider: EmbeddingProvider, @unchecked Sendable {
        let fake = FakeProvider(dimension: LiveEvaluatorTests.dimension)
        var afterBatch: () -> Void = {}
        var batches = 0
        var fingerprint: String { fake.fingerprint }
        var dimension: Int { fake.dimension }
        var logitScale: Float { fake.logitScale }
        func tokenize(_ text: String) -> (ids: [Int], untruncatedCount: Int) { fake.tokenize(text) }
        func embedTexts(_ texts: [String]) throws -> [[Float]] {
            batches += 1
            defer { afterBatch() }
            return try fake.embedTexts(texts)
        }
        func embedImages(_ files: [ImageFile]) -> [Result<[Float], Error>] { [] }
    }

    func testANewerEditStopsTheOlderAtTheNextBatchAndNothingStaleIsPublished() throws {
        let provider = SlowProvider()
        let store = EmbeddingStore(provider: provider, cache: nil)
        let names = (0..<700).map { "class \($0)" }
        let engine = LiveEngine()
        let imgs = images(20, classes: names, seed: 1)
        engine.load(store: store, images: imgs)
        let labels = LabelSet(name: "l", classes: names.map { ClassLabel(name: $0) })
        // Generation 1 needs 1,400 prompts (6 batches of 256): after its first batch, generation 2 arrives.
        provider.afterBatch = { if provider.batches == 1 { engine.supersede(with: 2) } }
        engine.supersede(with: 1)
        // Stages are handed out through a @Sendable closure: the list is behind a mutex.
        let published = Mutex<[Int]>([])
        let finished = try engine.evaluate(
            .init(labels: labels, templatesA: [Template("a {}")], templatesB: [Template("b {}")]),
            generation: 1
        ) { _ in published.withLock { $0.append(1) } }
        XCTAssertFalse(finished)
        XCTAssertEqual(published.withLock { $0 }, [], "no stage of a superseded edit is handed out")
        XCTAssertEqual(provider.batches, 1, "stopped at the next batch")
        // The batch done is kept: generation 2 (the same prompts) encodes only the rest.
        provider.afterBatch = {}
        XCTAssertTrue(
            try engine.evaluate(
                .init(labels: labels, templatesA: [Template("a {}")], templatesB: [Template("b {}")]),
                generation: 2
            ) { e in published.withLock { $0.append(e.isPartial ? -1 : 2 + e.completed.rawValue) } })
        // Two templates of 700 prompts each: A's scores come before B's template is encoded
        // (a cold open's partial, −1), then all three stages.
        XCTAssertEqual(published.withLock { $0 }, [-1, 2, 3, 4], "A first, then all three stages, in order")
        XCTAssertEqual(provider.fake.encodedTexts.count, 1400, "each prompt encoded once")
    }
}
