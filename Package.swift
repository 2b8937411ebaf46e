// swift-tools-version:6.0
import PackageDescription

// Layers, one way (every import follows these arrows):
//   C libraries (CBLAS, CPNG/CJPEG/CWebP/CGIF → CImageCodecs, CNcursesw, CTerminalGuard, CSentencePiece, CMalloc)
//   → InputLimits, FileWriting, UserPaths, Tensors, Digests
//   → SafeTensors, Tokenization, Imaging (on InputLimits)
//   → CLIP (the encoders), Hub (downloads);
//     ScoringCore (the math: scores, metrics, statistics, ensembles) → EmbeddingCache (SQLite)
//     and PeerFiles (label, template and export files, ImageNet's tables)
//     → Scoring (the one engine: no encoder, no terminal)
//   → TerminalUI (on Scoring; the only target that knows a terminal)
//   → clip-tui (the commands, which join the encoders to the engine).
let package = Package(
    name: "clip-tui",
    products: [
        .executable(name: "clip-tui", targets: ["clip-tui"]),
        .library(name: "CLIP", targets: ["CLIP"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0")
    ],
    targets: [
        // System libraries: each C library is seen by exactly one Swift file.
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(
            name: "CWebP", path: "Sources/CWebP", pkgConfig: "libwebpdemux",
            providers: [.apt(["libwebp-dev"])]),
        .systemLibrary(
            name: "CGIF", path: "Sources/CGIF", pkgConfig: "libgif",
            providers: [.apt(["libgif-dev"])]),
        // libpng and libjpeg report errors with longjmp, which Swift cannot call through:
        // this small C target catches them and returns a code and a message (libwebp and
        // giflib, which return codes, sit beside them so that every codec answers alike).
        .target(name: "CImageCodecs", dependencies: ["CPNG", "CJPEG", "CWebP", "CGIF"], path: "Sources/CImageCodecs"),

        // No pkg-config here: ncursesw.pc's cflags (-D_XOPEN_SOURCE=600) are flags SwiftPM
        // refuses with a warning; shim.h defines what the wide-character API needs instead.
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw", providers: [.apt(["libncursesw5-dev"])]),
        // glibc's mallopt, for the executable's allocator settings.
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        // SentencePiece is C++: a small C face (one opaque handle, no exceptions) for Swift.
        .target(
            name: "CSentencePiece", path: "Sources/CSentencePiece",
            linkerSettings: [.linkedLibrary("sentencepiece")]),
        // Our own C: a loop Swift compiles for baseline x86-64 only (SSE), built for AVX2 and
        // chosen at run time.
        .target(name: "CKernels", path: "Sources/CKernels"),
        .target(name: "Tensors", dependencies: ["CBLAS", "CKernels"]),
        // HOME, XDG and Hugging Face paths: the one reader of those variables.
        .target(name: "UserPaths"),
        // SHA-256 and SHA-1 digests as hex, one spelling for every module.
        .target(name: "Digests", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // Size and nesting limits checked on untrusted bytes before a parser allocates.
        .target(name: "InputLimits"),
        // Files replaced whole through a synced temporary file and a rename.
        .target(name: "FileWriting"),
        .target(name: "SafeTensors", dependencies: ["InputLimits", "CKernels"]),
        .target(name: "Tokenization", dependencies: ["InputLimits", "CSentencePiece"]),
        .target(name: "Imaging", dependencies: ["CImageCodecs", "InputLimits"]),
        .target(
            name: "CLIP",
            dependencies: [
                "Tensors", "SafeTensors", "InputLimits", "Tokenization", "Imaging", "Digests",
                .product(name: "Crypto", package: "swift-crypto")
            ]),
        // Fetching checkpoints from the Hugging Face Hub into its shared cache (URLSession).
        .target(name: "Hub", dependencies: ["InputLimits", "UserPaths", "FileWriting", "Digests", .product(name: "Crypto", package: "swift-crypto")]),
        // The pure math of zero-shot scoring: rules, scores, metrics, statistics, ensembles,
        // template effects and selection, label and template sets. No file, no database.
        .target(name: "ScoringCore", dependencies: ["Tensors"]),
        // The embedding cache: one SQLite file (GRDB).
        .target(
            name: "EmbeddingCache",
            dependencies: ["ScoringCore", "Digests", .product(name: "Crypto", package: "swift-crypto"), .product(name: "GRDB", package: "GRDB.swift")]),
        // clip-tui's and the peers' files: labels, templates, exports, .npy, open_clip's Python
        // metadata, and ImageNet's class tables (data a generator wrote).
        .target(
            name: "PeerFiles", dependencies: ["ScoringCore", "InputLimits", "FileWriting"],
            resources: [.embedInCode("Resources/imagenet-classes.json")]),
        // The one engine: knows no encoder and no terminal, only an EmbeddingProvider.
        .target(
            name: "Scoring",
            dependencies: [
                "ScoringCore", "EmbeddingCache", "PeerFiles", "Tensors", "InputLimits", "FileWriting", "Digests",
                .product(name: "Crypto", package: "swift-crypto")
            ]),
        // The front end: a pure reducer, views into a cell grid, and one curses driver file.
        // Puts the terminal back when the process dies of a crash signal (curses cannot).
        .target(name: "CTerminalGuard", path: "Sources/CTerminalGuard"),
        .target(name: "TerminalUI", dependencies: ["Scoring", "Tensors", "InputLimits", "FileWriting", "UserPaths", "CNcursesw", "CTerminalGuard"]),
        // What the commands measure and test with, out of the command files: the benchmarks
        // (encoders, the live replay), random weights of published shapes, and the terminal
        // tests' crash hook (only with CLIP_TUI_FAULT in the environment).
        .target(name: "Benchmarks", dependencies: ["CLIP", "Scoring", "Tensors", "Tokenization"]),
        .executableTarget(
            name: "clip-tui",
            dependencies: [
                "TerminalUI", "Benchmarks",
                "CLIP", "Imaging", "Tokenization", "Tensors", "Scoring", "Hub", "UserPaths", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ]),

        // Float tolerances derived from the arithmetic, shared by the test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"]),
        .testTarget(name: "UserPathsTests", dependencies: ["UserPaths"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "CKernels"]),
        .testTarget(name: "InputLimitsTests", dependencies: ["InputLimits"]),
        .testTarget(
            name: "TokenizationTests", dependencies: ["Tokenization"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "ImagingTests", dependencies: ["Imaging", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "CLIPTests",
            dependencies: [
                "CLIP", "SafeTensors", "Tokenization",
                .product(name: "Crypto", package: "swift-crypto")
            ],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "HubTests", dependencies: ["Hub", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "ScoringTests", dependencies: ["Scoring", "ScoringCore", "EmbeddingCache", "Tensors", "InputLimits", "TestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI", "Scoring", "Tensors"], resources: [.copy("Screens")]),
        .testTarget(
            name: "CLIToolTests", dependencies: ["clip-tui", "Benchmarks", "CLIP", "TestSupport", "TerminalUI"],
            exclude: ["Fixtures"])  // read from the source tree by path, as the binary reads them
    ],
    cxxLanguageStandard: .cxx17
)

// Fuzz targets (libFuzzer), only when asked for: `scripts/fuzz` builds them with
// CLIP_TUI_FUZZ=1 and `--sanitize fuzzer --sanitize address` into .build-fuzz.
// Each defines LLVMFuzzerTestOneInput; libFuzzer supplies main.
if Context.environment["CLIP_TUI_FUZZ"] != nil {
    let fuzzTargets: [(String, [Target.Dependency])] = [
        ("fuzz-safetensors", ["SafeTensors"]),
        ("fuzz-config", ["CLIP"]),
        ("fuzz-tokenizer", ["Tokenization"]),
        ("fuzz-png", ["ImageFuzzing"]),
        ("fuzz-jpeg", ["ImageFuzzing"]),
        ("fuzz-webp", ["ImageFuzzing"]),
        ("fuzz-gif", ["ImageFuzzing"]),
        ("fuzz-bmp", ["ImageFuzzing"]),
        ("fuzz-ppm", ["ImageFuzzing"]),
        ("fuzz-tar", ["Scoring"]),
        ("fuzz-prompt-files", ["PeerFiles", "ScoringCore"]),
        ("fuzz-session", ["TerminalUI"]),
        ("fuzz-hub-json", ["Hub"])
    ]
    // The image targets' shared body (a target per format, so each has its own corpus).
    package.targets.append(.target(name: "ImageFuzzing", dependencies: ["Imaging"], path: "Fuzz/ImageFuzzing"))
    for (name, dependencies) in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: name, dependencies: dependencies, path: "Fuzz/\(name)",
                swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
    }
}
