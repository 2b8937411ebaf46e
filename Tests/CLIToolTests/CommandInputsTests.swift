import Benchmarks
import CLIP
@testable import clip_tui
import Foundation
import XCTest

/// What the commands read besides checkpoints: `bench`'s default prompts and texts files.
final class CommandInputsTests: XCTestCase {
    func testBenchmarkPromptIdsAreTheTokenizers() throws {
        let model = try CLIPModel(folder: CLIToolTests.model)
        XCTAssertEqual(BenchmarkPrompts.texts.count, 32)
        XCTAssertEqual(BenchmarkPrompts.texts.map { model.tokenizer.tokenize($0).ids }, BenchmarkPrompts.ids)
    }

    func testTextsFileLines() {
        XCTAssertEqual(TextsFile.parse("a\r\nb\n\nc"), ["a", "b", "", "c"])
        XCTAssertEqual(TextsFile.parse("a\n"), ["a"])
        XCTAssertEqual(TextsFile.parse("a\n\n"), ["a", ""])
        XCTAssertEqual(TextsFile.parse(""), [])
        XCTAssertEqual(TextsFile.parse("\n"), [""])
    }
}
