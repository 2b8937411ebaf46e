/// Something about a label set and template set that would silently skew the scores.
public enum PromptIssue: Hashable, Sendable, CustomStringConvertible {
    case classWithoutPrompts(className: String)
    case templateWithoutPlaceholder(template: String)
    case truncated(prompt: String, tokens: Int, contextLength: Int)
    case duplicate(prompt: String, sameAs: String)

    public var description: String {
        switch self {
        case let .classWithoutPrompts(c): return "class '\(c)' has no prompt"
        case let .templateWithoutPlaceholder(t): return "template '\(t)' has no {} placeholder: it would give every class the same prompt, so it is left out"
        case let .truncated(p, n, context): return "prompt '\(p)' is \(n) tokens; the model reads \(context), the rest is cut"
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
    /// Where each duplicate came from, for `summary`: (class, template) of both prompts.
    private var duplicateOrigins: [(prompt: String, other: String, at: (Int, Int?), otherAt: (Int, Int?))] = []
    private let templateTexts: [String]

    public init(
        labels: LabelSet, templates: TemplateSet, tokenize: ((String) -> (ids: [Int], untruncatedCount: Int))? = nil,
        contextLength: Int = 77
    ) {
        var prompts: [[String]] = []
        var origin: [[Int?]] = []
        var issues: [PromptIssue] = []
        for t in templates.templates where !t.hasPlaceholder {
            issues.append(.templateWithoutPlaceholder(template: t.text))
        }
        for c in labels.classes {
            let made = c.promptOrigins(templates.templates)
            let list = made.map(\.prompt), from = made.map(\.template)
            if list.isEmpty { issues.append(.classWithoutPrompts(className: c.name)) }
            prompts.append(list)
            origin.append(from)
        }
        var duplicates: [(prompt: String, other: String, at: (Int, Int?), otherAt: (Int, Int?))] = []
        if let tokenize {
            var seen: [[Int]: (String, (Int, Int?))] = [:]
            for (c, list) in prompts.enumerated() {
                for (k, p) in list.enumerated() {
                    let t = tokenize(p)
                    if t.untruncatedCount > contextLength { issues.append(.truncated(prompt: p, tokens: t.untruncatedCount, contextLength: contextLength)) }
                    if let (other, otherAt) = seen[t.ids] {
                        issues.append(.duplicate(prompt: p, sameAs: other))
                        duplicates.append((p, other, (c, origin[c][k]), otherAt))
                    } else {
                        seen[t.ids] = (p, (c, origin[c][k]))
                    }
                }
            }
        }
        self.duplicateOrigins = duplicates
        self.templateTexts = templates.templates.map(\.text)
        self.prompts = prompts
        self.templateOfPrompt = origin
        self.issues = uniqued(issues)
    }

    public var allPrompts: [String] { Array(prompts.joined()) }

    /// The issues as a few lines, one per cause, each naming the file at fault (`labels` or
    /// `templates`): a thousand classes with a repeated template give one line, not a
    /// thousand. Class names that repeat are left to `LabelSet.repeatedNames`, which the
    /// caller says once.
    public func summary(labels: String, templates: String, contextLength: Int = 77) -> [String] {
        var lines: [String] = []
        /// The first three, and how many more.
        func listed(_ items: [String]) -> String {
            let shown = items.prefix(3).joined(separator: ", ")
            return items.count > 3 ? shown + " and \(items.count - 3) more" : shown
        }
        func quoted(_ items: [String]) -> String { listed(items.map { "'\($0)'" }) }
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }

        let noPlaceholder = issues.compactMap { if case let .templateWithoutPlaceholder(t) = $0 { return t } else { return nil } }
        if !noPlaceholder.isEmpty {
            lines.append(
                "\(templates): \(plural(noPlaceholder.count, "template")) without a {} placeholder left out (each would give every class the same prompt): \(quoted(noPlaceholder))"
            )
        }
        let empty = issues.compactMap { if case let .classWithoutPrompts(c) = $0 { return c } else { return nil } }
        if !empty.isEmpty { lines.append("\(labels): \(plural(empty.count, "class")) without a prompt: \(quoted(empty))") }

        var repeatedTemplates: [String] = [], sameToTokenizer: [String] = [], namesSameToTokenizer: [String] = []
        var repeatedSentences: [String] = []
        var seenPairs = Set<String>()
        for d in duplicateOrigins {
            let (c, t) = d.at, (oc, ot) = d.otherAt
            if let t, let ot {
                if c == oc, t != ot {
                    // Two templates give the same prompt for this class: the file's fault, once per pair.
                    let a = templateTexts[ot], b = templateTexts[t]
                    guard seenPairs.insert(a + "\u{0}" + b).inserted else { continue }
                    if a == b { repeatedTemplates.append(b) } else { sameToTokenizer.append("'\(b)' = '\(a)'") }
                } else if c != oc, t == ot, d.prompt != d.other {
                    // One template, two classes whose names CLIP reads alike ("Cat", "cat").
                    guard seenPairs.insert("\(oc)\u{0}\(c)").inserted else { continue }
                    namesSameToTokenizer.append("'\(d.prompt)' = '\(d.other)'")
                }
                // The same text from two classes: repeated class names, said by the caller.
            } else if c == oc || d.prompt != d.other {
                repeatedSentences.append("'\(d.prompt)'")
            }
        }
        if !repeatedTemplates.isEmpty {
            lines.append(
                "\(templates): \(plural(repeatedTemplates.count, "repeated template")), whose prompts count twice in each class's average: \(quoted(repeatedTemplates))"
            )
        }
        if !sameToTokenizer.isEmpty {
            lines.append(
                "\(templates): \(plural(sameToTokenizer.count, "template pair")) differing only in what the model's tokenizer drops (case, spacing; for SigLIP also punctuation), count twice: \(listed(sameToTokenizer))"
            )
        }
        if !namesSameToTokenizer.isEmpty {
            lines.append(
                "\(labels): \(plural(namesSameToTokenizer.count, "class pair")) differing only in what the model's tokenizer drops (case, spacing; for SigLIP also punctuation), get the same prompts: \(listed(namesSameToTokenizer))"
            )
        }
        if !repeatedSentences.isEmpty {
            lines.append(
                "\(labels): \(plural(repeatedSentences.count, "repeated class sentence")) (each repeat counts again in its class's average): \(listed(repeatedSentences))"
            )
        }
        let cut = issues.compactMap { if case let .truncated(p, n, _) = $0 { return (p, n) } else { return nil } }
        if let longest = cut.max(by: { $0.1 < $1.1 }) {
            lines.append(
                "\(plural(cut.count, "prompt")) over \(contextLength) tokens are cut to \(contextLength) (the longest, \(longest.1) tokens: '\(longest.0.prefix(60))…'); from \(templates) and \(labels)"
            )
        }
        return lines
    }
}
