import UserPaths
import XCTest

final class UserPathsTests: XCTestCase {
    func testHomeXDGAndHuggingFaceVariables() {
        let plain = UserPaths(environment: ["HOME": "/h"])
        XCTAssertEqual(plain.home, "/h", "HOME wins, also for root (Foundation would read /etc/passwd)")
        XCTAssertEqual(plain.embeddingCache, "/h/.cache/clip-tui/embeddings.sqlite")
        XCTAssertEqual(plain.sessionFile, "/h/.local/state/clip-tui/session.json")
        XCTAssertEqual(plain.hubCache, "/h/.cache/huggingface/hub")
        XCTAssertEqual(plain.hubTokenFile, "/h/.cache/huggingface/token")

        let xdg = UserPaths(environment: ["HOME": "/h", "XDG_CACHE_HOME": "/c", "XDG_STATE_HOME": "/s"])
        XCTAssertEqual(xdg.embeddingCache, "/c/clip-tui/embeddings.sqlite")
        XCTAssertEqual(xdg.sessionFile, "/s/clip-tui/session.json")
        XCTAssertEqual(xdg.hubCache, "/c/huggingface/hub", "huggingface_hub follows XDG_CACHE_HOME too")

        let named = UserPaths(environment: [
            "HOME": "/h", "CLIP_TUI_CACHE": "/x.sqlite", "HF_HOME": "/hf",
            "HF_HUB_CACHE": "", "HF_TOKEN_PATH": "/t"
        ])
        XCTAssertEqual(named.embeddingCache, "/x.sqlite")
        XCTAssertEqual(named.hubCache, "/hf/hub", "an empty variable counts as unset")
        XCTAssertEqual(named.hubTokenFile, "/t")
        XCTAssertFalse(UserPaths(environment: [:]).home.isEmpty)
    }
}
