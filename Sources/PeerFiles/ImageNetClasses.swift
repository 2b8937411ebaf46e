import Foundation

/// ImageNet-1k's classes by index: WordNet ids (sorted, torchvision's ImageFolder order)
/// and open_clip's English names (`IMAGENET_CLASSNAMES`). The tables are data
/// (`Resources/imagenet-classes.json`, written by scripts/make_imagenet_tables.py from
/// open_clip 3.3.0 and timm 1.0.31), compiled into the binary, so no file is looked up at
/// run time.
public enum ImageNetClasses {
    /// `n` and eight digits, as ImageNet's folders are named.
    public static func isWordNetID(_ s: String) -> Bool {
        s.utf8.count == 9 && s.hasPrefix("n") && s.utf8.dropFirst().allSatisfy { (0x30...0x39).contains($0) }
    }

    private struct Table: Decodable {
        let wordnetIDs: [String]
        let englishNames: [String]
        enum CodingKeys: String, CodingKey { case wordnetIDs = "wordnet_ids", englishNames = "english_names" }
    }

    /// The compiled-in table. It is the package's own data, checked by the tests (1,000
    /// entries each); were it ever unreadable, the rules that need it would find no
    /// ImageNet layout rather than stop the program.
    private static let table: Table =
        (try? JSONDecoder().decode(Table.self, from: Data(PackageResources.imagenet_classes_json)))
        ?? Table(wordnetIDs: [], englishNames: [])

    /// The 1,000 WordNet ids, by class index.
    public static var wordNetIDs: [String] { table.wordnetIDs }
    /// open_clip's 1,000 English names, by class index.
    public static var englishNames: [String] { table.englishNames }
}
