import Foundation
import Scoring
import ScoringCore
import Tensors
import XCTest

/// Template weights, the fitted temperature and the reliability bins against the numpy
/// reference (`scripts/weights_reference.py`, which made `Fixtures/weights/reference.json`
/// from the same float32 inputs), and the properties that do not need one.
final class TemplateWeightsTests: XCTestCase {
    struct Reference: Decodable {
        struct Fit: Decodable {
            let weights: [Double]
            let iterations: Int
            let fold_weights: [[Double]]
            let held_out_top1, held_out_nll, equal_top1, equal_nll: Double
            let top1_difference, nll_difference: PairedInterval
        }
        struct Temperature: Decodable { let temperature, nll, nll_at_one, held_out_nll: Double }
        struct Bin: Decodable { let low, high: Double; let count: Int; let confidence, accuracy: Double }
        struct ZPE: Decodable { let scores, weights: [Double] }
        let scale, sigmoid_bias: Double
        let folds: Int
        let seed: UInt64
        let classes, templates: [String]
        let harmful_template: String
        let named_wrong_class_template: String
        let reference_images: [[Float]]
        let zpe_softmax, zpe_no_reference: ZPE
        let prompts: [String: [Float]]
        let images: [[Float]]
        let truth: [Int]
        let fit_softmax, fit_sigmoid: Fit
        let temperature_softmax, temperature_sigmoid: Temperature
        let reliability: [Bin]
        let ece: Double
    }

    func reference() throws -> Reference {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/weights/reference", withExtension: "json"))
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    func ensemble(_ r: Reference) -> WeightedEnsemble {
        WeightedEnsemble(
            templates: r.templates.map(Template.init), labels: LabelSet(name: "fixture", classes: r.classes.map { ClassLabel(name: $0) }),
            images: Matrix(rows: r.images, dimension: r.images[0].count), embeddings: r.prompts)
    }

    func assertEqual(_ a: [Double], _ b: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        for (i, (x, y)) in zip(a, b).enumerated() { XCTAssertEqual(x, y, accuracy: 1e-6, "\(what)[\(i)]", file: file, line: line) }
    }

    /// Fitted weights (every fold's and the final), their held-out figures and paired
    /// intervals, under CLIP's softmax and SigLIP's sigmoid, equal numpy's to 1e-6.
    func testFittedWeightsEqualTheNumpyReference() throws {
        let r = try reference()
        let e = ensemble(r)
        for (bias, expected) in [(nil, r.fit_softmax), (r.sigmoid_bias, r.fit_sigmoid)] as [(Double?, Reference.Fit)] {
            let fit = try XCTUnwrap(WeightFit(e, truth: r.truth, scale: r.scale, bias: bias, folds: r.folds, seed: r.seed))
            let rule = bias == nil ? "softmax" : "sigmoid"
            assertEqual(fit.weights, expected.weights, "\(rule) weights")
            XCTAssertEqual(fit.foldWeights.count, expected.fold_weights.count)
            for (f, w) in zip(fit.foldWeights, expected.fold_weights) { assertEqual(f, w, "\(rule) fold weights") }
            assertEqual(
                [fit.heldOutTop1, fit.heldOutNLL, fit.equalTop1, fit.equalNLL],
                [expected.held_out_top1, expected.held_out_nll, expected.equal_top1, expected.equal_nll], "\(rule) held-out")
            for (a, b) in [(fit.top1Difference, expected.top1_difference), (fit.nllDifference, expected.nll_difference)] {
                assertEqual([a.mean, a.low, a.high], [b.mean, b.low, b.high], "\(rule) paired interval")
            }
            XCTAssertEqual(fit.weights.reduce(0, +), 1, accuracy: 1e-12)
            XCTAssertTrue(fit.weights.allSatisfy { $0 >= 0 })
        }
    }

    /// A template whose prompts name the wrong class gets less weight than the median
    /// template, and the fit beats equal weights on images it did not see.
    func testAHarmfulTemplateWeighsLessThanTheMedian() throws {
        let r = try reference()
        let e = ensemble(r)
        let fit = try XCTUnwrap(WeightFit(e, truth: r.truth, scale: r.scale, bias: nil, folds: r.folds, seed: r.seed))
        let harmful = try XCTUnwrap(fit.templates.firstIndex(of: Template(r.harmful_template)))
        let sorted = fit.weights.sorted()
        let median = (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
        XCTAssertLessThan(fit.weights[harmful], median)
        XCTAssertLessThan(fit.weights[harmful], 1e-3, "the harmful template is all but dropped")
        XCTAssertLessThan(fit.nllDifference.mean, 0, "held-out NLL is better than equal weights' (100 images: its interval reaches 0)")
    }

    /// Equal weights are the plain ensemble: the same cosines as `EnsembleState`'s
    /// normalised sum, within float32 rounding of a unit vector's entries.
    func testEqualWeightsAreThePlainEnsemble() throws {
        let r = try reference()
        let e = ensemble(r)
        let cos = e.cosines(e.equalWeights)
        let labels = LabelSet(name: "fixture", classes: r.classes.map { ClassLabel(name: $0) }), templates = r.templates.map(Template.init)
        var state = EnsembleState(dimension: r.images[0].count)
        _ = state.apply(state.change(to: labels, templates: templates), labels: labels, templates: templates, embeddings: r.prompts)
        for (c, label) in labels.classes.enumerated() {
            let v = state.unitVector(label)
            for (x, image) in r.images.enumerated() {
                let plain = zip(image, v).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                XCTAssertEqual(cos[x * labels.classes.count + c], plain, accuracy: 1e-6)
            }
        }
    }

    /// The fitted T equals numpy's to 1e-6 (softmax and sigmoid), with its NLLs, and is a
    /// minimum: the NLL at T is no higher than at 1.1·T or T/1.1.
    func testFittedTemperatureEqualsTheReferenceAndIsAMinimum() throws {
        let r = try reference()
        let e = ensemble(r)
        let cos = e.cosines(e.equalWeights), k = r.classes.count
        for (bias, expected) in [(nil, r.temperature_softmax), (r.sigmoid_bias, r.temperature_sigmoid)] as [(Double?, Reference.Temperature)] {
            let logits = cos.map { r.scale * $0 + (bias ?? 0) }
            let fit = TemperatureFit(logits: logits, classes: k, truth: r.truth, sigmoid: bias != nil, folds: r.folds, seed: r.seed)
            XCTAssertEqual(fit.temperature, expected.temperature, accuracy: 1e-6)
            assertEqual([fit.nll, fit.nllAtOne, fit.heldOutNLL], [expected.nll, expected.nll_at_one, expected.held_out_nll], "NLL")
            XCTAssertFalse(fit.atBound)
            let rows = Array(r.truth.indices)
            func nll(_ t: Double) -> Double {
                TemperatureFit.meanNLL(logits, classes: k, truth: r.truth, rows: rows, sigmoid: bias != nil, beta: 1 / t)
            }
            XCTAssertLessThanOrEqual(nll(fit.temperature), nll(fit.temperature * 1.1))
            XCTAssertLessThanOrEqual(nll(fit.temperature), nll(fit.temperature / 1.1))
            XCTAssertLessThan(fit.nll, fit.nllAtOne)
        }
    }

    /// The reliability bins `Metrics` computes (and reads its ECE off) equal numpy's.
    func testReliabilityBinsAndECEEqualTheReference() throws {
        let r = try reference()
        let e = ensemble(r)
        let k = r.classes.count
        let cos = Matrix(rows: r.images.count, cols: k, storage: e.cosines(e.equalWeights).map(Float.init))
        let m = Metrics(scores: SetScores(cosines: cos, scale: Float(r.scale)), truth: r.truth)
        XCTAssertEqual(m.reliability.count, r.reliability.count)
        for (a, b) in zip(m.reliability, r.reliability) {
            XCTAssertEqual(a.count, b.count, "bin [\(b.low), \(b.high))")
            assertEqual([a.low, a.high, a.confidence, a.accuracy], [b.low, b.high, b.confidence, b.accuracy], "bin")
        }
        XCTAssertEqual(m.ece, r.ece, accuracy: 1e-6)
        XCTAssertEqual(m.reliability.reduce(0) { $0 + $1.count }, r.truth.count)
    }

    /// The engine with weights: equal weights give the unweighted scores within 1e-6, and
    /// a template weighted 1 gives that template's ensemble alone.
    func testTheEngineScoresWithWeights() throws {
        let r = try reference()
        let provider = FakeProvider(dimension: r.images[0].count)
        provider.vectors = r.prompts
        let store = EmbeddingStore(provider: provider, cache: nil)
        let items = r.truth.indices.map { i in
            ImageCollection.Item(path: "/i/\(i).png", relativePath: "\(i).png", truthName: r.classes[r.truth[i]])
        }
        let images = EmbeddedImages(items: items, matrix: Matrix(rows: r.images, dimension: r.images[0].count), failures: [])
        let live = LiveEvaluator(store: store, images: images, rule: .softmax(scale: Float(r.scale)))
        let labels = LabelSet(name: "fixture", classes: r.classes.map { ClassLabel(name: $0) }), templates = r.templates.map(Template.init)
        let plain = try live.evaluateOnce(EvaluationRequest(labels: labels, sets: [templates], through: .scores))
        let equal = Dictionary(uniqueKeysWithValues: templates.map { ($0, 1.0 / Double(templates.count)) })
        let weighted = try live.evaluateOnce(EvaluationRequest(labels: labels, sets: [templates], through: .scores, weights: [equal]))
        for (a, b) in zip(plain.sets[0].scores.cosines.storage, weighted.sets[0].scores.cosines.storage) {
            XCTAssertEqual(a, b, accuracy: 1e-6)
        }
        let one = try live.evaluateOnce(
            EvaluationRequest(labels: labels, sets: [templates], through: .scores, weights: [[templates[0]: 1]]))
        let alone = try live.evaluateOnce(EvaluationRequest(labels: labels, sets: [[templates[0]]], through: .scores))
        for (a, b) in zip(one.sets[0].scores.cosines.storage, alone.sets[0].scores.cosines.storage) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        // Back to no weights: every column recomputed, the plain scores again.
        let back = try live.evaluateOnce(EvaluationRequest(labels: labels, sets: [templates], through: .scores))
        XCTAssertEqual(back.sets[0].scores.cosines.storage, plain.sets[0].scores.cosines.storage)
        // The engine's fit is the same fit as on the ensemble itself.
        let fit = try XCTUnwrap(live.fitWeights(set: 0, request: EvaluationRequest(labels: labels, sets: [templates]), folds: r.folds, seed: r.seed))
        assertEqual(fit.weights, r.fit_softmax.weights, "engine fit")
    }

    func median(_ w: [Double]) -> Double {
        let sorted = w.sorted()
        return (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
    }

    /// ZPE's scores and weights, with the reference images' pre-training term and without
    /// it, equal numpy's to 1e-6.
    func testZPEWeightsEqualTheNumpyReference() throws {
        let r = try reference()
        let labels = LabelSet(name: "fixture", classes: r.classes.map { ClassLabel(name: $0) })
        let images = Matrix(rows: r.images, dimension: r.images[0].count)
        let reference = Matrix(rows: r.reference_images, dimension: r.images[0].count)
        for (ref, expected) in [(reference, r.zpe_softmax), (nil, r.zpe_no_reference)] as [(Matrix?, Reference.ZPE)] {
            let zpe = try XCTUnwrap(
                ZeroShotPromptWeights(
                    templates: r.templates.map(Template.init), labels: labels, images: images, reference: ref, embeddings: r.prompts,
                    scale: r.scale))
            assertEqual(zpe.scores, expected.scores, "ZPE scores \(ref == nil ? "without" : "with") reference")
            assertEqual(zpe.weights, expected.weights, "ZPE weights \(ref == nil ? "without" : "with") reference")
            XCTAssertEqual(zpe.referenceImages, ref?.rows ?? 0)
            XCTAssertEqual(zpe.weights.reduce(0, +), 1, accuracy: 1e-12)
        }
        XCTAssertNotEqual(r.zpe_softmax.weights, r.zpe_no_reference.weights, "the reference term changes the weights")
    }

    /// The template that names a wrong class in every prompt weighs less than the median
    /// template under ZPE (which reads no truth) and under the fit.
    func testZPEAndTheFitWeighATemplateNamingAWrongClassBelowTheMedian() throws {
        let r = try reference()
        let templates = r.templates.map(Template.init)
        let named = try XCTUnwrap(templates.firstIndex(of: Template(r.named_wrong_class_template)))
        let zpe = try XCTUnwrap(
            ZeroShotPromptWeights(
                templates: templates, labels: LabelSet(name: "fixture", classes: r.classes.map { ClassLabel(name: $0) }),
                images: Matrix(rows: r.images, dimension: r.images[0].count),
                reference: Matrix(rows: r.reference_images, dimension: r.images[0].count), embeddings: r.prompts, scale: r.scale))
        XCTAssertLessThan(zpe.weights[named], median(zpe.weights))
        let fit = try XCTUnwrap(WeightFit(ensemble(r), truth: r.truth, scale: r.scale, bias: nil, folds: r.folds, seed: r.seed))
        XCTAssertLessThan(fit.weights[named], median(fit.weights))
    }

    /// ZPE through the engine reads no truth: the same images with their classes and with
    /// none (a flat folder) give identical weights, equal to the reference's.
    func testZPEUsesNoTruth() throws {
        let r = try reference()
        let labels = LabelSet(name: "fixture", classes: r.classes.map { ClassLabel(name: $0) }), templates = r.templates.map(Template.init)
        var weights: [[Double]] = []
        for labelled in [true, false] {
            let provider = FakeProvider(dimension: r.images[0].count)
            provider.vectors = r.prompts
            let items = r.truth.indices.map { i in
                ImageCollection.Item(path: "/i/\(i).png", relativePath: "\(i).png", truthName: labelled ? r.classes[r.truth[i]] : nil)
            }
            let images = EmbeddedImages(items: items, matrix: Matrix(rows: r.images, dimension: r.images[0].count), failures: [])
            let live = LiveEvaluator(
                store: EmbeddingStore(provider: provider, cache: nil), images: images, rule: .softmax(scale: Float(r.scale)))
            let zpe = try XCTUnwrap(
                live.zpeWeights(
                    set: 0, request: EvaluationRequest(labels: labels, sets: [templates]),
                    reference: Matrix(rows: r.reference_images, dimension: r.images[0].count)))
            weights.append(zpe.weights)
        }
        XCTAssertEqual(weights[0], weights[1], "truth changed ZPE's weights")
        assertEqual(weights[1], r.zpe_softmax.weights, "engine ZPE")
    }

    /// The session's weighting inside the evaluation: ZPE made by the engine equals ZPE on
    /// the whole set (no reference), and after an edit of one template (only its score made
    /// again) equals a fresh evaluation's; a fit equals `WeightFitter` on every image.
    func testWeightsMadeInsideTheEvaluationEqualAFreshEvaluation() throws {
        let r = try reference()
        let labels = LabelSet(name: "fixture", classes: r.classes.map { ClassLabel(name: $0) }), templates = r.templates.map(Template.init)
        func evaluator() -> LiveEvaluator {
            let provider = FakeProvider(dimension: r.images[0].count)
            provider.vectors = r.prompts
            let items = r.truth.indices.map { i in
                ImageCollection.Item(path: "/i/\(i).png", relativePath: "\(i).png", truthName: r.classes[r.truth[i]])
            }
            let images = EmbeddedImages(items: items, matrix: Matrix(rows: r.images, dimension: r.images[0].count), failures: [])
            return LiveEvaluator(store: EmbeddingStore(provider: provider, cache: nil), images: images, rule: .softmax(scale: Float(r.scale)))
        }
        var request = EvaluationRequest(labels: labels, sets: [templates], through: .scores)
        request.methods = [.zpe]
        let live = evaluator()
        let first = try live.evaluateOnce(request)
        let weights = try XCTUnwrap(first.sets[0].weights)
        assertEqual(templates.map { weights[$0]! }, r.zpe_no_reference.weights, "engine ZPE")
        // The given weights, scored: the same cosines.
        let given = try evaluator().evaluateOnce(EvaluationRequest(labels: labels, sets: [templates], through: .scores, weights: [weights]))
        XCTAssertEqual(first.sets[0].scores.cosines.storage, given.sets[0].scores.cosines.storage)

        // An edit: the last template gone, the first one's text changed to another template
        // of the fixture (its prompts exist); only that template is scored again.
        var edited = Array(templates.dropLast())
        edited[0] = templates.last!
        request.sets = [edited]
        let incremental = try live.evaluateOnce(request)
        let fresh = try evaluator().evaluateOnce(request)
        let a = try XCTUnwrap(incremental.sets[0].weights), b = try XCTUnwrap(fresh.sets[0].weights)
        XCTAssertEqual(Set(a.keys), Set(edited))
        for t in edited { XCTAssertEqual(a[t]!, b[t]!, accuracy: 1e-12) }
        XCTAssertEqual(incremental.sets[0].scores.cosines.storage, fresh.sets[0].scores.cosines.storage)

        // With the session's reference images (`--reference`): the reference's weights.
        let referenced = evaluator()
        referenced.zpeReference = Matrix(rows: r.reference_images, dimension: r.images[0].count)
        request.sets = [templates]
        let withReference = try XCTUnwrap(try referenced.evaluateOnce(request).sets[0].weights)
        assertEqual(templates.map { withReference[$0]! }, r.zpe_softmax.weights, "engine ZPE with reference images")

        request.methods = [.fit]
        let fitted = try XCTUnwrap(try evaluator().evaluateOnce(request).sets[0].weights)
        let direct = try XCTUnwrap(WeightFitter.fit(ensemble(r), rows: Array(r.truth.indices), truth: r.truth, scale: r.scale, bias: nil))
        assertEqual(templates.map { fitted[$0]! }, direct.weights, "engine fit")
        assertEqual(direct.weights, r.fit_softmax.weights, "fit on every image")
    }

    /// A weighted set's per-template figures are its weighted ensemble's: each template's
    /// leave-one-out effect equals scoring the set again without it (the others at their
    /// weights), and its own top-1 equals the template alone; within one image of 100
    /// (the figures' float32 algebra against a direct product can split a tie).
    func testAWeightedSetsTemplateFiguresAreItsOwn() throws {
        let r = try reference()
        let provider = FakeProvider(dimension: r.images[0].count)
        provider.vectors = r.prompts
        let items = r.truth.indices.map { i in
            ImageCollection.Item(path: "/i/\(i).png", relativePath: "\(i).png", truthName: r.classes[r.truth[i]])
        }
        let images = EmbeddedImages(items: items, matrix: Matrix(rows: r.images, dimension: r.images[0].count), failures: [])
        let live = LiveEvaluator(store: EmbeddingStore(provider: provider, cache: nil), images: images, rule: .softmax(scale: Float(r.scale)))
        let labels = LabelSet(name: "fixture", classes: r.classes.map { ClassLabel(name: $0) }), templates = r.templates.map(Template.init)
        let weights = Dictionary(uniqueKeysWithValues: zip(templates, r.fit_softmax.weights))
        let e = try live.evaluateOnce(EvaluationRequest(labels: labels, sets: [templates], through: .templates, weights: [weights]))
        let full = try XCTUnwrap(e.sets[0].metrics?.top1)
        var moved = 0
        for t in templates {
            let figures = try XCTUnwrap(e.sets[0].templates[t]?.effect)
            var without = weights
            without[t] = 0
            let left = try LiveEvaluator(
                store: EmbeddingStore(provider: provider, cache: nil), images: images, rule: .softmax(scale: Float(r.scale))
            ).evaluateOnce(EvaluationRequest(labels: labels, sets: [templates], through: .statistics, weights: [without]))
            XCTAssertEqual(figures.leaveOneOut, try XCTUnwrap(left.sets[0].metrics?.top1) - full, accuracy: 0.0101, "\(t.text)")
            let alone = try LiveEvaluator(
                store: EmbeddingStore(provider: provider, cache: nil), images: images, rule: .softmax(scale: Float(r.scale))
            ).evaluateOnce(EvaluationRequest(labels: labels, sets: [[t]], through: .statistics))
            XCTAssertEqual(figures.accuracy, try XCTUnwrap(alone.sets[0].metrics?.top1), accuracy: 0.0101, "\(t.text) alone")
            if weights[t]! < 1e-9 { XCTAssertEqual(figures.leaveOneOut, 0, "a template of weight 0 changes nothing") }
            if figures.leaveOneOut != 0 { moved += 1 }
        }
        XCTAssertGreaterThan(moved, 0, "some template's removal moves top-1")
    }
}
