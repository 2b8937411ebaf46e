import Foundation

/// Where clip-tui's files and the files it shares with Python tools live, found as terminal
/// tools find them: `HOME` (Foundation on Linux reads the password database for root and
/// ignores `HOME`, so it comes second), the XDG base directories, and the Hugging Face
/// variables as huggingface_hub reads them. The one owner of these variables.
public struct UserPaths: Sendable {
    /// The variables the paths are derived from.
    public let environment: [String: String]

    /// Paths for `environment` (the process's own by default; tests pass their own).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    private func variable(_ name: String) -> String? {
        environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `$HOME`, else the account's home directory.
    public var home: String { variable("HOME") ?? NSHomeDirectory() }
    /// `$XDG_CACHE_HOME`, else `~/.cache`.
    public var cacheHome: String { variable("XDG_CACHE_HOME") ?? home + "/.cache" }
    /// `$XDG_STATE_HOME`, else `~/.local/state`.
    public var stateHome: String { variable("XDG_STATE_HOME") ?? home + "/.local/state" }

    /// The embedding cache: `$CLIP_TUI_CACHE`, else `clip-tui/embeddings.sqlite` in the cache home.
    public var embeddingCache: String { variable("CLIP_TUI_CACHE") ?? cacheHome + "/clip-tui/embeddings.sqlite" }
    /// The autosaved session: `clip-tui/session.json` in the state home.
    public var sessionFile: String { stateHome + "/clip-tui/session.json" }

    /// `$HF_HOME`, else `huggingface` in the cache home (huggingface_hub's rule).
    public var huggingFaceHome: String { variable("HF_HOME") ?? cacheHome + "/huggingface" }
    /// The Hub cache: `$HF_HUB_CACHE`, else `$HF_HOME/hub`.
    public var hubCache: String { variable("HF_HUB_CACHE") ?? huggingFaceHome + "/hub" }
    /// The token `huggingface-cli login` writes: `$HF_TOKEN_PATH`, else `$HF_HOME/token`.
    public var hubTokenFile: String { variable("HF_TOKEN_PATH") ?? huggingFaceHome + "/token" }
}
