import ArgumentParser
import CLIP
import Foundation
import Tensors

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode", abstract: "Image and text embeddings from a checkpoint (JSON).")

    @Option(help: "Checkpoint folder (Hugging Face CLIPModel or SiglipModel, or open_clip layout); default: $CLIP_TUI_MODEL, else the demo model.") var model:
        String?
    @Option(name: .customLong("image"), help: "An image file (PNG, JPEG, WebP, GIF, BMP, PPM/PGM/PBM); repeat for more.") var images: [String] = []
    @Option(name: .customLong("text"), help: "A text; repeat for more.") var texts: [String] = []
    @Option(help: "A file of texts, one per line.") var textsFile: String?
    @Flag(help: "L2-normalise the embeddings.") var normalize = false
    @Option(help: "Output format.") var format: OutputFormat = .json
    @Option(help: "Most BLAS threads a product may use (default: $CLIP_TUI_THREADS, else the cores this process may use).")
    var threads: Int?

    struct Output: Encodable {
        let model: String
        let logit_scale: Float
        /// SigLIP's: logits are `logit_scale · cos + logit_bias`, each through a sigmoid (absent for CLIP).
        let logit_bias: Float?
        let images: [ImageEntry]
        let texts: [TextEntry]
    }

    struct ImageEntry: Encodable {
        let path: String
        let embedding: [Float]
    }

    struct TextEntry: Encodable {
        let text: String
        let tokens: [Int]
        let truncated: Bool
        let embedding: [Float]
    }

    func run() throws {
        try reportingErrors {
            BLAS.threadLimit = resolvedThreads(threads)
            var allTexts = texts
            if let textsFile { allTexts += try TextsFile.read(path: textsFile) }
            let located = try ModelLocator.locate(model)
            if let note = located.note, model == nil { warn(note) }
            let clip = try ModelLocator.loadModel(folder: located.folder)
            var imageEmbeddings = try clip.encodeImageFiles(images)
            var textEmbeddings = try clip.encodeTexts(allTexts)
            if normalize {
                imageEmbeddings = imageEmbeddings.rowNormalized()
                textEmbeddings = textEmbeddings.rowNormalized()
            }
            let output = Output(
                model: model ?? located.folder, logit_scale: clip.logitScale, logit_bias: clip.logitBias,
                images: images.enumerated().map { ImageEntry(path: $1, embedding: imageEmbeddings.row($0)) },
                texts: allTexts.enumerated().map { i, text in
                    let t = clip.tokenize(text)
                    return TextEntry(text: text, tokens: t.ids, truncated: t.isTruncated, embedding: textEmbeddings.row(i))
                })
            try printJSON(output)
        }
    }
}
