/// A rectangle of cells.
public struct Rect: Equatable, Sendable {
    /// Top-left corner and size, in terminal cells.
    public var x, y, width, height: Int
    /// Whether the cell (`px`, `py`) lies inside.
    public func contains(_ px: Int, _ py: Int) -> Bool { px >= x && px < x + width && py >= y && py < y + height }
}

/// Where each part of the screen goes for a terminal size.
public struct Layout: Equatable, Sendable {
    /// The smallest terminal the panes fit in; below it the screen says so.
    public static let minimumWidth = 80
    /// The fewest rows the panes fit in.
    public static let minimumHeight = 24

    /// The header row.
    public let title: Rect
    public private(set) var panes: [Pane: Rect]
    /// The selected image's picture.
    public let preview: Rect
    /// The selected image's class probabilities under A and B.
    public let scores: Rect
    /// The figures of A and B and their comparison.
    public let summary: Rect
    /// The status line at the bottom.
    public let status: Rect

    /// nil when the terminal is below the minimum size.
    public init?(width: Int, height: Int) {
        guard width >= Self.minimumWidth, height >= Self.minimumHeight else { return nil }
        title = Rect(x: 0, y: 0, width: width, height: 1)
        let bodyTop = 1, bodyHeight = height - 3
        // Below 110 columns the right column takes a larger share, so that the Scores pane
        // keeps 12 cells for a class name beside its figures.
        let left = width * (width < 110 ? 30 : 34) / 100, middle = width * (width < 110 ? 32 : 36) / 100
        let right = width - left - middle
        let imagesHeight = bodyHeight * 3 / 5
        let aHeight = bodyHeight / 2
        panes = [
            .images: Rect(x: 0, y: bodyTop, width: left, height: imagesHeight),
            .labels: Rect(x: 0, y: bodyTop + imagesHeight, width: left, height: bodyHeight - imagesHeight),
            .templatesA: Rect(x: left, y: bodyTop, width: middle, height: aHeight),
            .templatesB: Rect(x: left, y: bodyTop + aHeight, width: middle, height: bodyHeight - aHeight)
        ]
        let previewHeight = min(bodyHeight / 2, right / 2 + 2)
        preview = Rect(x: left + middle, y: bodyTop, width: right, height: previewHeight)
        scores = Rect(x: left + middle, y: bodyTop + previewHeight, width: right, height: bodyHeight - previewHeight)
        panes[.scores] = scores
        summary = Rect(x: 0, y: height - 2, width: width, height: 1)
        status = Rect(x: 0, y: height - 1, width: width, height: 1)
    }

    /// The pane under a screen position.
    public func pane(at x: Int, _ y: Int) -> Pane? {
        panes.first { $0.value.contains(x, y) }?.key
    }
}
