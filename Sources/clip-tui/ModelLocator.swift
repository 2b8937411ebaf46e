import CLIP
import Foundation
import Hub
import UserPaths

/// Finds a checkpoint folder from what a user types: a folder, or a Hugging Face Hub id
/// (`openai/clip-vit-base-patch32`) already in the Hub cache that Python tools fill.
public enum ModelLocator {
    public struct Located: Equatable, Sendable {
        public let folder: String
        /// Said to the user: where a default or a Hub id led.
        public let note: String?
    }

    /// The Hub cache: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`.
    public static func hubCache(environment env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        UserPaths(environment: env).hubCache
    }

    /// `models--ORG--NAME/snapshots/REV` for `refs/REVISION` (default main), or REVISION when
    /// it is a commit hash already there (the layout is `HubCacheLayout`'s).
    public static func snapshot(id: String, revision: String = "main", cache: String) -> String? {
        guard id.split(separator: "/").count == 2 else { return nil }
        return HubCacheLayout(cache: cache, repo: id).existingSnapshot(revision: revision)
    }

    /// The bundled demo model: `Models/clip-demo` in the working directory or beside the
    /// package that built this executable.
    public static func demoModel() -> String? {
        projectFile("Models/clip-demo/config.json").map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
    }

    /// The model in `folder`, CLIP or SigLIP as its config says; a CLIP folder without
    /// tokenizer files (many open_clip repositories) gets CLIP's BPE from the demo model,
    /// which carries OpenAI's vocabulary and merges.
    public static func loadModel(folder: String) throws -> any ImageTextModel {
        let demo = demoModel()
        do {
            return try CheckpointFolder.load(folder: folder, fallbackBPE: demo.map { CLIPModel.BPEFiles(folder: $0) })
        } catch CLIPError.missingFile(let path) where demo == nil && (path.hasSuffix("/vocab.json") || path.hasSuffix("/merges.txt")) {
            throw CLIPError.badInput(
                "\(folder) has no tokenizer files, and CLIP's own BPE (Models/clip-demo/vocab.json and merges.txt) was not found "
                    + "beside this executable or in the working directory: run clip-tui from the project, or copy those two files into \(folder)")
        }
    }

    /// A file of this project (`Models/…`, `Images/…`, `Prompts/…`): looked for in the working
    /// directory, then in the folders above the executable (`.build/release/clip-tui`).
    public static func projectFile(_ relative: String, executable: String = CommandLine.arguments.first ?? "") -> String? {
        var candidates = [FileManager.default.currentDirectoryPath]
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.path)
            dir = dir.deletingLastPathComponent()
        }
        for base in candidates {
            let path = URL(fileURLWithPath: base).appendingPathComponent(relative).relativePath
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    /// What `--model ARG` (or its absence) names: a folder, a Hub id in the cache,
    /// `$CLIP_TUI_MODEL`, or the demo model.
    public static func locate(
        _ argument: String?, environment env: [String: String] = ProcessInfo.processInfo.environment
    )
        throws -> Located
    {
        if let argument, !argument.isEmpty { return try locateNamed(argument, env: env, note: nil) }
        if let named = env["CLIP_TUI_MODEL"], !named.isEmpty {
            return try locateNamed(named, env: env, note: "model from CLIP_TUI_MODEL: \(named)")
        }
        guard let demo = demoModel() else {
            throw CLIPError.badInput("no model given: pass --model DIR|ORG/NAME or set CLIP_TUI_MODEL (the demo model Models/clip-demo was not found)")
        }
        return Located(folder: demo, note: "using the bundled demo model (\(demo)); --model or CLIP_TUI_MODEL picks another")
    }

    private static func locateNamed(_ name: String, env: [String: String], note: String?) throws -> Located {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: name, isDirectory: &isDirectory), isDirectory.boolValue {
            return Located(folder: name, note: note)
        }
        let (id, revision) = name.contains("@") ? (String(name.split(separator: "@")[0]), String(name.split(separator: "@")[1])) : (name, "main")
        let looksLikeHubId = id.split(separator: "/").count == 2 && !id.hasPrefix(".") && !id.hasPrefix("/")
        if looksLikeHubId {
            let cache = hubCache(environment: env)
            if let folder = snapshot(id: id, revision: revision, cache: cache) {
                return Located(folder: folder, note: note ?? "\(name) from the Hugging Face cache: \(folder)")
            }
            throw CLIPError.badInput(
                "\(name): no such folder, and not in the Hugging Face cache \(cache) (fetch it with `clip-tui fetch-model \(id)` or a Python tool)")
        }
        throw CLIPError.missingFile(path: name)
    }
}
