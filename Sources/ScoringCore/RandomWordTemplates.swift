import Foundation

/// WaffleCLIP's control (Roth et al., 2023): templates padded with random words. A template
/// set that does not beat these is not better than noise.
public enum RandomWordTemplates {
    /// `count` templates "a photo of a {}, which has WORD WORD.", words drawn from `words`.
    public static func make(count: Int, words: [String], seed: UInt64 = 11) -> TemplateSet {
        var rng = SplitMix64(seed: seed)
        let pool = words.isEmpty ? ["thing"] : words
        let templates = (0..<count).map { _ in
            Template("a photo of a {}, which has \(pool.randomElement(using: &rng)!) \(pool.randomElement(using: &rng)!).")
        }
        return TemplateSet(name: "random-words", templates: templates)
    }

    /// A fixed list of ordinary English words, so the control needs no vocabulary file.
    public static let words = """
        apple river stone paper window garden silver engine pocket ladder candle forest mirror basket \
        thunder pencil orange blanket kettle marble feather copper meadow bridge lantern violin saddle \
        harbor pepper tunnel crystal velvet canyon walnut button ribbon island rocket shadow pillow \
        compass anchor falcon tomato quartz jungle helmet puzzle glacier trumpet
        """.split(separator: " ").map(String.init)
}
