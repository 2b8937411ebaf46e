import CLIP
import Foundation

/// `config.json` and `open_clip_config.json`: any bytes through the three loaders and their
/// validation (open_clip's maps `model_cfg` and `preprocess_cfg` and refuses by name;
/// SigLIP's reads `model_type`, both towers and refuses NaFlex by name).
let path = "/dev/shm/clip-tui-fuzz-\(getpid())-config.json"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    _ = try? CLIPConfig.load(path: path)
    if let openCLIP = try? OpenCLIPConfig.load(path: path) {
        // What the encoders rely on holds for anything the reader accepts.
        precondition(openCLIP.clip.visionConfig.imageSize % openCLIP.clip.visionConfig.patchSize == 0)
        precondition(openCLIP.preprocessor.cropSize == openCLIP.clip.visionConfig.imageSize)
    }
    if let siglip = try? SigLIPConfig.load(path: path) {
        precondition(siglip.visionConfig.imageSize >= siglip.visionConfig.patchSize && siglip.patchCount > 0)
        precondition(siglip.projectionSize == siglip.visionConfig.hiddenSize)
        precondition(siglip.textConfig.hiddenSize % siglip.textConfig.numAttentionHeads == 0)
    }
    return 0
}
