import CLIP
import Dispatch
import Foundation
import Imaging
import Scoring

/// The engine's `EmbeddingProvider` over the Swift encoders (CLIP or SigLIP): the one place
/// where the models, Imaging and Scoring meet.
final class CLIPEmbeddingProvider: EmbeddingProvider {
    let model: any ImageTextModel
    let fingerprint: String
    var dimension: Int { model.embeddingSize }
    var logitScale: Float { model.logitScale }
    var logitBias: Float? { model.logitBias }

    let folder: String
    private let watch: ModelFileWatch

    /// Loads the model with its fingerprint taken before and after: if the files changed
    /// while loading, load again, so the fingerprint always names the weights in memory.
    init(folder: String) throws {
        self.folder = folder
        for _ in 0..<3 {
            let before = try ModelFingerprint.compute(folder: folder)
            let watch = ModelFileWatch(folder: folder)
            let model = try ModelLocator.loadModel(folder: folder)
            if try ModelFingerprint.compute(folder: folder) == before {
                (self.model, self.fingerprint, self.watch) = (model, before, watch)
                return
            }
        }
        throw CLIPError.badInput("\(folder): the model files kept changing while they were read")
    }

    func sourceChange() -> String? {
        guard watch.changed() else { return nil }
        let now = (try? ModelFingerprint.compute(folder: folder)) ?? "unreadable"
        guard now != fingerprint else { return nil }
        return "the model in \(folder) changed on disk (fingerprint \(fingerprint.prefix(12)) → \(now.prefix(12))): "
            + "the session keeps the weights it loaded and caches under their fingerprint; restart it to use the new ones"
    }

    var contextLength: Int { model.contextLength }
    var unknownTokenId: Int? { model.unknownTokenId }

    func tokenize(_ text: String) -> (ids: [Int], untruncatedCount: Int) {
        let t = model.tokenize(text)
        return (t.ids, t.untruncatedCount)
    }

    func embedTexts(_ texts: [String]) throws -> [[Float]] { try embedTexts(texts, reusingStates: false) }

    func embedTexts(_ texts: [String], reusingStates: Bool, keepingContinuations: Bool) throws -> [[Float]] {
        let m = try model.encodeTexts(texts, reusingStates: reusingStates, keepingContinuations: keepingContinuations)
        return (0..<m.rows).map { m.row($0) }
    }

    /// The library's pipeline (decoding overlapped with encoding, groups of 8).
    func embedImages(_ files: [ImageFile]) -> [Result<[Float], Error>] {
        model.embedImageData(files.map { ($0.path, $0.bytes) }, group: 8)
    }
}

/// Identity of a model folder's files (inode, size, modification time), cheap to compare
/// often: when it moves, the fingerprint is computed again to see if the weights did.
struct ModelFileWatch {
    let folder: String
    private let stamp: [String]

    init(folder: String) {
        self.folder = folder
        stamp = Self.read(folder)
    }

    func changed() -> Bool { Self.read(folder) != stamp }

    private static func read(_ folder: String) -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter {
                $0.hasSuffix("config.json") || $0.hasSuffix(".safetensors") || $0.hasSuffix(".safetensors.index.json") || $0.hasSuffix(".model")
            }
            .sorted()
        return names.map { name in
            var st = stat()
            guard stat(URL(fileURLWithPath: folder).appendingPathComponent(name).relativePath, &st) == 0 else { return "\(name) missing" }
            return "\(name) \(st.st_ino) \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
        }
    }
}
