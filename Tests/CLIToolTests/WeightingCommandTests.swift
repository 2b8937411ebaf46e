import Foundation
import XCTest

/// `eval --weights` and `--temperature fit` end to end: the report carries each template's
/// weight, a fit's held-out figures and the reliability bins, validates against the
/// schema, and reads back as `--weights FILE` to the same scores.
final class WeightingCommandTests: XCTestCase {
    let demo = [
        "--model", CLIToolTests.root.appendingPathComponent("Models/clip-demo").path,
        "--images", CLIToolTests.root.appendingPathComponent("Images/demo").path,
        "--labels", CLIToolTests.root.appendingPathComponent("Prompts/demo-labels.txt").path,
        "--templates", CLIToolTests.root.appendingPathComponent("Prompts/demo-templates-misleading.txt").path, "--no-cache"
    ]

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        try runTool(arguments)
    }

    func object(_ data: Data) throws -> [String: Any] { try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any]) }

    func testFittedWeightsAndTemperatureAreReportedAndReadBack() throws {
        let fitted = try run(["eval"] + demo + ["--weights", "fit", "--temperature", "fit", "--format", "json"])
        XCTAssertEqual(fitted.status, 0, fitted.stderr)
        try assertValid(fitted.stdout, schema: "eval", "eval --weights fit --temperature fit")
        let report = try object(fitted.stdout)
        let weighting = try XCTUnwrap(report["weighting"] as? [String: Any])
        XCTAssertEqual(weighting["method"] as? String, "fit")
        let rows = try XCTUnwrap(weighting["per_template"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["template"] as? String }, ["a black and white photo of a {}.", "a photo of a large {}.", "a photo of a small {}."])
        let weights = rows.compactMap { $0["weight"] as? Double }
        XCTAssertEqual(weights.reduce(0, +), 1, accuracy: 1e-9)
        XCTAssertNotEqual(weights[0], weights[2], accuracy: 1e-3, "a fit that changes nothing")
        let fit = try XCTUnwrap(weighting["fit"] as? [String: Any])
        XCTAssertEqual(fit["folds"] as? Int, 5)
        XCTAssertEqual(fit["images"] as? Int, 80)
        let tFit = try XCTUnwrap(report["temperature_fit"] as? [String: Any])
        let t = try XCTUnwrap(tFit["temperature"] as? Double)
        XCTAssertEqual(report["temperature"] as? Double ?? 0, t, accuracy: 1e-6 * t, "the report is scored at the fitted T")
        XCTAssertLessThanOrEqual(try XCTUnwrap(tFit["nll"] as? Double), try XCTUnwrap(tFit["nll_at_one"] as? Double))
        let metrics = try XCTUnwrap(report["metrics"] as? [String: Any])
        let bins = try XCTUnwrap(metrics["reliability"] as? [[String: Any]])
        XCTAssertEqual(bins.count, 15)
        XCTAssertEqual(bins.compactMap { $0["count"] as? Int }.reduce(0, +), 80)

        // The report is a weights file: read back, the same weights give the same scores.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("weights-\(UUID()).json")
        try fitted.stdout.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let again = try run(["eval"] + demo + ["--weights", file.path, "--temperature", String(t), "--format", "json"])
        XCTAssertEqual(again.status, 0, again.stderr)
        let readBack = try object(again.stdout)
        let rowsBack = try XCTUnwrap((readBack["weighting"] as? [String: Any])?["per_template"] as? [[String: Any]])
        for (a, b) in zip(rowsBack.compactMap { $0["weight"] as? Double }, weights) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        let p = try XCTUnwrap(report["images"] as? [[String: Any]]), q = try XCTUnwrap(readBack["images"] as? [[String: Any]])
        XCTAssertEqual(p.count, q.count)
        for (x, y) in zip(p, q) {
            for (u, v) in zip(try XCTUnwrap(x["probs"] as? [Double]), try XCTUnwrap(y["probs"] as? [Double])) {
                XCTAssertEqual(u, v, accuracy: 1e-5)
            }
        }

        // Equal weights are today's scores: the report says 1/3 each and changes nothing.
        let plain = try run(["eval"] + demo + ["--format", "json"])
        let equal = try run(["eval"] + demo + ["--weights", "equal", "--format", "json"])
        XCTAssertEqual(plain.stdout, equal.stdout)
        let equalRows = try XCTUnwrap((try object(equal.stdout)["weighting"] as? [String: Any])?["per_template"] as? [[String: Any]])
        for row in equalRows { XCTAssertEqual(row["weight"] as? Double ?? 0, 1.0 / 3, accuracy: 1e-12) }
    }

    func testBadWeightsAndUnbuiltChoicesAreRefusedByName() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("weights-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(#"{"weights": {"a photo of a large {}.": -1}}"#.utf8).write(to: file)
        let negative = try run(["eval"] + demo + ["--weights", file.path])
        XCTAssertNotEqual(negative.status, 0)
        XCTAssertTrue(negative.stderr.contains(file.path) && negative.stderr.contains("must be a number ≥ 0"), negative.stderr)
        try Data(#"{"weights": {"a photo of a large {}.": 1, "#.utf8).write(to: file)
        let mangled = try run(["eval"] + demo + ["--weights", file.path])
        XCTAssertNotEqual(mangled.status, 0)
        XCTAssertTrue(mangled.stderr.contains(file.path), mangled.stderr)
        let zpe = try run(["eval"] + demo + ["--weights", "zpe"])
        XCTAssertNotEqual(zpe.status, 0)
        XCTAssertTrue(zpe.stderr.contains("--weights zpe is not built yet"), zpe.stderr)
        let compare = try run(["compare"] + demo + ["--templates-b", demo[7], "--temperature", "fit"])
        XCTAssertNotEqual(compare.status, 0)
        XCTAssertTrue(compare.stderr.contains("--temperature fit is for eval"), compare.stderr)
        // A template the file does not weigh weighs 0, and the report says so.
        try Data(#"{"weights": {"a photo of a small {}.": 2}}"#.utf8).write(to: file)
        let partial = try run(["eval"] + demo + ["--weights", file.path, "--format", "json"])
        XCTAssertEqual(partial.status, 0, partial.stderr)
        XCTAssertTrue(partial.stderr.contains("2 templates not in \(file.path) weigh 0"), partial.stderr)
    }
}
