/// Something about a label set and template set that would silently skew the scores.
public enum PromptIssue: Hashable, Sendable, CustomStringConvertible {
    case classWithoutPrompts(className: String)
    case templateWithoutPlaceholder(template: String)
    case truncated(prompt: String, tokens: Int)
    case duplicate(prompt: String, sameAs: String)

    public var description: String {
        switch self {
        case let .classWithoutPrompts(c): return "class '\(c)' has no prompt"
        case let .templateWithoutPlaceholder(t): return "template '\(t)' has no {} placeholder: it would give every class the same prompt, so it is left out"
        case let .truncated(p, n): return "prompt '\(p)' is \(n) tokens; the model reads 77, the rest is cut"
        case let .duplicate(p, other): return "prompt '\(p)' tokenizes the same as '\(other)'"
        }
    }
}

/// The prompts of every class: each name (and synonym) in each template, or the class's
/// own sentences; with the issues found on the way.
public struct PromptPlan: Sendable {
    /// Prompts per class, in class order.
    public let prompts: [[String]]
    /// For each class, which template made each prompt (nil for a class's own sentence).
    public let templateOfPrompt: [[Int?]]
    public let issues: [PromptIssue]

    public init(labels: LabelSet, templates: TemplateSet, tokenize: ((String) -> (ids: [Int], untruncatedCount: Int))? = nil,
                contextLength: Int = 77) {
        var prompts: [[String]] = []
        var origin: [[Int?]] = []
        var issues: [PromptIssue] = []
        for t in templates.templates where !t.hasPlaceholder {
            issues.append(.templateWithoutPlaceholder(template: t.text))
        }
        for c in labels.classes {
            var list: [String] = []
            var from: [Int?] = []
            if !c.sentences.isEmpty {
                list = c.sentences
                from = Array(repeating: nil, count: list.count)
            } else {
                // A template without a placeholder is left out: it would add the same prompt
                // to every class (and while one is being typed, it would swing the scores).
                for (ti, t) in templates.templates.enumerated() where t.hasPlaceholder {
                    for name in c.names { list.append(t.render(name)); from.append(ti) }
                }
            }
            if list.isEmpty { issues.append(.classWithoutPrompts(className: c.name)) }
            prompts.append(list)
            origin.append(from)
        }
        if let tokenize {
            var seen: [[Int]: String] = [:]
            for p in prompts.joined() {
                let t = tokenize(p)
                if t.untruncatedCount > contextLength { issues.append(.truncated(prompt: p, tokens: t.untruncatedCount)) }
                if let other = seen[t.ids] {
                    issues.append(.duplicate(prompt: p, sameAs: other))
                } else {
                    seen[t.ids] = p
                }
            }
        }
        self.prompts = prompts
        self.templateOfPrompt = origin
        self.issues = uniqued(issues)
    }

    public var allPrompts: [String] { Array(prompts.joined()) }
}

/// Order-keeping de-duplication.
private func uniqued<T: Hashable>(_ items: [T]) -> [T] {
    var seen = Set<T>()
    return items.filter { seen.insert($0).inserted }
}
