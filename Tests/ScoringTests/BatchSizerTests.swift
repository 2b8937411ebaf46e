import XCTest

@testable import Scoring

/// Prompt batches sized by time: a newer edit waits about `targetSeconds`, whatever a prompt
/// costs.
final class BatchSizerTests: XCTestCase {
    func testWithoutATargetEveryBatchIsFull() {
        var s = BatchSizer(limit: 64, targetSeconds: nil)
        XCTAssertEqual(s.next, 64)
        s.record(count: 64, seconds: 30)
        XCTAssertEqual(s.next, 64)
    }

    func testBatchesFollowThePace() {
        // SigLIP-like: 50 ms a prompt, 0.2 s target: 4 at a time after a first batch of 8.
        var slow = BatchSizer(limit: 64, targetSeconds: 0.2)
        XCTAssertEqual(slow.next, 8)
        slow.record(count: 8, seconds: 0.4)
        XCTAssertEqual(slow.next, 4)
        // A prompt slower than the target: one at a time, never none.
        slow.record(count: 4, seconds: 2)
        XCTAssertEqual(slow.next, 1)
        // CLIP-like: 4 ms a prompt: the limit.
        var fast = BatchSizer(limit: 64, targetSeconds: 0.2)
        fast.record(count: 8, seconds: 0.032)
        XCTAssertEqual(fast.next, 50)
        fast.record(count: 50, seconds: 0.05)
        XCTAssertEqual(fast.next, 64)
        // A batch that took no measurable time does not divide by zero.
        fast.record(count: 64, seconds: 0)
        XCTAssertEqual(fast.next, 64)
    }

    /// The next call starts at the pace the last one measured (a CLIP edit of 10 prompts is
    /// one batch, not 8 + 2).
    func testAKnownPaceSizesTheFirstBatch() {
        let s = BatchSizer(limit: 64, targetSeconds: 0.2, pace: 0.004)
        XCTAssertEqual(s.next, 50)
        XCTAssertEqual(BatchSizer(limit: 64, targetSeconds: 0.2, pace: 0.05).next, 4)
    }
}
