import Scoring

/// Focus, cursor moves, the image filter and sort: nothing here changes the document.
extension Reducer {
    static func navigate(_ s: inout SessionState, _ action: Action, _ imageCount: Int) -> [Effect]? {
        switch action {
        case .focusNext, .focusPrevious, .focus:
            let effects = s.editing != nil ? commit(&s) : []
            let all = Pane.allCases
            let i = all.firstIndex(of: s.focus)!
            switch action {
            case .focusNext: s.focus = all[(i + 1) % all.count]
            case .focusPrevious: s.focus = all[(i + all.count - 1) % all.count]
            case let .focus(p): s.focus = p
            default: break
            }
            return effects
        case let .move(delta):
            guard s.editing == nil else { return [] }
            setRow(&s, s.focus, s.row(s.focus) + delta, imageCount)
            return s.focus == .images ? [.save] : []
        case .moveToTop:
            guard s.editing == nil else { return [] }
            setRow(&s, s.focus, 0, imageCount)
            return []
        case .moveToBottom:
            guard s.editing == nil else { return [] }
            setRow(&s, s.focus, Int.max / 2, imageCount)
            return []
        case let .scroll(pane, delta):
            guard s.editing == nil else { return [] }
            setRow(&s, pane, s.row(pane) + delta, imageCount)
            return pane == .images ? [.save] : []
        case let .selectRow(pane, row):
            let effects = s.editing != nil ? commit(&s) : []
            s.focus = pane
            setRow(&s, pane, row, imageCount)
            return effects
        case .cycleFilter:
            let all = ImageFilter.allCases
            s.filter = all[(all.firstIndex(of: s.filter)! + 1) % all.count]
            s.status = "showing: \(s.filter.rawValue) (f: next filter)"
            return [.followCursors]  // the same image, if the new list has it
        case .cycleSort:
            let all = ImageSort.allCases
            s.sort = all[(all.firstIndex(of: s.sort)! + 1) % all.count]
            s.status = "images sorted \(s.sort.explanation) (S: next order)"
            return [.followCursors]
        default: return nil
        }
    }
}
