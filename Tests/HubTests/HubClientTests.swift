import Crypto
import Foundation
import Synchronization
import XCTest
@testable import Hub

final class HubClientTests: XCTestCase {
    let repo = "test-org/tiny"
    var cache = ""
    var root: String { LocalHub.fixtures.appendingPathComponent("tiny-repo").path }

    override func setUpWithError() throws {
        cache = NSTemporaryDirectory() + "hub-cache-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: cache)
    }

    func client(_ hub: LocalHub, token: String? = nil) -> HubClient {
        var c = HubClient(endpoint: hub.endpoint, token: token, cache: cache)
        c.retryDelay = 0.05
        c.timeout = 10
        return c
    }

    func sha256(_ path: String) throws -> String {
        SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))).map { String(format: "%02x", $0) }.joined()
    }

    func testFetchWritesTheHubCacheLayout() throws {
        let hub = try LocalHub(root: root, repo: repo)
        defer { hub.stop() }
        let seen = Mutex<[String: Int]>([:])
        let folder = try client(hub).fetchWaiting(repo: repo) { p in seen.withLock { $0[p.file] = p.bytes } }
        let last = seen.withLock { $0 }
        let fm = FileManager.default
        let names = try fm.contentsOfDirectory(atPath: folder).sorted()
        XCTAssertEqual(names, ["config.json", "merges.txt", "model.safetensors", "vocab.json"])  // not pytorch_model.bin
        let commit = (folder as NSString).lastPathComponent
        XCTAssertEqual(commit.count, 40)
        let repoFolder = cache + "/models--test-org--tiny"
        XCTAssertEqual(try String(contentsOfFile: repoFolder + "/refs/main", encoding: .utf8), commit)
        for name in names {
            XCTAssertEqual(
                try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)),
                try Data(contentsOf: URL(fileURLWithPath: root + "/" + name)), name)
        }
        // Weights are stored under their SHA-256, small files under their git blob id; links relative.
        let weightsSHA = try sha256(root + "/model.safetensors")
        XCTAssertEqual(try fm.destinationOfSymbolicLink(atPath: folder + "/model.safetensors"), "../../blobs/" + weightsSHA)
        let config = try Data(contentsOf: URL(fileURLWithPath: root + "/config.json"))
        var sha1 = Insecure.SHA1()
        sha1.update(data: Data("blob \(config.count)\0".utf8)); sha1.update(data: config)
        let blobId = sha1.finalize().map { String(format: "%02x", $0) }.joined()
        XCTAssertEqual(try fm.destinationOfSymbolicLink(atPath: folder + "/config.json"), "../../blobs/" + blobId)
        XCTAssertEqual(last["model.safetensors"], 300_080)
        XCTAssertFalse(try fm.contentsOfDirectory(atPath: repoFolder + "/blobs").contains { $0.hasSuffix(".incomplete") })

        // A second fetch finds everything in the cache and downloads nothing.
        let before = hub.requests.filter { $0.contains("/resolve/") }.count
        let again = try client(hub).fetchWaiting(repo: repo)
        XCTAssertEqual(again, folder)
        XCTAssertEqual(hub.requests.filter { $0.contains("/resolve/") }.count, before)
    }

    func testDroppedConnectionResumesWithARangeRequest() throws {
        let hub = try LocalHub(root: root, repo: repo, extra: ["--drop-after", "100000"])
        defer { hub.stop() }
        let folder = try client(hub).fetchWaiting(repo: repo)
        XCTAssertEqual(try sha256(folder + "/model.safetensors"), try sha256(root + "/model.safetensors"))
        let cdn = hub.requests.filter { $0.hasPrefix("GET /cdn/") }
        XCTAssertEqual(cdn.count, 2, "\(hub.requests)")
        XCTAssertEqual(cdn.last?.hasSuffix(" bytes=100000-"), true, "\(cdn)")
    }

    func testPartialFileFromAnEarlierRunIsResumed() throws {
        let hub = try LocalHub(root: root, repo: repo)
        defer { hub.stop() }
        let sha = try sha256(root + "/model.safetensors")
        let layout = HubCacheLayout(cache: cache, repo: repo)
        try FileManager.default.createDirectory(atPath: cache + "/models--test-org--tiny/blobs", withIntermediateDirectories: true)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: root + "/model.safetensors"))
        try bytes.prefix(1000).write(to: URL(fileURLWithPath: layout.incomplete(sha)))
        let folder = try client(hub).fetchWaiting(repo: repo)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/model.safetensors")), bytes)
        XCTAssertEqual(hub.requests.filter { $0.hasPrefix("GET /cdn/") }, ["GET /cdn/\(sha) bytes=1000-"])
    }

    func testWrongHashIsRejectedAndNothingIsMovedIntoPlace() throws {
        let hub = try LocalHub(root: root, repo: repo, extra: ["--corrupt", "model.safetensors"])
        defer { hub.stop() }
        XCTAssertThrowsError(try client(hub).fetchWaiting(repo: repo)) { error in
            guard case let HubError.checksumMismatch(file, expected, actual) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "model.safetensors")
            XCTAssertNotEqual(expected, actual)
            XCTAssertTrue("\(error)".contains("checksum mismatch"))
        }
        let blobs = (try? FileManager.default.contentsOfDirectory(atPath: cache + "/models--test-org--tiny/blobs")) ?? []
        let sha = try sha256(root + "/model.safetensors")
        XCTAssertFalse(blobs.contains(sha))
        XCTAssertFalse(blobs.contains(sha + ".incomplete"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache + "/models--test-org--tiny/refs/main"))
    }

    func testTokenIsSentAndItsAbsenceExplained() throws {
        let hub = try LocalHub(root: root, repo: repo, extra: ["--token", "s3cret"])
        defer { hub.stop() }
        XCTAssertThrowsError(try client(hub).fetchWaiting(repo: repo)) { error in
            XCTAssertEqual(error as? HubError, .unauthorized(repo: repo, hasToken: false))
            XCTAssertTrue("\(error)".contains("HF_TOKEN"))
        }
        XCTAssertThrowsError(try client(hub, token: "wrong").fetchWaiting(repo: repo)) { error in
            XCTAssertEqual(error as? HubError, .unauthorized(repo: repo, hasToken: true))
        }
        _ = try client(hub, token: "s3cret").fetchWaiting(repo: repo)
    }

    func testUnknownRevisionAndRepository() throws {
        let hub = try LocalHub(root: root, repo: repo)
        defer { hub.stop() }
        XCTAssertThrowsError(try client(hub).fetchWaiting(repo: repo, revision: "v9")) { error in
            XCTAssertEqual(error as? HubError, .notFound(repo: repo, revision: "v9"))
        }
        XCTAssertThrowsError(try client(hub).fetchWaiting(repo: "test-org/other")) { error in
            XCTAssertEqual(error as? HubError, .notFound(repo: "test-org/other", revision: "main"))
        }
        XCTAssertThrowsError(try client(hub).fetchWaiting(repo: "../etc")) { error in
            XCTAssertEqual(error as? HubError, .notFound(repo: "../etc", revision: "main"))
        }
    }

    /// A timm-style repository served end to end: the open_clip files are fetched, timm's
    /// config and image-only weights and the pickle are not.
    func testFetchOfAnOpenCLIPRepositoryTakesItsOwnFiles() throws {
        let root = NSTemporaryDirectory() + "openclip-repo-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let files = [
            "open_clip_config.json": #"{"model_cfg": {"embed_dim": 8}}"#, "open_clip_model.safetensors": "weights",
            "open_clip_pytorch_model.bin": "pickle", "config.json": #"{"architecture": "vit_base_patch16_clip_224"}"#,
            "model.safetensors": "image tower only"
        ]
        for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: root + "/" + name)) }
        let hub = try LocalHub(root: root, repo: "timm/tiny-openclip")
        defer { hub.stop() }
        let folder = try client(hub).fetchWaiting(repo: "timm/tiny-openclip")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["open_clip_config.json", "open_clip_model.safetensors"])
        XCTAssertEqual(try String(contentsOfFile: folder + "/open_clip_model.safetensors", encoding: .utf8), "weights")
    }

    func testNoNetworkIsAClearMessage() throws {
        // Port 9 on loopback: nothing listens, the connection is refused at once.
        let client = HubClient(endpoint: "http://127.0.0.1:9", token: nil, cache: cache)
        XCTAssertThrowsError(try client.fetchWaiting(repo: repo)) { error in
            guard case HubError.unreachable(let endpoint, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(endpoint, "http://127.0.0.1:9")
            XCTAssertTrue("\(error)".contains("cannot reach http://127.0.0.1:9"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache + "/models--test-org--tiny/snapshots"))
    }

    func testEnvironment() throws {
        let home = NSTemporaryDirectory() + "hf-home-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        try Data("from-file\n".utf8).write(to: URL(fileURLWithPath: home + "/token"))
        let fromFile = HubClient.fromEnvironment(["HF_HOME": home], cache: cache)
        XCTAssertEqual(fromFile.endpoint, "https://huggingface.co")
        XCTAssertEqual(fromFile.token, "from-file")
        let fromEnv = HubClient.fromEnvironment(["HF_HOME": home, "HF_TOKEN": "t", "HF_ENDPOINT": "http://mirror:8080/"], cache: cache)
        XCTAssertEqual(fromEnv.endpoint, "http://mirror:8080")
        XCTAssertEqual(fromEnv.token, "t")
    }
}

final class HubRepoInfoTests: XCTestCase {
    func parse(_ json: String) throws -> HubRepoInfo {
        try HubRepoInfo.parse(Data(json.utf8), repo: "o/n", url: "u")
    }

    let sha = String(repeating: "ab", count: 20)

    /// A timm repository with open_clip's files: those decide, timm's files stay behind.
    func testOpenCLIPFilesAreFetchedInsteadOfTimmFiles() throws {
        let info = try parse(
            """
            {"sha": "\(sha)", "siblings": [{"rfilename": "config.json"}, {"rfilename": "model.safetensors"},
             {"rfilename": "open_clip_config.json"}, {"rfilename": "open_clip_model.safetensors"},
             {"rfilename": "open_clip_pytorch_model.bin"}, {"rfilename": "README.md"}]}
            """)
        XCTAssertEqual(try info.filesToFetch(repo: "timm/x").map(\.name), ["open_clip_config.json", "open_clip_model.safetensors"])
    }

    func testFilesToFetch() throws {
        let info = try parse(
            """
            {"sha": "\(sha)", "siblings": [{"rfilename": "config.json", "size": 10, "blobId": "\(sha)"},
             {"rfilename": "model-00001-of-00002.safetensors", "size": 130, "lfs": {"sha256": "\(String(repeating: "0f", count: 32))", "size": 5}},
             {"rfilename": "model.safetensors.index.json", "size": 3}, {"rfilename": "pytorch_model.bin"},
             {"rfilename": "onnx/model.safetensors"}, {"rfilename": "tokenizer.json"}, {"rfilename": "README.md"}]}
            """)
        XCTAssertEqual(info.commit, sha)
        XCTAssertEqual(
            try info.filesToFetch(repo: "o/n").map(\.name),
            ["config.json", "model-00001-of-00002.safetensors", "model.safetensors.index.json", "tokenizer.json"])
        XCTAssertEqual(info.files[1].expectedSize, 5)
        XCTAssertEqual(info.files[1].etag, String(repeating: "0f", count: 32))
    }

    /// A SigLIP 2 repository: the SentencePiece model, not its 34 MB tokenizer.json copy.
    func testSigLIPFetchesItsSentencePieceModel() throws {
        let info = try parse(
            """
            {"sha": "\(sha)", "siblings": [{"rfilename": "config.json"}, {"rfilename": "model.safetensors"},
             {"rfilename": "preprocessor_config.json"}, {"rfilename": "special_tokens_map.json"}, {"rfilename": "tokenizer.json"},
             {"rfilename": "tokenizer.model"}, {"rfilename": "tokenizer_config.json"}, {"rfilename": "README.md"}]}
            """)
        XCTAssertEqual(
            try info.filesToFetch(repo: "google/siglip2-base-patch16-224").map(\.name),
            ["config.json", "model.safetensors", "preprocessor_config.json", "special_tokens_map.json", "tokenizer.model", "tokenizer_config.json"])
    }

    func testNoSafetensorsIsNamed() throws {
        let info = try parse(#"{"sha": "\#(sha)", "siblings": [{"rfilename": "pytorch_model.bin"}]}"#)
        XCTAssertThrowsError(try info.filesToFetch(repo: "o/n")) { error in
            XCTAssertEqual(error as? HubError, .noWeights(repo: "o/n", files: ["pytorch_model.bin"]))
        }
    }

    func testHostileAnswersAreRefused() {
        for name in ["../x", "/etc/passwd", "a/../../b", "a//b", "./c", "a\\b", ""] {
            XCTAssertThrowsError(try parse(#"{"sha": "\#(sha)", "siblings": [{"rfilename": \#(String(reflecting: name))}]}"#), name) { error in
                XCTAssertEqual(error as? HubError, .unsafeFileName(repo: "o/n", name: name))
            }
        }
        let bad: [(String, String)] = [
            ("[]", "not a JSON object"), ("{", "not JSON"), (#"{"sha": "xyz", "siblings": []}"#, "no commit id"),
            (#"{"sha": "\#(sha)"}"#, "no file list"),
            (#"{"sha": "\#(sha)", "siblings": [{"rfilename": "m.safetensors", "lfs": {"sha256": "zz"}}]}"#, "without a SHA-256")
        ]
        for (json, problem) in bad {
            XCTAssertThrowsError(try parse(json), json) { error in
                XCTAssertTrue("\(error)".contains(problem), "\(error)")
            }
        }
        // Sizes that are not byte counts are dropped, not trusted.
        let info = try? parse(#"{"sha": "\#(sha)", "siblings": [{"rfilename": "a", "size": -5}, {"rfilename": "b", "size": 1e300}]}"#)
        XCTAssertEqual(info?.files.map(\.size), [nil, nil])
    }
}

extension HubClient {
    /// `fetch` awaited from a synchronous test: the test's thread waits while the fetch runs
    /// on the concurrency pool.
    func fetchWaiting(repo: String, revision: String = "main", progress: @escaping @Sendable (Progress) -> Void = { _ in }) throws -> String {
        let result = Mutex<Result<String, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let r = await Result(catching: { try await fetch(repo: repo, revision: revision, progress: progress) })
            result.withLock { $0 = r }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }
}

extension Result where Failure == Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
