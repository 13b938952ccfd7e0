import Foundation
import VacataireCore

/// Time that moves only when a test says so, in the spirit of NIOEmbedded's event loop:
/// `advance(by:)` wakes every sleeper whose deadline it passes, in deadline order, and
/// returns once each woken loop is asleep again. The daemon's timers are loops (the tick,
/// the outbox's retries, each check), so after `advance` everything that time made due has
/// run, and a test asserts exactly what happened, without sleeping.
///
/// Work a loop starts but does not wait for (a start action, a delivery) is not part of
/// the loop: the daemon's `settle()` waits for that.
public final class ManualClock: AgentClock, @unchecked Sendable {
    private let lock = NSLock()
    private var elapsed: UInt64 = 0
    private let start: Date
    private var sleepers: [Sleeper] = []
    private var cancelled: Set<Int> = []
    private var lastID = 0
    /// How many sleeps began since the clock was made: a woken loop that sleeps again counts.
    private var sleepsBegun = 0

    private struct Sleeper {
        let id: Int
        let deadline: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    /// A clock whose wall-clock date starts at `date`.
    public init(date: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        start = date
    }

    public var now: MonotonicInstant {
        lock.withLock { MonotonicInstant(nanoseconds: elapsed) }
    }

    public var date: Date {
        lock.withLock { start.addingTimeInterval(Double(elapsed) / 1e9) }
    }

    /// How many tasks are asleep on this clock.
    public var sleeping: Int {
        lock.withLock { sleepers.count }
    }

    /// Returns once at least `count` tasks are asleep on this clock (a daemon's loops have
    /// started), or after `timeout` of real time; returns whether they were.
    @discardableResult
    public func untilSleeping(_ count: Int, timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while sleeping < count {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return true
    }

    public func sleep(until deadline: MonotonicInstant) async throws {
        let id = lock.withLock {
            lastID += 1
            return lastID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resume: Result<Void, any Error>? = lock.withLock {
                    sleepsBegun += 1
                    if cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if deadline.nanoseconds <= elapsed { return .success(()) }
                    sleepers.append(Sleeper(id: id, deadline: deadline.nanoseconds, continuation: continuation))
                    return nil
                }
                if let resume { continuation.resume(with: resume) }
            }
        } onCancel: {
            let sleeper: Sleeper? = lock.withLock {
                guard let index = sleepers.firstIndex(where: { $0.id == id }) else {
                    cancelled.insert(id)
                    return nil
                }
                return sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration`, stopping at each sleeper's deadline on the way:
    /// wakes the sleepers due then, waits until each has begun sleeping again (at most
    /// `settle` of real time, for a task that does not loop), then runs `quiesce` (which
    /// waits for the work the woken loops started: deliveries, actions) before time moves on.
    public func advance(by duration: Duration, settle: Duration = .seconds(5), quiesce: (() async -> Void)? = nil) async {
        let target = (MonotonicInstant(nanoseconds: lock.withLock { elapsed }) + duration).nanoseconds
        while true {
            let (woken, begunBefore): ([Sleeper], Int) = lock.withLock {
                guard let next = sleepers.map(\.deadline).min(), next <= target else { return ([], sleepsBegun) }
                elapsed = max(elapsed, next)
                let due = sleepers.filter { $0.deadline <= elapsed }.sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
                sleepers.removeAll { $0.deadline <= elapsed }
                return (due, sleepsBegun)
            }
            guard !woken.isEmpty else { break }
            for sleeper in woken { sleeper.continuation.resume() }
            let deadline = ContinuousClock.now + settle
            while lock.withLock({ sleepsBegun }) < begunBefore + woken.count, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(1))
            }
            await quiesce?()
        }
        lock.withLock { elapsed = max(elapsed, target) }
    }

    /// Advances in `steps` of `step` each (a tick at a time, as the daemon's timers see it).
    public func advance(by step: Duration, times steps: Int, quiesce: (() async -> Void)? = nil) async {
        for _ in 0..<steps { await advance(by: step, quiesce: quiesce) }
    }
}
