import Foundation

/// Where an evaluation's time went, step by step, in milliseconds: what the bench reports
/// beside each edit's total, so that a goal on "the stages after the encoding" can be
/// traced to the step that holds it back. A step taken twice adds up.
public struct StepTimes: Sendable, Equatable {
    public private(set) var milliseconds: [String: Double] = [:]
    private var last = DispatchTime.now().uptimeNanoseconds

    public init() {}

    /// Ends step `name`: the time since the last lap (or the start) is added to it.
    public mutating func lap(_ name: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        milliseconds[name, default: 0] += Double(now - last) / 1e6
        last = now
    }

    /// Adds `other`'s steps, each named `prefix.step`.
    public mutating func add(_ other: StepTimes, prefix: String) {
        for (name, ms) in other.milliseconds { milliseconds["\(prefix).\(name)", default: 0] += ms }
    }
}
