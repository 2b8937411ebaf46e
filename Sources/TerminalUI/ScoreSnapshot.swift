import Foundation
import Scoring
import Tensors

/// What the engine computed for one version of the labels and templates: everything the
/// screen shows that is a number.
public struct ScoreSnapshot: Sendable {
    public struct ImageRow: Sendable {
        public init(path: String, name: String, truth: Int?, probsA: [Float], probsB: [Float], predA: Int?, predB: Int?) {
            self.path = path; self.name = name; self.truth = truth
            self.probsA = probsA; self.probsB = probsB; self.predA = predA; self.predB = predB
        }

        public let path: String
        public let name: String
        public let truth: Int?
        public let probsA: [Float]
        public let probsB: [Float]
        public let predA: Int?
        public let predB: Int?
        public var rightA: Bool? { truth.map { $0 == predA } }
        public var rightB: Bool? { truth.map { $0 == predB } }
        /// Top probability under A, and its lead over the second.
        public var confidenceA: Float { probsA.max() ?? 0 }
        public var marginA: Float {
            let s = probsA.sorted(by: >)
            return s.count > 1 ? s[0] - s[1] : (s.first ?? 0)
        }
    }

    public struct TemplateRow: Sendable {
        public init(tokens: Int, warning: String?, accuracy: Double?, leaveOneOut: Double?) {
            self.tokens = tokens; self.warning = warning; self.accuracy = accuracy; self.leaveOneOut = leaveOneOut
        }

        public let tokens: Int
        public let warning: String?
        public let accuracy: Double?
        public let leaveOneOut: Double?
    }

    public let generation: Int
    public let classNames: [String]
    public let images: [ImageRow]
    public let metricsA: Metrics?
    public let metricsB: Metrics?
    public let comparison: ABComparison?
    public let templatesA: [TemplateRow]
    public let templatesB: [TemplateRow]
    public let seconds: Double

    /// A snapshot from given rows, without metrics (screen tests).
    public init(testGeneration generation: Int, classNames: [String], images: [ImageRow],
                templatesA: [TemplateRow], templatesB: [TemplateRow]) {
        self.init(generation: generation, classNames: classNames, images: images, metricsA: nil, metricsB: nil,
                  comparison: nil, templatesA: templatesA, templatesB: templatesB, seconds: 0)
    }

    init(generation: Int, classNames: [String], images: [ImageRow], metricsA: Metrics?, metricsB: Metrics?,
         comparison: ABComparison?, templatesA: [TemplateRow], templatesB: [TemplateRow], seconds: Double) {
        self.generation = generation; self.classNames = classNames; self.images = images
        self.metricsA = metricsA; self.metricsB = metricsB; self.comparison = comparison
        self.templatesA = templatesA; self.templatesB = templatesB; self.seconds = seconds
    }

    /// Scores a document's sets on embedded images through the engine.
    public static func build(lab: PromptLab, images: PromptLab.EmbeddedImages, document: SessionDocument,
                             generation: Int) throws -> ScoreSnapshot {
        let start = Date()
        let labels = document.labelSet
        let a = document.templateSetA, b = document.templateSetB
        let (scoresA, _) = try lab.score(images, labels: labels, templates: a)
        let (scoresB, _) = try lab.score(images, labels: labels, templates: b)
        let predA = scoresA.predictions, predB = scoresB.predictions
        let rows = images.items.enumerated().map { i, item in
            ImageRow(path: item.path, name: item.relativePath, truth: item.truth,
                     probsA: labels.classes.isEmpty ? [] : scoresA.probabilities.row(i),
                     probsB: labels.classes.isEmpty ? [] : scoresB.probabilities.row(i),
                     predA: predA[i], predB: predB[i])
        }
        let labelled = images.truth.contains { $0 != nil } && !labels.classes.isEmpty
        let comparison = labelled ? ABComparison(a: scoresA, b: scoresB, truth: images.truth) : nil
        func templateRows(_ lines: [String], _ set: TemplateSet) throws -> [TemplateRow] {
            let effects = labelled && !set.templates.isEmpty ? try lab.analysis(images, labels: labels, templates: set).effects() : nil
            var k = 0
            return lines.map { line in
                guard !line.trimmingCharacters(in: .whitespaces).isEmpty else {
                    return TemplateRow(tokens: 0, warning: nil, accuracy: nil, leaveOneOut: nil)
                }
                let t = Template(line)
                let longest = labels.classes.flatMap(\.names).map { lab.store.provider.tokenize(t.render($0)).untruncatedCount }.max()
                    ?? lab.store.provider.tokenize(t.render("")).untruncatedCount
                var warning: String?
                if !t.hasPlaceholder { warning = "no {}" } else if longest > 77 { warning = "cut at 77" }
                let e = effects?[k]
                k += 1
                return TemplateRow(tokens: longest, warning: warning, accuracy: e?.accuracy, leaveOneOut: e?.leaveOneOut)
            }
        }
        return ScoreSnapshot(generation: generation, classNames: labels.classes.map(\.name), images: rows,
                             metricsA: comparison?.a, metricsB: comparison?.b, comparison: comparison,
                             templatesA: try templateRows(document.templatesA, a),
                             templatesB: try templateRows(document.templatesB, b),
                             seconds: Date().timeIntervalSince(start))
    }

    /// Image indices for a filter and an order.
    public func visibleImages(filter: ImageFilter, sort: ImageSort) -> [Int] {
        var list = images.indices.filter { i in
            let r = images[i]
            switch filter {
            case .all: return true
            case .wrongA: return r.rightA == false
            case .wrongB: return r.rightB == false
            case .flipped: return r.rightA != nil && r.rightA != r.rightB
            }
        }
        switch sort {
        case .name: break
        case .confidence: list.sort { images[$0].confidenceA > images[$1].confidenceA }
        case .margin: list.sort { images[$0].marginA < images[$1].marginA }
        }
        return list
    }
}

/// A small RGB picture for the half-block preview (two pixel rows per text row).
public struct PreviewImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let pixels: [UInt8]
    public init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width; self.height = height; self.pixels = pixels
    }
}
