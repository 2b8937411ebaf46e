/// A rectangle of cells.
public struct Rect: Equatable, Sendable {
    /// Top-left corner and size, in terminal cells.
    public var x, y, width, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) { self.x = x; self.y = y; self.width = width; self.height = height }
    /// Whether the cell (`px`, `py`) lies inside.
    public func contains(_ px: Int, _ py: Int) -> Bool { px >= x && px < x + width && py >= y && py < y + height }
}

/// Where each part of the screen goes for a terminal size.
///
/// Two arrangements. With the preview: three columns (images and labels; templates A and B;
/// the preview over the scores). Without it: two columns, the templates on the right at 48
/// columns at least, so that a 33-character template and its figures ("13t 100% -17") fit
/// whole at 80 columns; the scores go under the images. The preview shows by default from
/// 120 columns, where the templates keep their 48 columns beside it; `v` overrides that
/// (kept in the session file). A zoomed pane (`z`) takes the whole body.
public struct Layout: Equatable, Sendable {
    /// The smallest terminal the panes fit in; below it the screen says so.
    public static let minimumWidth = 80
    /// The fewest rows the panes fit in.
    public static let minimumHeight = 24
    /// From this width the preview shows unless the user hid it.
    public static let previewWidth = 120
    /// A 33-character template, a space, its figures (up to 12: "13t 100% -17") and the frame.
    static let templatesWidth = 48

    /// The header row.
    public let title: Rect
    public private(set) var panes: [Pane: Rect]
    /// The selected image's picture (nil: hidden, or a pane is zoomed).
    public let preview: Rect?
    /// The selected image's class probabilities under A and B (nil: another pane is zoomed).
    public var scores: Rect? { panes[.scores] }
    /// The figures of A and B and their comparison.
    public let summary: Rect
    /// The status line at the bottom.
    public let status: Rect

    /// Whether the preview shows at this width: the user's choice, else from `previewWidth`.
    public static func showsPreview(width: Int, choice: Bool?) -> Bool { choice ?? (width >= previewWidth) }

    /// nil when the terminal is below the minimum size.
    /// - Parameters:
    ///   - preview: the user's choice (`v`); nil: shown from `previewWidth` columns.
    ///   - zoomed: the pane that takes the whole body, if any.
    public init?(width: Int, height: Int, preview: Bool? = nil, zoomed: Pane? = nil) {
        guard width >= Self.minimumWidth, height >= Self.minimumHeight else { return nil }
        title = Rect(x: 0, y: 0, width: width, height: 1)
        summary = Rect(x: 0, y: height - 2, width: width, height: 1)
        status = Rect(x: 0, y: height - 1, width: width, height: 1)
        let top = 1, body = height - 3
        if let zoomed {
            panes = [zoomed: Rect(x: 0, y: top, width: width, height: body)]
            self.preview = nil
            return
        }
        if Self.showsPreview(width: width, choice: preview) {
            // Below 120 columns (the preview asked for) the right column takes a larger
            // share, so that the Scores pane keeps 12 cells for a class name.
            let left = width * 30 / 100, middle = width * (width < Self.previewWidth ? 32 : 40) / 100
            let right = width - left - middle
            let imagesHeight = body * 3 / 5, aHeight = body / 2
            let previewHeight = min(body / 2, right / 2 + 2)
            panes = [
                .images: Rect(x: 0, y: top, width: left, height: imagesHeight),
                .labels: Rect(x: 0, y: top + imagesHeight, width: left, height: body - imagesHeight),
                .templatesA: Rect(x: left, y: top, width: middle, height: aHeight),
                .templatesB: Rect(x: left, y: top + aHeight, width: middle, height: body - aHeight),
                .scores: Rect(x: left + middle, y: top + previewHeight, width: right, height: body - previewHeight)
            ]
            self.preview = Rect(x: left + middle, y: top, width: right, height: previewHeight)
        } else {
            let right = max(Self.templatesWidth, width * 45 / 100), left = width - right
            // The images over the selected image's scores over the labels; A over B.
            let imagesHeight = body * 3 / 7, scoresHeight = body * 2 / 7, aHeight = (body + 1) / 2
            panes = [
                .images: Rect(x: 0, y: top, width: left, height: imagesHeight),
                .scores: Rect(x: 0, y: top + imagesHeight, width: left, height: scoresHeight),
                .labels: Rect(x: 0, y: top + imagesHeight + scoresHeight, width: left, height: body - imagesHeight - scoresHeight),
                .templatesA: Rect(x: left, y: top, width: right, height: aHeight),
                .templatesB: Rect(x: left, y: top + aHeight, width: right, height: body - aHeight)
            ]
            self.preview = nil
        }
    }

    /// The layout the state asks for: its preview choice and zoomed pane.
    public init?(width: Int, height: Int, state: SessionState) {
        self.init(width: width, height: height, preview: state.document.showPreview, zoomed: state.zoomed)
    }

    /// The pane under a screen position.
    public func pane(at x: Int, _ y: Int) -> Pane? {
        panes.first { $0.value.contains(x, y) }?.key
    }
}
