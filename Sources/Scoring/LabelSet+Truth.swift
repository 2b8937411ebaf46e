/// Truth by name: an image's class is a name (its folder, a truth file's entry), matched
/// against the labels as they are now, so that no class index outlives a label edit.
extension LabelSet {
    /// For each name, the first class whose name or synonym matches it (ignoring case,
    /// spaces, `_` and `-`); nil for no name or a name no class has.
    public func truthIndices(_ names: [String?]) -> [Int?] {
        var index: [String: Int] = [:]
        for (c, label) in classes.enumerated() {
            for name in label.names { index[ClassLabel.key(name)] = index[ClassLabel.key(name)] ?? c }
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
