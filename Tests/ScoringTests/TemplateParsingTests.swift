import ScoringCore
import XCTest

/// `Template` reads a one-`{}` template by a quick split and everything else by the full
/// scan: both must read the same text the same way.
final class TemplateParsingTests: XCTestCase {
    private func check(
        _ text: String, normalised: String, render: String, placeholders: Int, before: String?, line: UInt = #line
    ) {
        let t = Template(text)
        XCTAssertEqual(t.text, normalised, "text of \(text.debugDescription)", line: line)
        XCTAssertEqual(t.render("cat"), render, "render of \(text.debugDescription)", line: line)
        XCTAssertEqual(t.placeholderCount, placeholders, "placeholders of \(text.debugDescription)", line: line)
        XCTAssertEqual(t.beforePlaceholder, before, "text before {} of \(text.debugDescription)", line: line)
        XCTAssertEqual(Template(t.text), t, "re-read of \(text.debugDescription)", line: line)
        XCTAssertEqual(Template(t.text).render("cat"), render, line: line)
    }

    func testOnePlaceholderAndNoOtherBrace() {
        check("a photo of a {}.", normalised: "a photo of a {}.", render: "a photo of a cat.", placeholders: 1, before: "a photo of a ")
        check("{}", normalised: "{}", render: "cat", placeholders: 1, before: "")
        check("{} é 日本", normalised: "{} é 日本", render: "cat é 日本", placeholders: 1, before: "")
        check("itap of a {}", normalised: "itap of a {}", render: "itap of a cat", placeholders: 1, before: "itap of a ")
    }

    func testNoBraceAtAll() {
        check("a photo.", normalised: "a photo.", render: "a photo.", placeholders: 0, before: nil)
        check("", normalised: "", render: "", placeholders: 0, before: nil)
    }

    func testEverythingElseTakesTheFullScan() {
        check("a {c}.", normalised: "a {}.", render: "a cat.", placeholders: 1, before: "a ")
        check("{} and {}", normalised: "{} and {}", render: "cat and cat", placeholders: 2, before: "")
        check("a {{x}} {}", normalised: "a {{x}} {}", render: "a {x} cat", placeholders: 1, before: "a {x} ")
        check("a {} }}", normalised: "a {} }}", render: "a cat }", placeholders: 1, before: "a ")
        // A lone brace after the placeholder is literal, and written back escaped.
        check("{}}", normalised: "{}}}", render: "cat}", placeholders: 1, before: "")
        check("a { b", normalised: "a {{ b", render: "a { b", placeholders: 0, before: nil)
        // A combining mark joined to the closing brace makes it another character: no placeholder.
        XCTAssertEqual(Template("x{}\u{301}").placeholderCount, 0)
        XCTAssertEqual(Template("a {c}."), Template("a {}."))
    }
}
