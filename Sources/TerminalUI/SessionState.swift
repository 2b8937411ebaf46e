import Scoring

/// The panes, in Tab order.
public enum Pane: String, CaseIterable, Sendable {
    case images, labels, templatesA, templatesB
    /// The selected image's classes, every one, most probable first (its cursor scrolls them).
    case scores

    public var title: String {
        switch self {
        case .images: return "Images"
        case .labels: return "Labels"
        case .templatesA: return "Templates A"
        case .templatesB: return "Templates B"
        case .scores: return "Scores"
        }
    }

    var isEditable: Bool { self != .images && self != .scores }
}


/// The document as it was before a change, with what the change was ("edit of template
/// 3 in A") and the pane it changed: undo says the first and focuses the second.
public struct UndoStep: Equatable, Sendable {
    public var document: SessionDocument
    public var what: String
    public var pane: Pane?
}

/// How the screen names an image order: its key, its direction, and whose figures (the
/// confidence and margin are set A's).
extension ImageSort {
    /// For the Images pane's title.
    var label: String {
        switch self {
        case .name: return "name"
        case .confidence: return "A's confidence ↓"
        case .margin: return "A's margin ↑"
        }
    }
    /// For the status line.
    var explanation: String {
        switch self {
        case .name: return "by file name, A to Z"
        case .confidence: return "by A's top probability, highest first"
        case .margin: return "by A's margin (top probability − the next), smallest first: the closest calls"
        }
    }
}

extension ImageFilter {
    /// What the Images pane says when the filter leaves no image.
    var emptyMessage: String {
        switch self {
        case .all: return "no images"
        case .wrongA: return "no images wrong under A"
        case .wrongB: return "no images wrong under B"
        case .flipped: return "no images flipped between A and B"
        }
    }
}

/// A question on the status line (the export path) being answered.
public struct Prompt: Equatable, Sendable {
    public enum Purpose: Equatable, Sendable {
        case exportPath, search
        /// A format that holds one set (.txt, .py, clip_benchmark): which one (A, B, or the
        /// best by top-1, for nil).
        case exportSet(path: String)
        /// clip_benchmark's dataset name, the key its files are looked up by.
        case exportDataset(path: String, set: Role?)
        /// A file or folder to open into a pane (images folder, labels, a template set).
        case open(Pane)
        /// A template set or a model to add as new candidates (`O` on the leaderboard).
        case addCandidate
    }
    public var purpose: Purpose
    public var label: String
    public var editor: LineEditor
    /// The text is a suggestion (a default path, the folder open now): the first key that
    /// types or deletes replaces it whole; a motion or Tab keeps it for editing.
    public var prefilled: Bool = false
}

/// The entries of a file that holds several (`FILE#KEY`), offered to choose from after `O`
/// named the file alone.
public struct Chooser: Equatable, Sendable {
    /// Where the chosen `FILE#KEY` goes: a pane's open, or the leaderboard's add.
    public enum Target: Equatable, Sendable { case open(Pane), addCandidate }
    public var path: String
    /// What the entries hold ("templates", "class names", …).
    public var what: String
    public var keys: [String]
    public var target: Target
    public var row = 0
    public init(path: String, what: String, keys: [String], target: Target) {
        self.path = path; self.what = what; self.keys = keys; self.target = target
    }
}

/// Everything the screen shows that is not a computed score.
public struct SessionState: Equatable, Sendable {
    public var document: SessionDocument
    public var focus: Pane = .templatesA
    /// Cursor row per pane (for images: a row of the visible, filtered and sorted list).
    public var rows: [Pane: Int] = [:]
    public var editing: LineEditor?
    /// The line as it was when editing began: what Esc puts back.
    public var editingOriginal: String?
    /// The undo stack's depth when the line edit began: Esc drops every step the edit
    /// pushed, so a cancelled edit leaves nothing behind to undo into.
    public var editUndoDepth: Int?
    public var prompt: Prompt?
    public var filter: ImageFilter = .all
    public var sort: ImageSort = .name
    public var showHelp = false
    /// A forward selection (`F`) is running: Esc cancels it.
    public var selecting = false
    /// The focused pane takes the whole body (`z`); Tab moves through the panes zoomed.
    public var zoom = false
    /// Images ranked by similarity to a text (`/`): the query and each image's cosine.
    public var search: ImageSearch?
    /// The prompts view (`p`): the real prompts of a template or a label.
    public var promptsView: PromptsView?
    /// The per-class view (`c`) is open, with its cursor row.
    public var classView: Int?
    /// The leaderboard view (`L`) is open, with its cursor row (rows in rank order).
    public var leaderboardView: Int?
    /// A file's entries to choose from (over every other view).
    public var chooser: Chooser?
    /// Only the images whose truth is this class (chosen in the per-class view).
    public var classFilter: String?
    /// The first help row shown (the overlay scrolls where the terminal is short).
    public var helpOffset = 0
    /// The status line. Every message also goes to the log (`m`); one that a later key
    /// makes stale (a move to another pane, an edit) is cleared by the reducer.
    public var status = "" {
        didSet {
            statusSerial &+= 1
            if !status.isEmpty, messages.last != status {
                messages.append(status)
                if messages.count > Self.messagesKept { messages.removeFirst(messages.count - Self.messagesKept) }
            }
        }
    }
    /// The last messages, oldest first.
    public private(set) var messages: [String] = []
    public static let messagesKept = 50
    /// Counts the status's changes: the reducer tells a message an action set from an older one.
    var statusSerial = 0
    public var undoStack: [UndoStep] = []
    public var redoStack: [UndoStep] = []
    /// The line being edited was just added (`a`, `o`): its typing joins the add's undo step.
    public var editJoinsLastStep = false
    public var quitting = false

    public init(document: SessionDocument) { self.document = document }

    public func row(_ pane: Pane) -> Int { rows[pane] ?? 0 }
    /// The pane shown alone, if any.
    public var zoomed: Pane? { zoom ? focus : nil }

    /// The editable lines of a pane.
    public func lines(_ pane: Pane) -> [String] {
        switch pane {
        case .images, .scores: return []
        case .labels: return document.labels
        case .templatesA: return document.templatesA
        case .templatesB: return document.templatesB
        }
    }

    mutating func setLines(_ pane: Pane, _ lines: [String]) {
        switch pane {
        case .images, .scores: break
        case .labels: document.labels = lines
        case .templatesA: document.templatesA = lines
        case .templatesB: document.templatesB = lines
        }
    }
}

/// The real prompts of one template (× every class name) or one label (× a set's
/// templates), with the token counts the model sees.
public struct PromptsView: Equatable, Sendable {
    public struct Row: Equatable, Sendable {
        public var prompt: String
        /// Tokens before truncation (start and end included); nil for a row that is not a
        /// prompt (the skipped-images list shares this view).
        public var tokens: Int?
        public var ids: [Int]
        public init(prompt: String, tokens: Int?, ids: [Int]) { self.prompt = prompt; self.tokens = tokens; self.ids = ids }
    }
    public var title: String
    public var rows: [Row]
    /// Where the model cuts a prompt (77 for CLIP), for the ⚠ marks.
    public var contextLength = 77
    public var offset = 0
    public var showIds = false
    public init(title: String, rows: [Row]) { self.title = title; self.rows = rows }
}
