// The engine's layers below it, seen through `import Scoring` by the front end, the
// commands and the tests: the math, the cache and the files are modules of their own so
// that their dependencies stay visible, and one import still reaches the engine's types.
@_exported import EmbeddingCache
@_exported import PeerFiles
@_exported import ScoringCore
