import Foundation
import Scoring
import Tensors
import XCTest

/// SigLIP's rule: each class through its own sigmoid of `scale · cos + bias`.
final class ScoreRuleTests: XCTestCase {
    static func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

    func testSigmoidScoresByHand() {
        let cosines = Matrix(rows: 2, cols: 3, storage: [0.10, 0.05, -0.2, 0.02, 0.03, 0.01])
        let rule = ScoreRule.sigmoid(scale: 10, bias: -1)
        let s = SetScores(cosines: cosines, rule: rule)
        XCTAssertEqual(s.predictions, [0, 1])
        let p0 = (0..<3).map { Self.sigmoid(10 * Double(cosines[0, $0]) - 1) }
        for (a, e) in zip(s.probabilities(image: 0), p0) { XCTAssertEqual(Double(a), e, accuracy: 1e-6) }
        XCTAssertEqual(Double(s.confidence[0]), p0[0], accuracy: 1e-6)
        XCTAssertEqual(Double(s.margin[0]), p0[0] - p0[1], accuracy: 1e-6)
        // Independent: the row does not sum to 1.
        XCTAssertGreaterThan(abs(p0.reduce(0, +) - 1), 0.05)
        XCTAssertTrue(s.rule.isSigmoid)
        XCTAssertEqual(Double(s.probabilities(image: 1)[2]), Self.sigmoid(10 * 0.01 - 1), accuracy: 1e-6)
        // A temperature divides the logits, bias included.
        XCTAssertEqual(rule.at(temperature: 2), .sigmoid(scale: 5, bias: -0.5))
        XCTAssertEqual(ScoreRule.softmax(scale: 100).at(temperature: 1.25), .softmax(scale: 80))
        XCTAssertEqual(rule.at(temperature: 1), rule, "T = 1 is the model as trained")
        XCTAssertEqual(rule.description, "sigmoid(10·cos − 1) per class")
        XCTAssertEqual(ScoreRule.softmax(scale: 100).description, "softmax(100·cos) over classes")
    }

    /// NLL under a sigmoid: the one-hot label vector's likelihood with the classes independent.
    func testSigmoidNLLCountsEveryClass() {
        let p = Matrix(rows: 2, cols: 3, storage: [0.7, 0.2, 0.1, 0.1, 0.6, 0.3])
        // Sigmoid scores whose logits are log(p / (1 − p)): σ gives p back.
        let logits = Matrix(rows: 2, cols: 3, storage: p.storage.map { Foundation.log($0 / (1 - $0)) })
        let m = Metrics(scores: SetScores(cosines: logits, rule: .sigmoid(scale: 1, bias: 0)), truth: [0, 2])
        let expected = -(log(0.7) + log(0.8) + log(0.9) + log(0.3) + log(0.9) + log(0.4)) / 2
        XCTAssertEqual(m.nll, expected, accuracy: 1e-6)
        XCTAssertEqual(m.top1, 0.5)
        // Confidence is the top probability: 0.7 (bin 10, right), 0.6 (bin 9, wrong).
        XCTAssertEqual(m.ece, (0.3 + 0.6) / 2, accuracy: 1e-6)
        // The same table read as a softmax counts only the true class.
        XCTAssertEqual(Metrics(scores: SetScores(probabilities: p), truth: [0, 2]).nll, -(log(0.7) + log(0.3)) / 2, accuracy: 1e-6)
    }

    /// Float32 rounds σ(30) to 1: the NLL comes from the logits (softplus), not from 1 − p.
    func testSigmoidNLLHoldsWhereFloatRoundsTheProbability() throws {
        // Image 0 is class 0; class 1 fits it too, with a logit of 30 (p = 1 − 1e-13).
        let cosines = Matrix(rows: 1, cols: 2, storage: [0.5, 0.4])
        let s = SetScores(cosines: cosines, rule: .sigmoid(scale: 100, bias: -10))  // logits 40 and 30
        XCTAssertEqual(s.probabilities(image: 0)[1], 1, "float32 has rounded it")
        let m = Metrics(scores: s, truth: [0])
        let expected = log1p(exp(-40.0)) + (30 + log1p(exp(-30.0)))  // softplus(−40) + softplus(30)
        XCTAssertEqual(m.nll, expected, accuracy: 1e-9)
        // The same through the engine: classes "a" = (1, 0) and "b" = (0.8, 0.6), an image at (1, 0).
        let store = EmbeddingStore(provider: FakeProvider(dimension: 2), cache: nil)
        store.remember(texts: ["a": [1, 0], "b": [0.8, 0.6]])
        let image = EmbeddedImages(
            items: [.init(path: "x", relativePath: "x", truthName: "b")], matrix: Matrix(rows: 1, cols: 2, storage: [1, 0]), failures: [])
        let e = try LiveEvaluator(store: store, images: image, rule: .sigmoid(scale: 100, bias: -70)).evaluateOnce(
            EvaluationRequest(
                labels: LabelSet(name: "l", classes: [ClassLabel(name: "a"), ClassLabel(name: "b")]), sets: [[Template("{}")]],
                through: .statistics))
        // logits 100·1 − 70 = 30 and 100·0.8 − 70 = 10: truth b pays softplus(30) + softplus(−10).
        XCTAssertEqual(try XCTUnwrap(e.sets[0].metrics).nll, 30 + log1p(exp(-30.0)) + log1p(exp(-10.0)), accuracy: 1e-4)
    }

    func testSigmoidNeverOverflows() {
        let s = SetScores(cosines: Matrix(rows: 1, cols: 2, storage: [1, -1]), rule: .sigmoid(scale: 1000, bias: 0))
        XCTAssertEqual(s.probabilities(image: 0), [1, 0])
        XCTAssertFalse(s.confidence.contains { $0.isNaN })
    }
}
