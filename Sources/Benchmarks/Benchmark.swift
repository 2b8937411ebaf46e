import CLIP
import Scoring
import Foundation
import Tensors

/// Timings of the encoders and of a plain sgemm in the same process, so that the figures
/// can be read as ratios on a noisy machine.
public struct Benchmark {
    let vision: VisionEncoder
    let text: TextEncoder
    let endToken: Int
    let repeats: Int

    public init(vision: VisionEncoder, text: TextEncoder, endToken: Int, repeats: Int) {
        self.vision = vision; self.text = text; self.endToken = endToken; self.repeats = repeats
    }

    public struct Result {
        var image_ms_per_image = 0.0
        var image_gflops = 0.0
        var sgemm_gflops = 0.0
        var image_vs_sgemm = 0.0
        var prompts = 0
        var mean_tokens = 0.0
        var text_ms_per_prompt = 0.0
        var text_longest_ms_per_prompt = 0.0
        var text77_ms_per_prompt = 0.0
        var edit10_ms = 0.0
        var scoring_10k_x_1000_ms = 0.0
        public init() {}

        /// Text batches of 1 to 256 prompts on 1 and 2 threads, ms: where a second thread pays.
        var text_threads: [[Double]] = []

        public func encodeFields(into c: inout KeyedEncodingContainer<Key>) throws {
            for (k, v) in [
                ("image_ms_per_image", image_ms_per_image), ("image_gflops", image_gflops),
                ("sgemm_gflops", sgemm_gflops), ("image_vs_sgemm", image_vs_sgemm)
            ] {
                try c.encode((v * 1000).rounded() / 1000, forKey: Key(k))
            }
            try c.encode(prompts, forKey: Key("prompts"))
            for (k, v) in [
                ("mean_tokens", mean_tokens), ("text_ms_per_prompt", text_ms_per_prompt),
                ("text_longest_ms_per_prompt", text_longest_ms_per_prompt),
                ("text77_ms_per_prompt", text77_ms_per_prompt), ("edit10_ms", edit10_ms),
                ("scoring_10k_x_1000_ms", scoring_10k_x_1000_ms)
            ] {
                try c.encode((v * 1000).rounded() / 1000, forKey: Key(k))
            }
            if !text_threads.isEmpty { try c.encode(text_threads, forKey: Key("text_threads")) }
        }
    }

    public func run(images: Int, prompts: [[Int]]) -> Result {
        var r = Result()
        // Images: random pixels (the encoder's cost does not depend on content).
        var pixels = [Float](repeating: 0, count: images * vision.pixelCount)
        for i in pixels.indices { pixels[i] = Float((i * 7919) % 1000) / 500 - 1 }
        let imageSeconds = median { _ = vision.encode(pixels: pixels, batchSize: images) }
        r.image_ms_per_image = imageSeconds * 1000 / Double(images)
        r.image_gflops = visionFlops() * Double(images) / imageSeconds / 1e9
        r.sgemm_gflops = sgemmGflops(size: 2048)
        r.image_vs_sgemm = r.image_gflops / r.sgemm_gflops

        r.prompts = prompts.count
        r.mean_tokens = Double(prompts.map(\.count).reduce(0, +)) / Double(max(1, prompts.count))
        func perPrompt(_ options: TextEncoder.Options) -> Double {
            median { _ = try? text.encode(prompts, endToken: endToken, options: options) } * 1000 / Double(prompts.count)
        }
        r.text_ms_per_prompt = perPrompt(.init())
        var longest = TextEncoder.Options()
        longest.sharePrefixes = false
        longest.padTo = prompts.map(\.count).max()
        r.text_longest_ms_per_prompt = perPrompt(longest)
        var full = longest
        full.padTo = 77
        r.text77_ms_per_prompt = perPrompt(full)
        // One edited template × 10 labels: what the session re-encodes after a keystroke.
        let edit = (0..<10).map { i in [49406, 320, 2183, 1125, 539, 320] + [2368 + 17 * i, 269, 49407] }
        r.edit10_ms = median { _ = try? text.encode(edit, endToken: endToken) } * 1000
        if BLAS.threadLimit > 1 {
            // [prompts, rows, ms on 1 thread, ms on 2], timed alternately in one run.
            for count in [1, 4, 16, 64, 256] {
                let batch = (0..<count).map { prompts[$0 % prompts.count] }
                let rows = batch.map(\.count).reduce(0, +)
                var ms: [Double] = []
                for t in [1, 2] {
                    BLAS.setThreads(t)
                    ms.append(
                        median {
                            _ = try? text.encode(
                                batch, endToken: endToken,
                                options: {
                                    var o = TextEncoder.Options(); o.sharePrefixes = false; return o
                                }())
                        } * 1000)
                }
                r.text_threads.append([Double(count), Double(rows), (ms[0] * 100).rounded() / 100, (ms[1] * 100).rounded() / 100])
            }
            BLAS.setThreads(BLAS.threadLimit)
        }
        r.scoring_10k_x_1000_ms = scoringSeconds(images: 10_000, classes: 1000, dimension: vision.projectionDim) * 1000
        return r
    }

    /// Multiply-adds × 2 of one image through the vision tower.
    private func visionFlops() -> Double {
        let c = vision.config
        let t = Double(c.tokenCount), w = Double(c.hiddenSize), i = Double(c.intermediateSize)
        let patches = t - 1, patchLength = Double(3 * c.patchSize * c.patchSize)
        let perLayer = 2 * t * (4 * w * w + 2 * w * i) + 4 * t * t * w
        return 2 * patches * patchLength * w + Double(c.numHiddenLayers) * perLayer + 2 * w * Double(vision.projectionDim)
    }

    private func sgemmGflops(size n: Int) -> Double { Self.sgemmGflops(size: n, repeats: repeats) }

    /// GFLOP/s of one `n × n` sgemm on the thread limit: the baseline every figure is read against.
    public static func sgemmGflops(size n: Int, repeats: Int) -> Double {
        BLAS.setThreads(BLAS.threadLimit)
        let a = Matrix(rows: n, cols: n, storage: (0..<(n * n)).map { Float($0 % 13) / 13 })
        let seconds = median(repeats: repeats) { _ = BLAS.matmul(a, a) }
        return 2 * Double(n * n * n) / seconds / 1e9
    }

    /// Probabilities of cached image embeddings against class embeddings: what the
    /// session redoes after every edit.
    private func scoringSeconds(images: Int, classes: Int, dimension: Int) -> Double {
        var state: UInt64 = 1
        func unitRows(_ n: Int) -> Matrix {
            var m = Matrix(zeros: n, dimension)
            for i in m.storage.indices {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                m.storage[i] = Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
            }
            return m.rowNormalized()
        }
        let x = unitRows(images)
        let w = unitRows(classes)
        // The cosines and the engine's one scoring of them (`SetScores`).
        return median { _ = SetScores(cosines: BLAS.matmul(x, w, transB: true), rule: .softmax(scale: 100)) }
    }

    private func median(_ body: () -> Void) -> Double { Self.median(repeats: repeats, body) }

    /// Median wall time of `repeats` runs after one warm-up run, seconds.
    public static func median(repeats: Int, _ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now()
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }
}
