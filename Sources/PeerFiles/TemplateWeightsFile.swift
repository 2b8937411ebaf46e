import Foundation
import InputLimits
import ScoringCore

/// `--weights FILE`: template weights saved by clip-tui. Read from
/// - an `eval --format json` report: its `weighting.per_template` (`[{template, weight}]`);
/// - `{"weights": {TEMPLATE: WEIGHT, …}}`, or that object alone.
/// Weights must be finite and not negative, and not all 0; they are returned summing to 1
/// (only their ratios matter: each class vector is normalised).
public enum TemplateWeightsFile {
    public static func read(path: String) throws -> [Template: Double] {
        let document: JSONValue
        do {
            document = try BoundedJSON.value(path: path)
        } catch let failure as BoundedJSON.Failure {
            throw ScoringError.badFormat(path: path, line: nil, reason: failure.reason)
        }
        guard case .object(let top) = document else {
            throw ScoringError.badFormat(path: path, line: nil, reason: "template weights must be a JSON object")
        }
        var pairs: [(String, JSONValue)] = []
        if let weighting = top.first(where: { $0.key == "weighting" })?.value {
            guard case .object(let w) = weighting, case .array(let rows)? = w.first(where: { $0.key == "per_template" })?.value else {
                throw ScoringError.badFormat(path: path, line: nil, reason: "\"weighting\" has no \"per_template\" list")
            }
            for row in rows {
                guard case .object(let fields) = row, case .string(let t)? = fields.first(where: { $0.key == "template" })?.value,
                    let weight = fields.first(where: { $0.key == "weight" })?.value
                else { throw ScoringError.badFormat(path: path, line: nil, reason: "a per_template entry needs \"template\" and \"weight\"") }
                pairs.append((t, weight))
            }
        } else if let inner = top.first(where: { $0.key == "weights" })?.value {
            guard case .object(let w) = inner else {
                throw ScoringError.badFormat(path: path, line: nil, reason: "\"weights\" must be an object {template: weight}")
            }
            pairs = w.map { ($0.key, $0.value) }
        } else {
            pairs = top.map { ($0.key, $0.value) }
        }
        var weights: [Template: Double] = [:]
        for (text, value) in pairs {
            guard case .number(let w) = value, w.isFinite, w >= 0 else {
                throw ScoringError.badFormat(path: path, line: nil, reason: "the weight of \"\(text)\" must be a number ≥ 0, not \(value)")
            }
            guard weights.updateValue(w, forKey: Template(text)) == nil else {
                throw ScoringError.badFormat(path: path, line: nil, reason: "\"\(text)\" is weighted twice")
            }
        }
        let total = weights.values.reduce(0, +)
        guard total > 0 else { throw ScoringError.badFormat(path: path, line: nil, reason: "holds no template with a weight above 0") }
        return weights.mapValues { $0 / total }
    }
}
