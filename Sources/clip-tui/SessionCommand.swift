import ArgumentParser
import CLIP
import Foundation
import Imaging
import Scoring
import TerminalUI
import UserPaths

struct SessionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session",
        abstract: "The prompt lab in the terminal: edit labels and templates A and B, watch the scores move.")

    /// The model, cache and threads as every engine command takes them; `--model`
    /// defaults to the last session's before $CLIP_TUI_MODEL and the demo model.
    @OptionGroup var engine: EngineOptions
    @Option(help: "Folder of images (default: the last session's, else Images/demo).") var images: String?
    @Option(help: ArgumentHelp("Label set (FILE or FILE#KEY).", valueName: "file[#key]")) var labels: String?
    @Option(
        help: ArgumentHelp(
            "A template set (FILE or FILE#KEY): the first is A; repeat for more (the second is B, the rest further candidates).",
            valueName: "file[#key]"))
    var templates: [String] = []
    @Option(help: ArgumentHelp("Template set B (FILE or FILE#KEY), beside a single --templates.", valueName: "file[#key]"))
    var templatesB: String?
    /// `--truth` and `--folder-names`, as `eval` takes them (kept in the session file).
    @OptionGroup var truthFiles: TruthOptions
    @Option(
        help: ArgumentHelp(
            "Images standing for the model's pre-training data: ZPE's pre-training term when w weighs a set by ZPE (kept in the session file).",
            valueName: "folder"))
    var reference: String?
    @OptionGroup var scoring: ScoreOptions
    @Option(help: "Session file, autosaved (default: ~/.local/state/clip-tui/session.json).") var session: String?

    static var defaultSessionPath: String { UserPaths().sessionFile }

    func validate() throws {
        try scoring.refuseFit("session")
        if templatesB != nil && templates.count > 1 {
            throw ValidationError("--templates-b is the second set, beside a single --templates: with more, repeat --templates")
        }
    }

    func run() throws {
        var notes: [String] = []
        let sessionPath = session ?? Self.defaultSessionPath
        try? FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: sessionPath).deletingLastPathComponent().path,
            withIntermediateDirectories: true)
        var document: SessionDocument?
        try reportingErrors {
            if FileManager.default.fileExists(atPath: sessionPath) {
                do {
                    document = try SessionDocument.read(path: sessionPath)
                } catch {
                    // Kept, never overwritten: moved aside, and said so.
                    let aside = sessionPath + ".unreadable-\(Int(Date().timeIntervalSince1970))"
                    try? FileManager.default.moveItem(atPath: sessionPath, toPath: aside)
                    notes.append("\(error) — kept as \(aside)")
                }
            }
            var doc = try startingDocument(from: document, notes: &notes)
            var models: [ScoringModel] = []
            for name in doc.models {
                models.append(try engine.makeModel(model: name, logitScale: doc.logitScale) { notes.append($0) })
            }
            doc.model = models[0].name
            let model = models[0]
            var collection: ImageCollection?
            var imagesProblem: String?
            if let folder = doc.images {
                do { collection = try doc.collection(folder: folder) } catch {
                    imagesProblem = "\(error)"
                    notes.append("\(error)")
                }
            } else {
                imagesProblem = "no images folder: start with --images DIR"
            }
            let header = "\(URL(fileURLWithPath: model.name).lastPathComponent) · \(doc.images ?? "no images") · \(sessionPath)"
            let engine = self.engine, logitScale = doc.logitScale
            let controller = SessionController(
                document: doc, models: models, collection: collection, header: header,
                sessionPath: sessionPath, preview: Self.preview,
                initialStatus: notes.last ?? "", imagesProblem: imagesProblem,
                loadModel: { name in try engine.makeModel(model: name, logitScale: logitScale, note: { _ in }) })
            CursesTerminal().run(controller)
            controller.stopEngine()  // the screen is closed and the session saved
            for n in notes { warn(n) }
        }
    }

    /// The arguments over the last session over the project's demo sets. A file named on
    /// the command line that is missing or does not parse stops the command before the
    /// screen opens, as `eval` does (exit 1, the file and the reason on stderr); a demo
    /// file that fails is reported on the status line and the session opens without it.
    func startingDocument(from saved: SessionDocument?, notes: inout [String]) throws -> SessionDocument {
        var problems: [String] = []
        func lines(_ path: String?, labels: Bool) throws -> [String]? {
            guard let path else { return nil }
            do {
                if labels { return try PromptFiles.readLabels(path: path).classes.map { $0.names.joined(separator: " | ") } }
                return try PromptFiles.readTemplates(path: path).templates.map(\.text)
            } catch {
                problems.append("\(error)")
                return nil
            }
        }
        defer { notes += problems }
        // Named on the command line (`FILE` or `FILE#KEY`): checked first, fatal.
        let named = (
            labels: try labels.map { try PromptFiles.readLabels(path: $0) },
            sets: try templates.map(Self.readSet),
            b: try templatesB.map(Self.readSet)
        )
        if let images {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: images, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ScoringError.cannotRead(path: images, reason: "not a folder")
            }
        }
        let project = { (p: String) in ModelLocator.projectFile(p) }
        var doc: SessionDocument
        if let saved {
            doc = saved
        } else {
            doc = SessionDocument(
                model: nil, images: project("Images/demo"),
                labels: try lines(project("Prompts/demo-labels.txt"), labels: true) ?? ["cat", "dog"],
                templatesA: try lines(project("Prompts/demo-templates-singular.txt"), labels: false) ?? ["a photo of a {}."],
                templatesB: try lines(project("Prompts/demo-templates-with-plurals.txt"), labels: false) ?? ["{}"])
        }
        // Paths are stored absolute, so the session file opens from any directory; a Hub id
        // (no such folder) stays as typed.
        func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
        // Paths as given become absolute; a Hub id stays as typed.
        let modelNames = engine.models.map { FileManager.default.fileExists(atPath: $0) ? absolute($0) : $0 }
        if let first = modelNames.first {
            doc.model = first
            doc.otherModels = Array(modelNames.dropFirst())
            if doc.candidateA >= doc.candidateCount || doc.candidateB >= doc.candidateCount { (doc.candidateA, doc.candidateB) = (0, 1) }
        }
        if let images { doc.images = absolute(images) }
        if let truth = truthFiles.truth { doc.truth = absolute(truth) }
        if let folderNames = truthFiles.folderNames { doc.folderNames = absolute(folderNames) }
        if let reference { doc.zpeReference = absolute(reference) }
        if case .value(let t)? = scoring.temperature { doc.temperature = t; doc.logitScale = nil }
        if let s = scoring.logitScale { doc.logitScale = s; doc.temperature = nil }
        // A webdataset folder named now brings its own class names and templates: ahead of
        // the last session's and the demo sets, behind files named on the command line.
        var own: [String] = []  // one status line says what came from the dataset
        if let images, named.labels == nil, let file = WebDataset.classNamesFile(folder: images, split: "test") {
            doc.setLabels(try PromptFiles.readLabels(path: file))
            own.append("labels from \(URL(fileURLWithPath: file).lastPathComponent)")
        }
        if let images, named.sets.isEmpty, let file = WebDataset.templatesFile(folder: images, split: "test") {
            let set = try Self.readSet(file)
            doc.templatesA = set.templates.map(\.text)
            doc.nameA = set.name
            own.append("templates A from \(set.name)")
        }
        if !own.isEmpty { notes.append("the webdataset's own \(own.joined(separator: ", "))") }
        if let l = named.labels { doc.setLabels(l) }
        // Sets named on the command line: one replaces A's (as before); two or more are the
        // session's sets, in order, with A and B on the first two.
        if named.sets.count <= 1 {
            if let a = named.sets.first { doc.templatesA = a.templates.map(\.text); doc.nameA = a.name }
            if let b = named.b { doc.templatesB = b.templates.map(\.text); doc.nameB = b.name }
        } else {
            doc.sets = named.sets.map { .init(name: $0.name, lines: $0.templates.map(\.text)) }
            (doc.candidateA, doc.candidateB) = (0, 1)
        }
        return doc
    }

    /// A set named on the command line, named for its file.
    private static func readSet(_ path: String) throws -> TemplateSet {
        var set = try PromptFiles.readTemplates(path: path)
        set.name = URL(fileURLWithPath: path).lastPathComponent
        return set
    }

    /// A picture at most 48 pixels wide (two pixel rows per text row), box-filtered.
    static func preview(_ path: String) -> PreviewImage? {
        // A webdataset sample is named SHARD.tar/KEY: its bytes come from the shard.
        let decoded =
            (try? ImageDecoder.decode(path: path))
            ?? WebDataset.location(named: path).flatMap { try? $0.read(name: path) }.flatMap {
                try? ImageDecoder.decode(data: $0.bytes, path: path)
            }
        guard let image = decoded else { return nil }
        let scale = max(1, max(image.width, image.height) / 48 + (max(image.width, image.height) % 48 == 0 ? 0 : 1))
        let w = max(1, image.width / scale), h = max(1, image.height / scale)
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<3 {
                    var sum = 0
                    for dy in 0..<scale { for dx in 0..<scale { sum += Int(image.pixels[((y * scale + dy) * image.width + x * scale + dx) * 3 + c]) } }
                    out[(y * w + x) * 3 + c] = UInt8(sum / (scale * scale))
                }
            }
        }
        return PreviewImage(width: w, height: h, pixels: out)
    }
}
