import Foundation
import InputLimits
import ScoringCore

/// `--weights FILE`: template weights saved by clip-tui. Read from
/// - an `eval --format json` report: its `weighting.per_template` (`[{template, weight}]`);
/// - an export (`clip-tui.prompt-set`): a set's `weights` (`FILE#NAME` picks the set by
///   name or candidate when more than one carries weights);
/// - `{"weights": {TEMPLATE: WEIGHT, …}}`, or that object alone.
/// Weights must be finite and not negative, and not all 0; they are returned summing to 1
/// (only their ratios matter: each class vector is normalised).
public enum TemplateWeightsFile {
    public static func read(path given: String) throws -> [Template: Double] {
        let reference = FileReference(given)
        let path = reference.path
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
        if case .array(let entries)? = top.first(where: { $0.key == "template_sets" })?.value {
            pairs = try exported(entries, key: reference.key, path: path)
        } else if let weighting = top.first(where: { $0.key == "weighting" })?.value {
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

    /// The `weights` of one set of an export: the one named `key` (its name or candidate),
    /// else the only set that carries weights.
    private static func exported(_ entries: [JSONValue], key: String?, path: String) throws -> [(String, JSONValue)] {
        var weighted: [(names: [String], rows: [JSONValue])] = []
        for case .object(let fields) in entries {
            guard case .array(let rows)? = fields.first(where: { $0.key == "weights" })?.value else { continue }
            let names = ["name", "candidate"].compactMap { k -> String? in
                if case .string(let s)? = fields.first(where: { $0.key == k })?.value { return s }
                return nil
            }
            weighted.append((names, rows))
        }
        let chosen: [JSONValue]
        if let key {
            guard let hit = weighted.first(where: { $0.names.contains(key) }) else {
                throw ScoringError.badFormat(path: path, line: nil, reason: "no set named \(key) carries weights")
            }
            chosen = hit.rows
        } else {
            guard weighted.count == 1 else {
                let names = weighted.compactMap(\.names.first).joined(separator: ", ")
                throw ScoringError.badFormat(
                    path: path, line: nil,
                    reason: weighted.isEmpty
                        ? "no set of this export carries weights (it was exported with equal weights)"
                        : "\(weighted.count) sets carry weights (\(names)): name one, FILE#NAME")
            }
            chosen = weighted[0].rows
        }
        return try chosen.map { row in
            guard case .object(let fields) = row, case .string(let t)? = fields.first(where: { $0.key == "template" })?.value,
                let weight = fields.first(where: { $0.key == "weight" })?.value
            else { throw ScoringError.badFormat(path: path, line: nil, reason: "a weights entry needs \"template\" and \"weight\"") }
            return (t, weight)
        }
    }
}
