/// The prompts `clip-tui bench` encodes by default: 4 templates × 8 labels, what a zero-shot
/// classifier encodes (8 to 12 tokens each).
public enum BenchmarkPrompts {
    public static let templates = [
        "a photo of a {}.", "a blurry photo of the {}.", "a close-up photo of a {}.",
        "itap of my {}."
    ]
    public static let labels = [
        "cat", "dog", "red circle", "blue square", "aeroplane", "traffic light",
        "golden retriever", "pickup truck"
    ]

    public static var texts: [String] {
        templates.flatMap { t in labels.map { t.replacingOccurrences(of: "{}", with: $0) } }
    }

    /// `texts` through CLIP's tokenizer, for `--random` runs that have no vocabulary files
    /// (the tests check them against the tokenizer).
    public static let ids: [[Int]] = {
        let templates: [[Int]] = [
            [320, 1125, 539, 320], [320, 21977, 1125, 539, 518],
            [320, 2660, 268, 705, 1125, 539, 320], [529, 2728, 539, 607]
        ]
        let labels: [[Int]] = [
            [2368], [1929], [736, 7117], [1746, 3999], [27735, 3980], [3399, 1395],
            [3878, 28394], [15382, 4629]
        ]
        return templates.flatMap { t in labels.map { [49406] + t + $0 + [269, 49407] } }
    }()
}
