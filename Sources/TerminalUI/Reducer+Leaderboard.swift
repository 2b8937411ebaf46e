import Scoring

/// The leaderboard view: every candidate (model × set) ranked; the two shown as A and B
/// are chosen here, sets and models are added here.
extension Reducer {
    static func leaderboard(_ s: inout SessionState, _ action: Action) -> [Effect]? {
        switch action {
        case .toggleLeaderboard:
            let effects = s.editing != nil ? commit(&s) : []
            s.leaderboardView = s.leaderboardView == nil ? 0 : nil
            if s.leaderboardView != nil { s.status = "a, b: make the candidate A or B · O adds a template set or a model · d removes a set" }
            return effects
        case let .moveLeaderboard(delta):
            s.leaderboardView = max(0, min(s.document.candidateCount - 1, (s.leaderboardView ?? 0) + delta))
            return []
        case let .chooseCandidate(role):
            return [.chooseCandidate(role)]  // rows are in the engine's rank order: the controller names the candidate
        case .removeCandidateSet:
            return [.removeCandidateSet]
        case let .showChooser(chooser):
            s.chooser = chooser
            s.status = "\(chooser.path) holds \(chooser.keys.count) entries of \(chooser.what): Enter opens the one under the cursor, Esc closes"
            return []
        case let .moveChooser(delta):
            guard var c = s.chooser else { return [] }
            c.row = max(0, min(c.keys.count - 1, c.row + delta))
            s.chooser = c
            return []
        case .closeChooser:
            s.chooser = nil
            s.status = "open cancelled"
            return []
        case .pickChoice:
            guard let c = s.chooser, c.keys.indices.contains(c.row) else { return [] }
            s.chooser = nil
            let path = c.path + "#" + c.keys[c.row]
            s.status = "opening \(path)…"
            switch c.target {
            case let .open(pane): return [.open(pane, path: path)]
            case .addCandidate: return [.addCandidate(path: path)]
            }
        case let .setPair(a, b):
            let count = s.document.candidateCount
            guard (0..<count).contains(a), (0..<count).contains(b) else { return [] }
            guard a != b else {
                s.status = "A and B must be two candidates"
                return []
            }
            guard (a, b) != (s.document.candidateA, s.document.candidateB) else { return [] }
            s.document.candidateA = a
            s.document.candidateB = b
            for p in [Pane.templatesA, .templatesB] { s.rows[p] = min(s.row(p), max(0, s.lines(p).count - 1)) }
            s.status = "A: \(describe(s.document, a)) · B: \(describe(s.document, b))"
            return [.rescore, .save]
        case let .removeSet(set):
            let name = s.document.sets.indices.contains(set) ? s.document.sets[set].name : "?"
            checkpoint(&s, "removal of the set \(name)")
            guard s.document.removeSet(set) else {
                s.undoStack.removeLast()
                s.status = "\(name) is A's or B's set: choose others as A and B first"
                return []
            }
            s.leaderboardView = min(s.leaderboardView ?? 0, s.document.candidateCount - 1)
            s.status = "removed the set \(name) (u undoes)"
            return [.rescore, .save]
        case let .addedSet(set, path):
            checkpoint(&s, "the set \(set.name) added")
            s.document.addSet(.init(name: set.name, lines: set.templates.map(\.text)))
            s.status =
                "added \(set.name) (\(set.templates.count) templates) from \(path): \(s.document.models.count) new candidate\(s.document.models.count == 1 ? "" : "s") (u undoes)"
            return [.rescore, .save]
        case let .addedModel(name):
            // Not an undo step: the model's images are embedded, and undo keeps models.
            s.document.addModel(name)
            s.status = "added the model \(name): \(s.document.sets.count) new candidates"
            return [.rescore, .save]
        default: return nil
        }
    }

    /// "model · set" or the set alone with one model.
    static func describe(_ d: SessionDocument, _ c: Int) -> String {
        let (m, set) = d.candidate(c)
        let name = d.sets[set].name
        guard d.models.count > 1 else { return name }
        let model = d.models[m].map(CandidateBoard.shortName) ?? "default model"
        return "\(model) · \(name)"
    }
}
