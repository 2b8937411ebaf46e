import Foundation
import Scoring
import TerminalUI
import XCTest

/// Seeded random keys against the whole session (controller, engine, screen) with a fake
/// encoder: edits, motions, list commands, undo and redo, swaps, selection, pastes, wide
/// characters and sizes from 79×23 to 200×60, with scores landing in between. The session
/// must keep drawing whole screens, end on `q`, and leave a session file that opens.
final class RandomKeysTests: XCTestCase {
    /// Text embeddings from the text's bytes; images from their file names.
    final class Provider: EmbeddingProvider, @unchecked Sendable {
        let fingerprint = "random-keys"
        let dimension = 8
        let logitScale: Float = 100
        func vector(_ s: String) -> [Float] {
            var v = [Float](repeating: 0.1, count: dimension)
            for (i, b) in s.utf8.enumerated() { v[(i + Int(b)) % dimension] += Float(b % 13) - 6 }
            return v
        }
        func tokenize(_ text: String) -> (ids: [Int], untruncatedCount: Int) {
            let ids = [1] + text.split(separator: " ").map { abs($0.hashValue) % 1000 } + [2]
            return (Array(ids.prefix(77)), ids.count)
        }
        func embedTexts(_ texts: [String]) throws -> [[Float]] { texts.map(vector) }
        func embedImages(_ files: [ImageFile]) -> [Result<[Float], Error>] {
            files.map(\.path).map { p in
                p.hasSuffix("broken.png")
                    ? .failure(ScoringError.cannotRead(path: p, reason: "not a PNG"))
                    : .success(vector("a photo of a " + URL(fileURLWithPath: p).deletingLastPathComponent().lastPathComponent))
            }
        }
    }

    static let seeds: [UInt64] = [1, 2]

    func testTenThousandRandomKeys() throws {
        for seed in Self.seeds { try run(seed: seed, keys: 5_000) }
    }

    /// `p` shows the real prompts of the template or label under the cursor, tokenized by
    /// the model's tokenizer; `i` adds the ids; Esc closes.
    func testPromptsView() throws {
        let labels = ["cat | kitty", "dog", "red fox"]
        let document = SessionDocument(
            model: "fake", images: nil, labels: labels,
            templatesA: ["a photo of a {}.", "no placeholder"], templatesB: ["{}"])
        let controller = SessionController(
            document: document, model: ScoringModel(store: EmbeddingStore(provider: Provider(), cache: nil)),
            collection: nil, header: "fake", sessionPath: nil, preview: { _ in nil })
        controller.handle(.character("p"), width: 100, height: 30)
        let view = try XCTUnwrap(controller.state.promptsView)
        XCTAssertEqual(view.rows.map(\.prompt), ["a photo of a cat.", "a photo of a kitty.", "a photo of a dog.", "a photo of a red fox."])
        XCTAssertEqual(view.rows.map(\.tokens), view.rows.map { Provider().tokenize($0.prompt).untruncatedCount })
        controller.handle(.character("i"), width: 100, height: 30)
        XCTAssertTrue(controller.render(width: 100, height: 30, directColor: false).text.contains("1 "), "ids shown")
        controller.handle(.escape, width: 100, height: 30)
        XCTAssertNil(controller.state.promptsView)
        // A label: its names under A's templates (the one without {} makes none).
        controller.handle(.character("2"), width: 100, height: 30)
        controller.handle(.character("p"), width: 100, height: 30)
        XCTAssertEqual(controller.state.promptsView?.rows.map(\.prompt), ["a photo of a cat.", "a photo of a kitty."])
    }

    /// Without images there are no scores to wait for: `e` writes the sets at once, without
    /// figures, at exactly the path typed.
    func testExportWithoutImagesWritesTheSetsAtOnce() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("noimages-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let document = SessionDocument(model: "fake", images: nil, labels: ["cat", "dog"], templatesA: ["a photo of a {}."], templatesB: ["{}"])
        let controller = SessionController(
            document: document, model: ScoringModel(store: EmbeddingStore(provider: Provider(), cache: nil)),
            collection: nil, header: "fake", sessionPath: nil, preview: { _ in nil }, imagesProblem: "no images folder")
        controller.dispatch(.beginExport)
        controller.dispatch(.edit(.insert(path)))
        controller.dispatch(.commitEdit)
        XCTAssertEqual(controller.state.status, "exported to \(path)")
        let export = try PromptSetExport.read(path: path)
        XCTAssertEqual(export.templateSets.map(\.templates), [[Template("a photo of a {}.")], [Template("{}")]])
        XCTAssertNil(export.templateSets[0].metrics)
        XCTAssertEqual(export.model?.temperature, 1)
    }

    /// A CuPL class's prompts are its own sentences: the prompts view shows them, and the
    /// Labels pane says how many there are.
    func testSentencesOfACuPLClass() throws {
        var document = SessionDocument(model: "fake", images: nil, labels: [], templatesA: ["a photo of a {}."], templatesB: ["{}"])
        document.setLabels(
            LabelSet(
                name: "cupl",
                classes: [
                    ClassLabel(name: "tench", sentences: ["A tench is a fish.", "Tench live in ponds."]),
                    ClassLabel(name: "goldfish")
                ]))
        let controller = SessionController(
            document: document, model: ScoringModel(store: EmbeddingStore(provider: Provider(), cache: nil)),
            collection: nil, header: "fake", sessionPath: nil, preview: { _ in nil })
        XCTAssertTrue(controller.render(width: 120, height: 30, directColor: false).text.contains("2 sentences"))
        controller.handle(.character("2"), width: 120, height: 30)
        controller.handle(.character("p"), width: 120, height: 30)
        XCTAssertEqual(controller.state.promptsView?.rows.map(\.prompt), ["A tench is a fish.", "Tench live in ponds."])
        XCTAssertEqual(controller.state.promptsView?.title, "Prompts of 'tench': its own sentences (2)")
    }

    /// The image cursor stays on its image when the list is re-sorted, filtered and
    /// rescored: the row moves, not the image.
    func testTheImageCursorFollowsItsImage() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cursor-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let classes = ["cat", "dog", "red fox", "owl"]
        for (i, c) in classes.enumerated() {
            let folder = dir.appendingPathComponent("images/\(c)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for j in 0..<3 { try Data([UInt8(i), UInt8(j)]).write(to: folder.appendingPathComponent("\(j).png")) }
        }
        let document = SessionDocument(
            model: "fake", images: dir.appendingPathComponent("images").path, labels: classes,
            templatesA: ["a photo of a {}."], templatesB: ["{}"])
        let controller = SessionController(
            document: document, model: ScoringModel(store: EmbeddingStore(provider: Provider(), cache: nil)),
            collection: try document.collection(folder: dir.appendingPathComponent("images").path), header: "fake",
            sessionPath: nil, preview: { _ in nil })
        func settle() {
            let end = Date().addingTimeInterval(5)
            while !controller.isIdle && Date() < end { usleep(2_000); controller.tick() }
            controller.tick()
        }
        settle()
        // Down to the seventh image (owl/0.png, in name order).
        controller.dispatch(.focus(.images))
        for _ in 0..<6 { controller.handle(.down, width: 120, height: 40) }
        let path = try XCTUnwrap(controller.selectedImagePath)
        XCTAssertTrue(path.hasSuffix("owl/0.png"), path)
        let row = controller.state.row(.images)
        controller.handle(.character("S"), width: 120, height: 40)  // sort by confidence
        XCTAssertEqual(controller.selectedImagePath, path, "re-sorted: the same image")
        XCTAssertNotEqual(controller.state.row(.images), row, "on another row")
        controller.handle(.character("f"), width: 120, height: 40)  // filter: wrong under A
        XCTAssertEqual(controller.selectedImagePath, path, "filtered: the same image while it is listed")
        controller.handle(.character("f"), width: 120, height: 40)
        controller.handle(.character("f"), width: 120, height: 40)
        controller.handle(.character("f"), width: 120, height: 40)  // all again
        // An edit rescoring every image: still the same image.
        controller.dispatch(.focus(.templatesA))
        controller.dispatch(.beginEdit)
        controller.dispatch(.edit(.insert(" outside")))
        controller.dispatch(.commitEdit)
        settle()
        XCTAssertEqual(controller.selectedImagePath, path, "rescored: the same image")
    }

    func run(seed: UInt64, keys count: Int) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let classes = ["cat", "dog", "red fox", "owl"]
        for (i, c) in (classes + ["zebra"]).enumerated() {
            let folder = dir.appendingPathComponent("images/\(c)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for j in 0..<3 { try Data([UInt8(i), UInt8(j)]).write(to: folder.appendingPathComponent("\(j).png")) }
        }
        try Data([9]).write(to: dir.appendingPathComponent("images/cat/broken.png"))
        let document = SessionDocument(
            model: "fake", images: dir.appendingPathComponent("images").path, labels: classes,
            templatesA: ["a photo of a {}.", "a {} here"], templatesB: ["{}", "my {}"])
        let model = ScoringModel(store: EmbeddingStore(provider: Provider(), cache: nil))
        let collection = try ImageCollection(root: dir.appendingPathComponent("images").path, labels: document.labelSet)
        let sessionPath = dir.appendingPathComponent("session.json").path
        let controller = SessionController(
            document: document, model: model, collection: collection, header: "fake",
            sessionPath: sessionPath, preview: { _ in nil })
        controller.autosaveDelay = 0.05
        var rng = SplitMix64(seed: seed)
        func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
        let pool: [Key] = [
            .character("a"), .character("o"), .character("d"), .character("y"), .character("u"), .control("r"),
            .character("s"), .character(">"), .character("<"), .character("f"), .character("S"), .character("F"),
            .character("?"), .character("c"), .character("/"), .character("t"), .character("T"), .character("p"), .character("j"), .character("k"),
            .character("g"), .character("G"), .character("1"),
            .character("2"), .character("3"), .character("4"), .character("5"), .character("!"), .character("O"),
            .character("i"), .character("x"), .character("{"),
            .character("}"), .character(" "), .character("猫"), .character("🐱"), .character("é"), .character("\u{301}"),
            .up, .down, .left, .right, .home, .end, .pageUp, .pageDown, .enter, .escape, .tab, .backTab, .backspace,
            .delete, .altLeft, .altRight, .altBackspace, .control("w"), .control("k"), .control("u"), .control("a"),
            .control("e"), .paste("one {}\ntwo\r\nd\ns"), .paste("a {} 🐱"), .paste("q")
        ]
        var width = 120, height = 40
        for n in 0..<count {
            var key = pick(pool)
            if rng.next() % 50 == 0 {
                width = 79 + Int(rng.next() % 122)
                height = 23 + Int(rng.next() % 38)
                key = .resize
            } else if rng.next() % 40 == 0 {
                key = .mouseClick(x: Int(rng.next() % UInt64(width)), y: Int(rng.next() % UInt64(height)))
            } else if rng.next() % 60 == 0 {
                key = .mouseWheel(x: Int(rng.next() % UInt64(width)), y: Int(rng.next() % UInt64(height)), delta: pick([-3, 3]))
            }
            if key != .resize { controller.handle(key, width: width, height: height) }
            controller.tick()
            let grid = controller.render(width: width, height: height, directColor: n % 2 == 0)
            XCTAssertEqual(grid.width, width)
            XCTAssertEqual(grid.height, height)
            XCTAssertFalse(controller.state.quitting, "seed \(seed), key \(n): only q quits")
            // Let scores land now and then, so that edits meet snapshots of older labels.
            if n % 97 == 0 {
                let end = Date().addingTimeInterval(2)
                while !controller.isIdle && Date() < end { usleep(2_000); controller.tick() }
            }
        }
        XCTAssertNotNil(controller.latestSnapshot, "seed \(seed): scores landed during the run")
        XCTAssertNotEqual(controller.state.document, document, "seed \(seed): the keys edited the session")
        controller.handle(.escape, width: width, height: height)
        controller.handle(.escape, width: width, height: height)
        if controller.state.showHelp { controller.handle(.escape, width: width, height: height) }
        controller.handle(.character("q"), width: width, height: height)
        XCTAssertTrue(controller.state.quitting, "seed \(seed): q quits")
        let saved = try SessionDocument.read(path: sessionPath)
        XCTAssertEqual(saved.labels, controller.state.document.labels, "seed \(seed): the session file holds the last state")
    }
}
