import Foundation
import Scoring
import XCTest

/// Every export format read back by clip-tui gives the same sets; the clip-benchmark export
/// read by clip_benchmark's own builder gives the same classes and prompts.
final class ExportTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    let templates = TemplateSet(name: "best", ["a photo of a {}.", "it's a {{braced}} {}!", "a 'quoted' \"{}\"\\."])
    let other = TemplateSet(name: "other", ["itap of a {}."])
    let plain = LabelSet(name: "pets", classes: [ClassLabel(name: "cat"), ClassLabel(name: "great white shark"), ClassLabel(name: "dog")])
    let rich = LabelSet(
        name: "pets",
        classes: [
            ClassLabel(name: "cat", synonyms: ["kitty"]), ClassLabel(name: "dog"),
            ClassLabel(name: "tench", sentences: ["A tench is a freshwater fish."])
        ])

    func export(_ labels: LabelSet) -> PromptSetExport {
        PromptSetExport(
            model: .init(name: "m", fingerprint: "f"), images: "/data/pets", labels: labels,
            templateSets: [
                .init(name: templates.name, role: "B", templates: templates.templates, metrics: nil),
                .init(name: other.name, role: "A", templates: other.templates, metrics: nil)
            ])
    }

    func testFormatsFromTheName() {
        XCTAssertEqual(ExportFormat.inferred(from: "x.json"), .clipTUI)
        XCTAssertEqual(ExportFormat.inferred(from: "cifar10.cb.json"), .clipBenchmark)
        XCTAssertEqual(ExportFormat.inferred(from: "out/cb"), .clipBenchmark)
        XCTAssertEqual(ExportFormat.inferred(from: "x.txt"), .txt)
        XCTAssertEqual(ExportFormat.inferred(from: "x.py"), .python)
        XCTAssertNil(ExportFormat.inferred(from: "x.csv"))
    }

    func testEveryFormatReadsBack() throws {
        // clip-tui: every set, by role or name; no key is refused since it holds two.
        let json = dir.appendingPathComponent("e.json").path
        _ = try ExportWriter.write(export(rich), format: .clipTUI, to: json)
        XCTAssertEqual(try PromptFiles.readTemplates(path: json + "#B"), templates)
        XCTAssertEqual(try PromptFiles.readTemplates(path: json + "#A").templates, other.templates)
        XCTAssertEqual(try PromptFiles.readTemplates(path: json + "#other").templates, other.templates)
        XCTAssertThrowsError(try PromptFiles.readTemplates(path: json)) { XCTAssertTrue("\($0)".contains("holds 2 entries of template sets"), "\($0)") }
        XCTAssertEqual(try PromptFiles.readLabels(path: json), rich)
        let back = try PromptSetExport.read(path: json)
        XCTAssertEqual(back.schema, "clip-tui.prompt-set/3")
        XCTAssertEqual(back.images, "/data/pets")
        XCTAssertEqual(back.templateSets.map(\.role), ["B", "A"])

        // txt and python: the first (best) set, said.
        let txt = dir.appendingPathComponent("e.txt").path
        let wroteTxt = try ExportWriter.write(export(plain), format: .txt, to: txt)
        XCTAssertEqual(wroteTxt.notes, ["txt holds one template set: wrote best, not other"])
        XCTAssertEqual(try PromptFiles.readTemplates(path: txt).templates, templates.templates)

        let py = dir.appendingPathComponent("e.py").path
        let wrotePy = try ExportWriter.write(export(rich), format: .python, to: py)
        XCTAssertTrue(wrotePy.notes.contains("python holds no class sentences: 1 classes' sentences were left out"), "\(wrotePy.notes)")
        XCTAssertEqual(try PromptFiles.readTemplates(path: py).templates, templates.templates)
        XCTAssertEqual(try PromptFiles.readLabels(path: py).classes.map(\.names), rich.classes.map(\.names))

        // clip-benchmark: `{c}`, keyed by the dataset, classes in order.
        let cb = dir.appendingPathComponent("cifar10.cb.json").path
        _ = try ExportWriter.write(export(plain), format: .clipBenchmark, to: cb, dataset: "cifar10")
        XCTAssertTrue(try String(contentsOfFile: cb, encoding: .utf8).contains("\"a photo of a {c}.\""))
        XCTAssertEqual(try PromptFiles.readTemplates(path: cb).templates, templates.templates)
        let folder = dir.appendingPathComponent("cb").path
        let wrote = try ExportWriter.write(export(plain), format: .clipBenchmark, to: folder, dataset: "cifar10")
        XCTAssertEqual(
            wrote.files.map { ($0 as NSString).lastPathComponent },
            ["templates.json", "classnames.json", "zeroshot_classification_templates.txt", "classnames.txt"])
        XCTAssertEqual(try PromptFiles.readLabels(path: folder + "/classnames.json").classes.map(\.name), plain.classes.map(\.name))
        XCTAssertEqual(try PromptFiles.readTemplates(path: folder + "/zeroshot_classification_templates.txt").templates, templates.templates)
        XCTAssertThrowsError(try ExportWriter.write(export(plain), format: .clipBenchmark, to: folder)) {
            XCTAssertTrue("\($0)".contains("give --dataset NAME"), "\($0)")
        }
    }

    /// clip_benchmark 1.6.2's `build_dataset` (its own builder.py, heavy imports stood in for)
    /// reads the export and makes, per class, exactly the prompts clip-tui averages.
    func testClipBenchmarksBuilderReadsTheExport() throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let python = path.split(separator: ":").map({ "\($0)/python3" }).first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("no python3 here: clip_benchmark's builder cannot be run")
        }
        let script = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/peers/clip_benchmark/read_with_builder", withExtension: "py"))
        for labels in [plain, rich] {
            let folder = dir.appendingPathComponent("cb-\(labels == plain ? "plain" : "rich")").path
            let written = try ExportWriter.write(export(labels), format: .clipBenchmark, to: folder, dataset: "cifar10")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script.path, folder, "cifar10"]
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, errors)
            struct Read: Decodable { let classes: [String]; let prompts: [[String]]; let wds_classes: [String]; let wds_prompts: [[String]] }
            let read = try JSONDecoder().decode(Read.self, from: data)
            let plan = PromptPlan(labels: labels, templates: templates)
            XCTAssertEqual(read.classes, labels.classes.map(\.name))
            XCTAssertEqual(read.prompts, plan.prompts, "templates.json, as build_dataset reads it")
            if labels == plain {
                XCTAssertEqual(read.wds_classes, labels.classes.map(\.name))
                XCTAssertEqual(read.wds_prompts, plan.prompts, "the WebDataset text files")
            } else {
                XCTAssertTrue(written.notes.contains { $0.contains("synonyms and sentences are only in templates.json") }, "\(written.notes)")
            }
        }
    }
}
