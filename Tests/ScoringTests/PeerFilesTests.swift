import Foundation
import InputLimits
import Scoring
import XCTest

/// The files CLIP_benchmark 1.6.2 and open_clip 3.3.0 ship (Fixtures/peers, sources in its
/// SOURCES.md): each shape read as its authors mean it, in file order, and every misread of
/// the first version now an error that names the file, the cause and the `#KEY` to use.
final class PeerFilesTests: XCTestCase {
    func peer(_ name: String) throws -> String {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/peers/" + name, withExtension: nil)).path
    }

    func error(_ body: () throws -> Any) -> String {
        do { _ = try body(); XCTFail("expected an error"); return "" } catch { return "\(error)" }
    }

    func testBenchmarkTemplatesByDatasetNeedAKey() throws {
        let path = try peer("clip_benchmark/en_zeroshot_classification_templates.json")
        let refused = error { try PromptFiles.readTemplates(path: path) }
        XCTAssertTrue(refused.contains("holds 33 entries of templates"), refused)
        XCTAssertTrue(refused.contains("#cifar10"), refused)
        // The first 20 keys and the count (a front end gets them all: the session offers a list).
        XCTAssertTrue(refused.hasSuffix(" … (33 in all))"), refused)
        XCTAssertThrowsError(try PromptFiles.readTemplates(path: path)) { e in
            guard case let ScoringError.needsKey(file, what, keys) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(file, path)
            XCTAssertEqual(what, "templates")
            XCTAssertEqual(keys.count, 33)
            XCTAssertTrue(keys.contains("cifar10"))
        }
        let cifar = try PromptFiles.readTemplates(path: path + "#cifar10")
        XCTAssertEqual(cifar.name, "cifar10")
        XCTAssertEqual(cifar.templates.count, 18)
        XCTAssertEqual(cifar.templates.first?.text, "a photo of a {c}.".replacingOccurrences(of: "{c}", with: "{}"))
        XCTAssertEqual(try PromptFiles.readTemplates(path: path + "#imagenet1k").templates.count, 80)
        // As labels: the file holds templates, and says so.
        let asLabels = error { try PromptFiles.readLabels(path: path) }
        XCTAssertTrue(asLabels.contains("holds templates by key, not class names"), asLabels)
        let keyAsLabels = error { try PromptFiles.readLabels(path: path + "#cifar10") }
        XCTAssertTrue(keyAsLabels.contains("#cifar10 holds templates, not class names"), keyAsLabels)
        let missing = error { try PromptFiles.readTemplates(path: path + "#nope") }
        XCTAssertTrue(missing.contains("no entry #nope; it has cifar10, cifar100"), missing)
    }

    func testBenchmarkClassNamesByDataset() throws {
        let path = try peer("clip_benchmark/en_classnames.json")
        let refused = error { try PromptFiles.readLabels(path: path) }
        XCTAssertTrue(refused.contains("holds 17 entries of class names"), refused)
        XCTAssertTrue(refused.contains("en_classnames.json#flowers"), refused)
        let eurosat = try PromptFiles.readLabels(path: path + "#eurosat")
        XCTAssertEqual(eurosat.name, "eurosat")
        XCTAssertEqual(
            eurosat.classes.map(\.name),
            [
                "annual crop land", "forest", "brushland or shrubland", "highway or road",
                "industrial buildings or commercial buildings", "pasture land",
                "permanent crop land", "residential buildings or homes or apartments",
                "river", "lake or sea"
            ])
        XCTAssertEqual(try PromptFiles.readLabels(path: path + "#imagenet1k").classes.count, 1000)
        let asTemplates = error { try PromptFiles.readTemplates(path: path + "#eurosat") }
        XCTAssertTrue(asTemplates.contains("holds class names, not templates"), asTemplates)
        let wholeAsTemplates = error { try PromptFiles.readTemplates(path: path) }
        XCTAssertTrue(wholeAsTemplates.contains("holds class names by key, not templates"), wholeAsTemplates)
    }

    func testCuPLKeepsFileOrderAndSentences() throws {
        let path = try peer("clip_benchmark/cupl_prompts.excerpt.json")
        // One entry: no key needed; with the key the same.
        for name in [path, path + "#imagenet1k"] {
            let labels = try PromptFiles.readLabels(path: name)
            XCTAssertEqual(labels.classes.count, 20)
            XCTAssertEqual(Array(labels.classes.map(\.name).prefix(3)), ["tench", "goldfish", "great white shark"])
            XCTAssertEqual(labels.classes[0].sentences.first, "A tench is a freshwater fish of the carp family.")
            XCTAssertEqual(labels.classes[0].sentences.count, 3)
        }
        // The inner object alone ({class: [sentences]}) is one label set, in file order.
        let json = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: path)))
        let inner = try XCTUnwrap(json["imagenet1k"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cupl-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = "{"
        for (i, m) in (inner.members ?? []).enumerated() {
            let encode = { (s: String) in String(decoding: try JSONEncoder().encode(s), as: UTF8.self) }
            let sentences = try (m.value.strings ?? []).map(encode)
            text += (i > 0 ? "," : "") + "\(try encode(m.key)): [\(sentences.joined(separator: ","))]"
        }
        text += "}"
        let innerPath = dir.appendingPathComponent("inner.json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: innerPath))
        let labels = try PromptFiles.readLabels(path: innerPath)
        XCTAssertEqual(labels.classes.map(\.name), inner.keys)
        XCTAssertNotEqual(labels.classes.map(\.name), inner.keys.sorted())
        let asTemplates = error { try PromptFiles.readTemplates(path: innerPath) }
        XCTAssertTrue(asTemplates.contains("holds class sentences (CuPL), not templates"), asTemplates)
    }

    func testBabelNamesCarryImageNetIndices() throws {
        let path = try peer("clip_benchmark/babel_imagenet.excerpt.json")
        let refused = error { try PromptFiles.readLabels(path: path) }
        XCTAssertTrue(refused.contains("holds 3 entries of ImageNet indices and class names"), refused)
        let de = try PromptFiles.readLabels(path: path + "#DE")
        XCTAssertEqual(de.classes.count, 738)
        XCTAssertEqual(de.classes[0], ClassLabel(name: "Schleie", imagenetIndex: 0))
        // Truth through the index: an English-named folder (open_clip's names) and a
        // WordNet-id folder both find the German class.
        let truth = de.truthIndices(["tench", "n01440764", "goldfish", "Schleie", "not a class"])
        XCTAssertEqual(truth, [0, 0, 1, 0, nil])
    }

    func testNLLBTemplatesByLanguage() throws {
        let path = try peer("clip_benchmark/nllb_dist13b_prompts.excerpt.json")
        let refused = error { try PromptFiles.readTemplates(path: path) }
        XCTAssertTrue(refused.contains("holds 3 entries of templates: name one as \(path)#JA"), refused)
        let de = try PromptFiles.readTemplates(path: path + "#DE")
        XCTAssertEqual(de.name, "DE")
        XCTAssertTrue(de.templates.allSatisfy(\.hasPlaceholder))
        XCTAssertTrue(error { try PromptFiles.readLabels(path: path + "#DE") }.contains("holds templates"))
    }

    func testOpenCLIPMetadataWithoutPython() throws {
        let path = try peer("open_clip/zero_shot_metadata.py")
        let refused = error { try PromptFiles.readTemplates(path: path) }
        XCTAssertTrue(refused.contains("OPENAI_IMAGENET_TEMPLATES, SIMPLE_IMAGENET_TEMPLATES"), refused)
        let openai = try PromptFiles.readTemplates(path: path + "#OPENAI_IMAGENET_TEMPLATES")
        XCTAssertEqual(openai.templates.count, 80)
        XCTAssertEqual(openai.templates[0].text, "a bad photo of a {}.")
        XCTAssertEqual(openai.templates[0].render("tench"), "a bad photo of a tench.")
        let simple = try PromptFiles.readTemplates(path: path + "#SIMPLE_IMAGENET_TEMPLATES")
        XCTAssertEqual(
            simple.templates.map(\.text),
            [
                "itap of a {}.", "a bad photo of the {}.", "a origami {}.",
                "a photo of the large {}.", "a {} in a video game.",
                "art of the {}.", "a photo of the small {}."
            ])
        // The one list of names needs no key, and keeps its order.
        let names = try PromptFiles.readLabels(path: path)
        XCTAssertEqual(names.name, "IMAGENET_CLASSNAMES")
        XCTAssertEqual(names.classes.count, 1000)
        XCTAssertEqual(names.classes.first?.name, "tench")
        XCTAssertEqual(names.classes.last?.name, "toilet paper")
        XCTAssertTrue(error { try PromptFiles.readLabels(path: path + "#SIMPLE_IMAGENET_TEMPLATES") }.contains("holds templates, not class names"))
    }

    func testPythonLambdasAndLists() throws {
        let text = """
            import os
            N = 3
            templates = [
                'a photo of a {}.',  # OpenAI's notebook style
                "itap of " "a {}.",
            ]
            LAMBDAS = (
                lambda c: f'a {c} with {{braces}}.',
                lambda x: 'a {} drawing.'.format(x),
                lambda c: 'an {c} icon.'.format(c=c),
            )
            classes = [["cat", "kitty"], 'dog']
            def f(): return [1]
            """
        let a = try PythonMetadata.assignments(in: text)
        XCTAssertEqual(a.map(\.name), ["templates", "LAMBDAS", "classes"])
        XCTAssertEqual(a[1].items, [.template("a {} with {{braces}}."), .template("a {} drawing."), .template("an {} icon.")])
        XCTAssertEqual(Template("a {} with {{braces}}.").render("cat"), "a cat with {braces}.")
        XCTAssertEqual(a[0].items, [.string("a photo of a {}."), .string("itap of a {}.")])
        let bad = "T = (lambda c: f'{c} and {d}',)"
        XCTAssertThrowsError(try PythonMetadata.assignments(in: bad)) { e in
            XCTAssertEqual((e as? PythonMetadata.ParseError)?.reason, "the f-string field {d} is not the lambda's parameter c")
        }
    }

    func testPlaceholdersDecideTemplatesFromLabels() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinds-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let names = dir.appendingPathComponent("names.txt").path
        try Data("cat\ndog\n".utf8).write(to: URL(fileURLWithPath: names))
        let templates = dir.appendingPathComponent("templates.txt").path
        try Data("a photo of a {}.\nno placeholder\n".utf8).write(to: URL(fileURLWithPath: templates))
        XCTAssertTrue(error { try PromptFiles.readTemplates(path: names) }.contains("no template has a {} placeholder"))
        XCTAssertTrue(error { try PromptFiles.readLabels(path: templates) }.contains("has a template placeholder"))
        XCTAssertEqual(try PromptFiles.readTemplates(path: templates).templates.count, 2)
        // A path that exists with '#' in its name is a path.
        let hashed = dir.appendingPathComponent("a#b.txt").path
        try Data("x {}\n".utf8).write(to: URL(fileURLWithPath: hashed))
        XCTAssertEqual(FileReference(hashed), FileReference(path: hashed, key: nil))
        XCTAssertEqual(try PromptFiles.readTemplates(path: hashed).templates.count, 1)
        XCTAssertTrue(error { try PromptFiles.readTemplates(path: templates + "#x") }.contains("no entries to pick from"))
    }

    func testOrderedJSONValue() throws {
        let v = try JSONValue.parse(Data(#"{"b": [1, 2.5e1, true, null], "a": "\u00e9\ud83d\ude00\n", "b": "last"}"#.utf8))
        XCTAssertEqual(v.keys, ["b", "a"])
        XCTAssertEqual(v["b"], .string("last"))
        XCTAssertEqual(v["a"], .string("é😀\n"))
        XCTAssertThrowsError(try JSONValue.parse(Data("[1,]".utf8)))
        XCTAssertThrowsError(try JSONValue.parse(Data(#"{"a" 1}"#.utf8)))
        XCTAssertThrowsError(try JSONValue.parse(Data("[1] x".utf8)))
        XCTAssertThrowsError(try JSONValue.parse(Data(String(repeating: "[", count: 100).utf8)))
    }

    /// ImageNet's tables are compiled-in data: 1,000 sorted WordNet ids and open_clip's
    /// 1,000 names, index for index.
    func testImageNetTablesAreThere() {
        XCTAssertEqual(ImageNetClasses.wordNetIDs.count, 1000)
        XCTAssertEqual(ImageNetClasses.englishNames.count, 1000)
        XCTAssertEqual(ImageNetClasses.wordNetIDs, ImageNetClasses.wordNetIDs.sorted())
        XCTAssertTrue(ImageNetClasses.wordNetIDs.allSatisfy(ImageNetClasses.isWordNetID))
        XCTAssertEqual(ImageNetClasses.wordNetIDs.first, "n01440764")
        XCTAssertEqual(ImageNetClasses.englishNames.first, "tench")
        XCTAssertEqual(ImageNetClasses.wordNetIDs.last, "n15075141")
        XCTAssertEqual(ImageNetClasses.englishNames.last, "toilet paper")
    }
}
