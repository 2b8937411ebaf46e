import ScoringCore

/// Truth by name: an image's class is a name (its folder, a truth file's entry), matched
/// against the labels as they are now, so that no class index outlives a label edit.
extension LabelSet {
    /// For each name, the first class whose name or synonym matches it (ignoring case,
    /// spaces, `_` and `-`); nil for no name or a name no class has.
    ///
    /// ImageNet's own names reach a class through its ImageNet index: a WordNet-id folder
    /// (`n01440764`) and open_clip's English name find the class whose `imagenetIndex` is
    /// theirs (Babel-ImageNet), or, in a list of exactly 1,000 classes without indices,
    /// the class at that position (`wordNetRule` says which).
    public func truthIndices(_ names: [String?]) -> [Int?] {
        var index: [String: Int] = [:]
        for (c, label) in classes.enumerated() {
            for name in label.names { index[ClassLabel.key(name)] = index[ClassLabel.key(name)] ?? c }
        }
        // Second, so that a class's own names win over another's ImageNet aliases.
        for (c, imagenet) in imagenetPositions {
            index[ClassLabel.key(ImageNetClasses.wordNetIDs[imagenet])] = index[ClassLabel.key(ImageNetClasses.wordNetIDs[imagenet])] ?? c
            if hasImageNetIndices {
                index[ClassLabel.key(ImageNetClasses.englishNames[imagenet])] = index[ClassLabel.key(ImageNetClasses.englishNames[imagenet])] ?? c
            }
        }
        var memo: [String: Int?] = [:]
        return names.map { name in
            guard let name else { return nil }
            if let known = memo[name] { return known }
            let found = index[ClassLabel.key(name)]
            memo[name] = found
            return found
        }
    }

    private var hasImageNetIndices: Bool { classes.contains { $0.imagenetIndex != nil } }

    /// (class, ImageNet index) for the classes that have one.
    private var imagenetPositions: [(Int, Int)] {
        if hasImageNetIndices { return classes.enumerated().compactMap { c, l in l.imagenetIndex.map { (c, $0) } } }
        if classes.count == ImageNetClasses.wordNetIDs.count { return (0..<classes.count).map { ($0, $0) } }
        return []
    }

    /// How WordNet-id folders find their class, in words; nil when they cannot.
    public var wordNetRule: String? {
        if hasImageNetIndices { return "WordNet-id and English folder names → the classes' own ImageNet indices" }
        if classes.count == ImageNetClasses.wordNetIDs.count {
            return "WordNet-id folders → class index by ImageNet-1k's sorted synsets (torchvision's ImageFolder order)"
        }
        return nil
    }

    /// Names that more than one class uses, in order of first use: kept as they are (a
    /// repeated class is a class), but said, since the truth can only match the first.
    public var repeatedNames: [String] {
        var seen: [String: Int] = [:], repeated: [String] = []
        for label in classes {
            for name in Set(label.names.map(ClassLabel.key)) {
                seen[name, default: 0] += 1
                if seen[name] == 2 { repeated.append(label.names.first { ClassLabel.key($0) == name } ?? name) }
            }
        }
        return repeated
    }
}
