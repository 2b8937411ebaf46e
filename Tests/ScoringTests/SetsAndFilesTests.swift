import Foundation
import Scoring
import XCTest

final class SetsAndFilesTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("sets-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func file(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func testTemplatePlaceholdersAndEscapes() {
        XCTAssertEqual(Template("a photo of a {}.").render("cat"), "a photo of a cat.")
        XCTAssertEqual(Template("a photo of a {c}.").text, "a photo of a {}.")
        XCTAssertEqual(Template("a photo of a {c}.").render("dog"), "a photo of a dog.")
        XCTAssertEqual(Template("{{literal}} {} and {}").render("x"), "{literal} x and x")
        XCTAssertEqual(Template("{{literal}} {}").text, "{{literal}} {}")
        XCTAssertEqual(Template("{{literal}} {}").benchmarkText, "{{literal}} {c}")
        XCTAssertFalse(Template("no placeholder").hasPlaceholder)
        XCTAssertFalse(Template("{{}}").hasPlaceholder)
        XCTAssertEqual(Template("{{}}").render("x"), "{}")
    }

    func testTemplateFormats() throws {
        let txt = try PromptFiles.readTemplates(path: try file("a.txt", "# comment\na photo of a {}.\n\n  itap of a {}.  \r\n"))
        XCTAssertEqual(txt.name, "a")
        XCTAssertEqual(txt.templates.map(\.text), ["a photo of a {}.", "itap of a {}."])
        let json = try PromptFiles.readTemplates(path: try file("b.json", #"{"name": "mine", "templates": ["x {}", "y {}"]}"#))
        XCTAssertEqual(json.name, "mine"); XCTAssertEqual(json.templates.count, 2)
        let list = try PromptFiles.readTemplates(path: try file("c.json", #"["x {}"]"#))
        XCTAssertEqual(list.templates.map(\.text), ["x {}"])
        let bench = try PromptFiles.readTemplates(path: try file("d.json", #"{"cifar10": ["a photo of a {c}.", "a {c}"]}"#))
        XCTAssertEqual(bench.name, "cifar10")
        XCTAssertEqual(bench.templates.map(\.text), ["a photo of a {}.", "a {}"])
        let py = try PromptFiles.readTemplates(
            path: try file(
                "e.py",
                """
                classes = ['x']
                templates = [
                    'a bad photo of a {}.',  # comment, with [brackets]
                    "a photo of the \\"big\\" {}.",
                    'a photo ' 'of many {}.',
                ]
                """))
        XCTAssertEqual(py.templates.map(\.text), ["a bad photo of a {}.", "a photo of the \"big\" {}.", "a photo of many {}."])
    }

    func testLabelFormats() throws {
        let txt = try PromptFiles.readLabels(path: try file("l.txt", "cat | kitty\ndog\n"))
        XCTAssertEqual(txt.classes, [ClassLabel(name: "cat", synonyms: ["kitty"]), ClassLabel(name: "dog")])
        let json = try PromptFiles.readLabels(
            path: try file(
                "l.json",
                """
                {"name": "pets", "classes": ["cat", ["dog", "puppy"], {"name": "fish", "sentences": ["a goldfish in a bowl."]}]}
                """))
        XCTAssertEqual(json.name, "pets")
        XCTAssertEqual(json.classes[1], ClassLabel(name: "dog", synonyms: ["puppy"]))
        XCTAssertEqual(json.classes[2].sentences, ["a goldfish in a bowl."])
        let bench = try PromptFiles.readLabels(path: try file("cb.json", #"{"cifar10": ["airplane", "automobile"]}"#))
        XCTAssertEqual(bench.classes.map(\.name), ["airplane", "automobile"])
        let cupl = try PromptFiles.readLabels(path: try file("cupl.json", #"{"tench": ["a fish.", "a green fish."], "goldfish": ["an orange fish."]}"#))
        // File order, not sorted: the order is the classes' order.
        XCTAssertEqual(cupl.classes.map(\.name), ["tench", "goldfish"])
        XCTAssertEqual(cupl.classes[0].sentences.count, 2)
        let py = try PromptFiles.readLabels(path: try file("fer.py", "classes = [['angry'], ['disgusted'], ['fearful', 'scared']]"))
        XCTAssertEqual(py.classes[2], ClassLabel(name: "fearful", synonyms: ["scared"]))
    }

    /// Each bad file and the words its error must hold (the path first).
    func testBadFilesAreNamed() throws {
        let cases: [(String, String, Bool, String)] = [
            ("t1.json", "{\"templates\": [1, 2]}", true, "\"templates\" must be a list of strings"),
            ("t2.json", "[\"x\", ", true, "not valid JSON"),
            ("t3.json", "{\"a\": [\"x\"], \"b\": [\"y\"]}", true, "holds class names by key, not templates"),
            ("t4.py", "templates = ['unterminated\n']", true, "unterminated string"),
            ("l1.json", "{\"classes\": [{\"nom\": 1}]}", false, "class 0 must be"),
            ("l2.json", "{\"classes\": 3}", false, "\"classes\" must be a list"),
            // Limits, checked before a parser recurses or allocates.
            ("deep.json", String(repeating: "[", count: 100_000), true, "JSON nested deeper than 64 levels"),
            ("deep.py", "templates = " + String(repeating: "[", count: 100_000), true, "lists nested deeper than 16 levels")
        ]
        for (name, text, isTemplate, message) in cases {
            let path = try file(name, text)
            XCTAssertThrowsError(
                isTemplate ? try PromptFiles.readTemplates(path: path).name : try PromptFiles.readLabels(path: path).name,
                name
            ) { error in
                let s = "\(error)"
                XCTAssertTrue(s.hasPrefix(path) && s.contains(message), "\(name): \(s)")
            }
        }
        // Over the size limit (512 MiB, sized for class sentences): refused from its size,
        // before a byte is read (a sparse file).
        let big = try file("big.txt", "")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        try handle.truncate(atOffset: UInt64(PromptFiles.maxFileBytes) + 1)
        try handle.close()
        XCTAssertThrowsError(try PromptFiles.readTemplates(path: big)) {
            XCTAssertTrue("\($0)".hasPrefix(big) && "\($0)".contains("536870913 bytes is too large for a prompt file"), "\($0)")
        }
        XCTAssertThrowsError(try PromptFiles.readTemplates(path: dir.appendingPathComponent("none.txt").path)) {
            XCTAssertTrue("\($0)".contains("none.txt: cannot read"), "\($0)")
        }
    }

    func testWriteAndReadBack() throws {
        // Template sets round-trip through every export format in ExportTests; labels here,
        // through clip-tui's own export (written to a temporary name, then renamed).
        let labels = LabelSet(name: "l", classes: [ClassLabel(name: "cat", synonyms: ["kitty"]), ClassLabel(name: "fish", sentences: ["a fish."])])
        let path = dir.appendingPathComponent("l.json").path
        try PromptSetExport(model: nil, labels: labels, templateSets: [.init(name: "t", role: nil, templates: [Template("a {}")], metrics: nil)])
            .write(to: path)
        XCTAssertEqual(try PromptFiles.readLabels(path: path), labels)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(leftovers, [])
    }

    func testImageFolderTruthAndCSV() throws {
        let labels = LabelSet(name: "l", classes: [ClassLabel(name: "golden retriever"), ClassLabel(name: "cat", synonyms: ["kitty"])])
        for p in ["Golden_Retriever/a.png", "kitty/b.jpg", "unknown/c.png", "d.jpeg", "cat/notes.txt"] {
            let url = dir.appendingPathComponent(p)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data([1]).write(to: url)
        }
        var collection = try ImageCollection(root: dir.path, labels: labels)
        XCTAssertEqual(collection.items.map(\.relativePath), ["Golden_Retriever/a.png", "d.jpeg", "kitty/b.jpg", "unknown/c.png"])
        XCTAssertEqual(collection.items.map(\.truthName), ["Golden_Retriever", nil, "kitty", "unknown"])
        XCTAssertEqual(labels.truthIndices(collection.items.map(\.truthName)), [0, nil, 1, nil])
        XCTAssertEqual(collection.unmatchedClasses, ["unknown"])
        let csv = try file("truth.csv", "path,class\nd.jpeg,\"Golden Retriever\"\nunknown/c.png,kitty\nkitty/b.jpg,horse\n")
        try collection.applyTruth(file: csv, labels: labels)
        XCTAssertEqual(labels.truthIndices(collection.items.map(\.truthName)), [nil, 0, nil, 1])
        XCTAssertEqual(collection.unmatchedClasses, ["horse"])
    }
}
