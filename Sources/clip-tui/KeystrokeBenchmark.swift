import CLIP
import Foundation
import Scoring
import Tensors
import TerminalUI
import Tokenization

/// Replays typing a template, key by key, against the engine the session uses: each
/// keystroke re-encodes the edited template's prompts (one per label) and re-scores the
/// images. Reports the latency from keystroke to new scores.
struct KeystrokeBenchmark {
    let text: TextEncoder
    let tokenizer: Tokenizer
    let imageCount: Int
    let labels: [String]

    /// An `EmbeddingProvider` over the text tower alone (images come pre-embedded).
    final class TextOnlyProvider: EmbeddingProvider {
        let text: TextEncoder
        let tokenizer: Tokenizer
        let fingerprint = "keystroke-benchmark"
        var dimension: Int { text.projectionDim }
        let logitScale: Float = 100
        init(text: TextEncoder, tokenizer: Tokenizer) { self.text = text; self.tokenizer = tokenizer }
        func tokenize(_ s: String) -> (ids: [Int], untruncatedCount: Int) {
            let t = tokenizer.tokenize(s); return (t.ids, t.untruncatedCount)
        }
        func embedTexts(_ texts: [String]) throws -> [[Float]] {
            let m = try text.encode(texts.map { tokenizer.tokenize($0).ids }, endToken: tokenizer.endToken)
            return (0..<m.rows).map { m.row($0) }
        }
        func embedImages(_ paths: [String]) -> [Result<[Float], Error>] { [] }
    }

    /// Milliseconds per keystroke, sorted.
    func run() throws -> [Double] {
        let provider = TextOnlyProvider(text: text, tokenizer: tokenizer)
        let lab = PromptLab(store: EmbeddingStore(provider: provider, cache: nil))
        var state: UInt64 = 7
        var rows: [[Float]] = []
        for i in 0..<imageCount {
            var v = [Float](repeating: 0, count: provider.dimension)
            for k in v.indices { state = state &* 6364136223846793005 &+ 1442695040888963407; v[k] = Float(Int64(bitPattern: state >> 11) % 1000) / 1000 }
            _ = i
            rows.append(Vector.normalized(v))
        }
        let items = (0..<imageCount).map { ImageCollection.Item(path: "\($0)", relativePath: "\($0)", truth: $0 % labels.count) }
        let images = PromptLab.EmbeddedImages(items: items, matrix: Matrix(rows: rows, dimension: provider.dimension), failures: [])
        var document = SessionDocument(model: nil, images: nil, labels: labels,
                                       templatesA: ["a photo of a {}.", "a drawing of a {}."], templatesB: ["{}"])
        _ = try ScoreSnapshot.build(lab: lab, images: images, document: document, generation: 0)  // warm the cache
        var times: [Double] = []
        let typed = "a blurry close-up photo of my {}."
        for (n, _) in typed.enumerated() {
            document.templatesA[1] = String(typed.prefix(n + 1))
            let start = DispatchTime.now()
            _ = try ScoreSnapshot.build(lab: lab, images: images, document: document, generation: n + 1)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
        }
        return times.sorted()
    }
}
