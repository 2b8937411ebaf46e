import ArgumentParser
import Foundation
import Scoring

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "A/B: two template sets on the same labelled images.")

    @OptionGroup var engine: EngineOptions
    @OptionGroup var sets: SetOptions
    @Option(help: ArgumentHelp("Template set A (FILE or FILE#KEY).", valueName: "file[#key]")) var templatesA: String
    @Option(help: ArgumentHelp("Template set B (FILE or FILE#KEY).", valueName: "file[#key]")) var templatesB: String
    @Option(help: "Softmax temperature (default: the checkpoint's logit scale); for a sigmoid model (SigLIP), divides its logits.") var temperature: Float?
    @Option(help: "Output: table or json.") var format: ReportFormat = .table
    @Flag(help: "Exit with status 3 when B is significantly worse than A (for CI).") var failIfWorse = false

    struct Output: Encodable {
        let model: String
        let classes: [String]
        let templates_a: [String]
        let templates_b: [String]
        let comparison: ABComparison
        let right_only_under_a: [String]
        let right_only_under_b: [String]
        let b_significantly_worse: Bool
    }

    func run() throws {
        try reportingErrors {
            let lab = try engine.makeLab(temperature: temperature)
            let a = try PromptFiles.readTemplates(path: templatesA)
            let b = try PromptFiles.readTemplates(path: templatesB)
            let (labels, images) = try sets.load(lab)
            guard images.truth(labels).contains(where: { $0 != nil }) else {
                throw ScoringError.invalid("\(sets.images): no labelled images (use class subfolders or --truth)")
            }
            for (file, set) in [(templatesA, a), (templatesB, b)] {
                for line in lab.plan(labels: labels, templates: set).summary(
                    labels: sets.labels, templates: file, contextLength: lab.store.provider.contextLength)
                {
                    warn(line)
                }
            }
            let c = try lab.compare(images, labels: labels, a: a, b: b)
            let paths = images.items.map(\.path)
            let worse = c.bIsSignificantlyWorse()
            switch format {
            case .json:
                try printJSON(
                    Output(
                        model: lab.modelName, classes: labels.classes.map(\.name),
                        templates_a: a.templates.map(\.text), templates_b: b.templates.map(\.text),
                        comparison: c, right_only_under_a: c.rightOnlyUnderA.map { paths[$0] },
                        right_only_under_b: c.rightOnlyUnderB.map { paths[$0] }, b_significantly_worse: worse))
            case .table:
                print(Report.comparisonTable(c, classes: labels.classes.map(\.name), nameA: a.name, nameB: b.name, paths: paths))
            }
            if failIfWorse && worse {
                warn("B (\(templatesB)) is significantly worse than A (\(templatesA))")
                throw ExitCode(3)
            }
        }
    }
}
