import CLIP
import Foundation
import Tensors

/// SigLIP's towers timed beside a plain sgemm in the same process. SigLIP is outside the
/// live-at-scale goals (every prompt costs the full 64 positions, attended both ways): its
/// figures are reported on their own, and beside transformers by
/// `scripts/bench_siglip_vs_transformers.py`.
public struct SigLIPBenchmark {
    let vision: SigLIPVisionEncoder
    let text: SigLIPTextEncoder
    let padToken: Int
    let repeats: Int

    public init(vision: SigLIPVisionEncoder, text: SigLIPTextEncoder, padToken: Int, repeats: Int) {
        self.vision = vision; self.text = text; self.padToken = padToken; self.repeats = repeats
    }

    public struct Result: Encodable {
        var family = "SigLIP"
        var image_ms_per_image = 0.0
        var image_gflops = 0.0
        var sgemm_gflops = 0.0
        var image_vs_sgemm = 0.0
        var prompts = 0
        var text_tokens_per_prompt = 0
        var text_ms_per_prompt = 0.0
        var text_gflops = 0.0
        var edit10_ms = 0.0
    }

    /// - Parameter prompts: token ids (without padding), as the tokenizer gives them.
    public func run(images: Int, prompts: [[Int]]) -> Result {
        var r = Result()
        var pixels = [Float](repeating: 0, count: images * vision.pixelCount)
        for i in pixels.indices { pixels[i] = Float((i * 7919) % 1000) / 500 - 1 }
        let imageSeconds = median { _ = vision.encode(pixels: pixels, batchSize: images) }
        r.image_ms_per_image = imageSeconds * 1000 / Double(images)
        let v = vision.config
        let patches = Double(v.tokenCount - 1)
        r.image_gflops =
            (towerFlops(tokens: patches, width: v.hiddenSize, inner: v.intermediateSize, layers: v.numHiddenLayers)
                + 2 * patches * Double(3 * v.patchSize * v.patchSize * v.hiddenSize)) * Double(images) / imageSeconds / 1e9
        r.sgemm_gflops = sgemmGflops(size: 2048)
        r.image_vs_sgemm = r.image_gflops / r.sgemm_gflops
        r.prompts = prompts.count
        let t = text.config
        r.text_tokens_per_prompt = t.maxPositionEmbeddings
        let textSeconds = median { _ = try? text.encode(prompts, padToken: padToken) }
        r.text_ms_per_prompt = textSeconds * 1000 / Double(max(1, prompts.count))
        r.text_gflops =
            towerFlops(tokens: Double(t.maxPositionEmbeddings), width: t.hiddenSize, inner: t.intermediateSize, layers: t.numHiddenLayers)
            * Double(prompts.count) / textSeconds / 1e9
        let edit = (0..<10).map { prompts[$0 % max(1, prompts.count)] }
        r.edit10_ms = median { _ = try? text.encode(edit, padToken: padToken) } * 1000
        for path in [\Result.image_ms_per_image, \.image_gflops, \.sgemm_gflops, \.image_vs_sgemm, \.text_ms_per_prompt, \.text_gflops, \.edit10_ms] {
            r[keyPath: path] = (r[keyPath: path] * 1000).rounded() / 1000
        }
        return r
    }

    /// Multiply-adds × 2 of `tokens` through `layers` pre-norm blocks.
    private func towerFlops(tokens t: Double, width: Int, inner: Int, layers: Int) -> Double {
        let w = Double(width), i = Double(inner)
        return Double(layers) * (2 * t * (4 * w * w + 2 * w * i) + 4 * t * t * w)
    }

    private func sgemmGflops(size n: Int) -> Double { Benchmark.sgemmGflops(size: n, repeats: repeats) }

    private func median(_ body: () -> Void) -> Double { Benchmark.median(repeats: repeats, body) }
}
