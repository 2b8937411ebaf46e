import Foundation
import Synchronization

/// How many cores this process may use, and how many of them are idle now: what decides
/// whether a product gets a second BLAS thread.
public enum CPUBudget {
    /// The cores of the affinity mask, capped by the cgroup's CPU quota (cgroup v2
    /// `cpu.max`, v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`), at least 1.
    public static func available() -> Int {
        var cores = ProcessInfo.processInfo.activeProcessorCount
        // The affinity mask as the kernel states it (glibc's sched_getaffinity is not
        // visible to Swift without _GNU_SOURCE).
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
            let n = cpuList(String(line.dropFirst("Cpus_allowed_list:".count)))
        {
            cores = n
        }
        if let q = quota() { cores = min(cores, Int(q.rounded(.up))) }
        return max(1, cores)
    }

    /// The number of CPUs in a list such as "0-3,8,10-11".
    static func cpuList(_ text: String) -> Int? {
        var n = 0
        for part in text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",") {
            let ends = part.split(separator: "-").compactMap { Int($0) }
            if ends.count == 1 { n += 1 } else if ends.count == 2, ends[1] >= ends[0] { n += ends[1] - ends[0] + 1 } else { return nil }
        }
        return n > 0 ? n : nil
    }

    /// The CPU quota in cores, if the cgroup sets one.
    static func quota() -> Double? {
        func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
        if let v2 = read("/sys/fs/cgroup/cpu.max") { return quota(cpuMax: v2) }
        if let q = read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), let p = read("/sys/fs/cgroup/cpu/cpu.cfs_period_us") {
            return quota(cfsQuota: q, period: p)
        }
        return nil
    }

    /// `cpu.max` holds "QUOTA PERIOD" or "max PERIOD".
    static func quota(cpuMax: String) -> Double? {
        let f = cpuMax.split(whereSeparator: \.isWhitespace)
        guard f.count == 2, let q = Double(f[0]), let p = Double(f[1]), q > 0, p > 0 else { return nil }
        return q / p
    }

    /// v1: a quota of -1 means none.
    static func quota(cfsQuota: String, period: String) -> Double? {
        guard let q = Double(cfsQuota.trimmingCharacters(in: .whitespacesAndNewlines)),
            let p = Double(period.trimmingCharacters(in: .whitespacesAndNewlines)), q > 0, p > 0
        else { return nil }
        return q / p
    }

    private struct Sample { var busy: Double; var own: Double; var at: UInt64; var others: Double }
    private static let last = Mutex<Sample?>(nil)

    /// Cores that other processes kept busy over the recent past: the machine's busy time
    /// (/proc/stat) less this process's own CPU time, sampled at most every 200 ms (the
    /// first call starts the window and answers 0). A second BLAS thread on a core another process keeps
    /// busy made small products 3.6× slower: this is how that is seen coming.
    public static func coresBusyElsewhere() -> Double {
        func read() -> (busy: Double, own: Double)? {
            guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
                let line = text.split(separator: "\n").first, line.hasPrefix("cpu ")
            else { return nil }
            let v = line.split(separator: " ").dropFirst().compactMap { Double($0) }
            guard v.count >= 5 else { return nil }
            var t = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
            // /proc/stat counts in USER_HZ ticks (100 a second on Linux).
            return ((v.reduce(0, +) - v[3] - v[4]) / 100, Double(t.tv_sec) + Double(t.tv_nsec) / 1e9)
        }
        let now = DispatchTime.now().uptimeNanoseconds
        if let s = last.withLock({ $0 }), now - s.at < 200_000_000 { return s.others }
        guard let p = last.withLock({ $0 }) else {
            // The first call starts the window and assumes the machine free.
            if let first = read() { last.withLock { $0 = Sample(busy: first.busy, own: first.own, at: now, others: 0) } }
            return 0
        }
        guard let r = read() else { return 0 }
        let at = DispatchTime.now().uptimeNanoseconds
        let seconds = Double(at - p.at) / 1e9
        let others = seconds > 0 ? max(0, (r.busy - p.busy) - (r.own - p.own)) / seconds : 0
        last.withLock { $0 = Sample(busy: r.busy, own: r.own, at: at, others: others) }
        return others
    }
}
