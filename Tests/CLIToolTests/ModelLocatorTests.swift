import CLIP
@testable import clip_tui
import Foundation
import XCTest

final class ModelLocatorTests: XCTestCase {
    func testHubIdsResolveInTheCacheLayout() throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("hub-\(UUID())")
        defer { try? FileManager.default.removeItem(at: cache) }
        let repo = cache.appendingPathComponent("models--openai--clip-vit-base-patch32")
        let snapshot = repo.appendingPathComponent("snapshots/abc123")
        try FileManager.default.createDirectory(at: snapshot, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try Data("abc123\n".utf8).write(to: repo.appendingPathComponent("refs/main"))
        let env = ["HF_HUB_CACHE": cache.path]
        let found = try ModelLocator.locate("openai/clip-vit-base-patch32", environment: env)
        XCTAssertEqual(found.folder, snapshot.path)
        XCTAssertEqual(try ModelLocator.locate("openai/clip-vit-base-patch32@abc123", environment: env).folder, snapshot.path)
        XCTAssertEqual(ModelLocator.hubCache(environment: ["HF_HOME": "/x"]), "/x/hub")
        XCTAssertThrowsError(try ModelLocator.locate("openai/missing", environment: env)) {
            XCTAssertTrue("\($0)".contains("not in the Hugging Face cache \(cache.path)"), "\($0)")
        }
        let viaEnv = try ModelLocator.locate(nil, environment: ["HF_HUB_CACHE": cache.path, "CLIP_TUI_MODEL": "openai/clip-vit-base-patch32"])
        XCTAssertEqual(viaEnv.folder, snapshot.path)
        XCTAssertTrue(viaEnv.note?.contains("CLIP_TUI_MODEL") ?? false)
        XCTAssertEqual(try ModelLocator.locate(cache.path, environment: env).folder, cache.path)
    }
}
