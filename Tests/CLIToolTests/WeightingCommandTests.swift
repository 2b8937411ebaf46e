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

    /// `--weights zpe` end to end: a score and weight per template, the pre-training term
    /// said to be left out without `--reference` and taken with it, and the same weights
    /// from the same images in a flat folder (no truth at all).
    func testZPEWeightsAreReportedAndReadNoTruth() throws {
        func weighting(_ arguments: [String]) throws -> [String: Any] {
            let r = try run(arguments + ["--weights", "zpe", "--format", "json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            try assertValid(r.stdout, schema: "eval", "eval --weights zpe")
            return try XCTUnwrap(try object(r.stdout)["weighting"] as? [String: Any])
        }
        let plain = try weighting(["eval"] + demo)
        XCTAssertEqual(plain["method"] as? String, "zpe")
        let rows = try XCTUnwrap(plain["per_template"] as? [[String: Any]])
        let weights = rows.compactMap { $0["weight"] as? Double }, scores = rows.compactMap { $0["score"] as? Double }
        XCTAssertEqual(weights.count, 3)
        XCTAssertEqual(scores.count, 3)
        XCTAssertEqual(weights.reduce(0, +), 1, accuracy: 1e-9)
        // softmax of the scores: the weights' log-ratios are the scores' differences.
        XCTAssertEqual(log(weights[0] / weights[1]), scores[0] - scores[1], accuracy: 1e-9)
        let zpe = try XCTUnwrap(plain["zpe"] as? [String: Any])
        XCTAssertTrue(zpe["reference"] is NSNull)
        XCTAssertEqual(zpe["images"] as? Int, 80)
        XCTAssertTrue((plain["notes"] as? [String] ?? []).contains { $0.contains("pre-training term is left out") })

        let reference = CLIToolTests.root.appendingPathComponent("Images/demo/blue_star").path
        let withReference = try weighting(["eval"] + demo + ["--reference", reference])
        XCTAssertEqual((withReference["zpe"] as? [String: Any])?["reference_images"] as? Int, 2)
        XCTAssertFalse((withReference["notes"] as? [String] ?? []).contains { $0.contains("pre-training term") })
        let referenced = try XCTUnwrap(withReference["per_template"] as? [[String: Any]]).compactMap { $0["weight"] as? Double }
        XCTAssertNotEqual(referenced, weights, "the reference term changed nothing")

        // The same images flat, with no class folders: no truth, the same weights.
        let flat = FileManager.default.temporaryDirectory.appendingPathComponent("flat-\(UUID())")
        try FileManager.default.createDirectory(at: flat, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: flat) }
        let demoImages = CLIToolTests.root.appendingPathComponent("Images/demo")
        for folder in try FileManager.default.contentsOfDirectory(atPath: demoImages.path) {
            let dir = demoImages.appendingPathComponent(folder)
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { continue }
            for f in files where f.hasSuffix(".png") {
                try FileManager.default.copyItem(at: dir.appendingPathComponent(f), to: flat.appendingPathComponent("\(folder)-\(f)"))
            }
        }
        var flatArguments = demo
        flatArguments[3] = flat.path
        let unlabelled = try weighting(["eval"] + flatArguments)
        let flatWeights = try XCTUnwrap(unlabelled["per_template"] as? [[String: Any]]).compactMap { $0["weight"] as? Double }
        XCTAssertEqual(flatWeights.count, weights.count)
        for (a, b) in zip(flatWeights, weights) { XCTAssertEqual(a, b, accuracy: 1e-12, "truth changed ZPE's weights") }
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
        let stray = try run(["eval"] + demo + ["--reference", demo[3]])
        XCTAssertNotEqual(stray.status, 0)
        XCTAssertTrue(stray.stderr.contains("--reference is read by --weights zpe only"), stray.stderr)
        let compare = try run(["compare"] + demo + ["--templates-b", demo[7], "--temperature", "fit"])
        XCTAssertNotEqual(compare.status, 0)
        XCTAssertTrue(compare.stderr.contains("--temperature fit is for eval"), compare.stderr)
        // A template the file does not weigh weighs 0, and the report says so.
        try Data(#"{"weights": {"a photo of a small {}.": 2}}"#.utf8).write(to: file)
        let partial = try run(["eval"] + demo + ["--weights", file.path, "--format", "json"])
        XCTAssertEqual(partial.status, 0, partial.stderr)
        XCTAssertTrue(partial.stderr.contains("2 templates not in \(file.path) weigh 0"), partial.stderr)
    }

    /// `compare` and `export` take the same weights: each candidate's weighting in compare's
    /// report, an export's sets carry their weights and `--weights EXPORT` reads them back,
    /// a peer format says it drops them, and `--weights fit` is refused with its reason.
    func testCompareAndExportCarryWeights() throws {
        let plain = CLIToolTests.root.appendingPathComponent("Prompts/demo-templates-plain.txt").path
        let compared = try run(["compare"] + demo + ["--templates", plain, "--weights", "zpe", "--format", "json"])
        XCTAssertEqual(compared.status, 0, compared.stderr)
        try assertValid(compared.stdout, schema: "compare", "compare --weights zpe")
        let candidates = try XCTUnwrap(try object(compared.stdout)["candidates"] as? [[String: Any]])
        XCTAssertEqual(candidates.count, 2)
        for c in candidates { XCTAssertEqual((c["weighting"] as? [String: Any])?["method"] as? String, "zpe") }

        let out = FileManager.default.temporaryDirectory.appendingPathComponent("weighted-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: out) }
        let exported = try run(["export"] + demo + ["--weights", "zpe", "--out", out.path])
        XCTAssertEqual(exported.status, 0, exported.stderr)
        try assertValid(try Data(contentsOf: out), schema: "prompt-set", "export --weights zpe")
        let sets = try XCTUnwrap(try object(Data(contentsOf: out))["template_sets"] as? [[String: Any]])
        let written = try XCTUnwrap(sets.first?["weights"] as? [[String: Any]]).compactMap { $0["weight"] as? Double }
        let zpeRows = try XCTUnwrap((candidates[0]["weighting"] as? [String: Any])?["per_template"] as? [[String: Any]])
        let reported = zpeRows.compactMap { $0["weight"] as? Double }
        XCTAssertEqual(written.count, 3)
        // Two commands, two runs of the encoders: with OpenBLAS's Haswell kernels (and the
        // Prescott ones it falls back to on a CPU it does not know) their products differ
        // in the last bits (its AVX-512 kernels gave equal weights here), so the embeddings
        // agree to float32 rounding (1e-7 of a cosine), and ZPE's weights, exponentials of
        // 100 × cosine sums, to 1e-5 of themselves.
        for (a, b) in zip(written, reported) { XCTAssertEqual(a, b, accuracy: 1e-5 * abs(b)) }
        let readBack = try run(["eval"] + demo + ["--weights", out.path, "--format", "json"])
        XCTAssertEqual(readBack.status, 0, readBack.stderr)
        let back = try XCTUnwrap((try object(readBack.stdout)["weighting"] as? [String: Any])?["per_template"] as? [[String: Any]])
        for (a, b) in zip(back.compactMap { $0["weight"] as? Double }, written) { XCTAssertEqual(a, b, accuracy: 1e-12) }

        let txt = FileManager.default.temporaryDirectory.appendingPathComponent("weighted-\(UUID()).txt")
        defer { try? FileManager.default.removeItem(at: txt) }
        let peer = try run(["export"] + demo + ["--weights", "zpe", "--out", txt.path])
        XCTAssertEqual(peer.status, 0, peer.stderr)
        XCTAssertTrue(peer.stderr.contains("txt holds no template weights") && peer.stderr.contains("3 weights were dropped"), peer.stderr)
        let equalExport = try run(["export"] + demo + ["--out", txt.path])
        XCTAssertFalse(equalExport.stderr.contains("weights were dropped"), equalExport.stderr)

        let fit = try run(["compare"] + demo + ["--templates", plain, "--weights", "fit"])
        XCTAssertNotEqual(fit.status, 0)
        XCTAssertTrue(fit.stderr.contains("--weights fit is for eval"), fit.stderr)
    }
}
