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
///
/// Nothing here polls: a woken loop's next `sleep` resumes whoever waits for it. Real time
/// bounds only a wait for a woken task that never sleeps on the clock again (`settle`).
public final class ManualClock: AgentClock, @unchecked Sendable {
    private let lock = NSLock()
    private var elapsed: UInt64 = 0
    private let start: Date
    private var sleepers: [Sleeper] = []
    private var cancelled: Set<Int> = []
    private var lastID = 0
    /// How many sleeps began since the clock was made: a woken loop that sleeps again counts.
    private var sleepsBegun = 0
    /// Who waits for a count of sleeps begun (`advance`) or of sleepers (`untilSleeping`).
    private var waiters: [Waiter] = []

    private struct Waiter {
        let id: Int
        let until: Condition
        let continuation: CheckedContinuation<Void, Never>
    }

    private enum Condition {
        case begun(Int)
        case sleeping(Int)
    }

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
        await wait(for: .sleeping(count), atMost: timeout)
        return sleeping >= count
    }

    private func holds(_ condition: Condition) -> Bool {
        switch condition {
        case .begun(let count): return sleepsBegun >= count
        case .sleeping(let count): return sleepers.count >= count
        }
    }

    /// Returns once `condition` holds (told by `sleep`), or after `bound` of real time.
    private func wait(for condition: Condition, atMost bound: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait(for: condition) }
            group.addTask { try? await Task.sleep(for: bound) }
            await group.next()
            group.cancelAll()
        }
    }

    private func wait(for condition: Condition) async {
        let id = lock.withLock {
            lastID += 1
            return lastID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now: Bool = lock.withLock {
                    if holds(condition) || cancelled.remove(id) != nil { return true }
                    waiters.append(Waiter(id: id, until: condition, continuation: continuation))
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter: Waiter? = lock.withLock {
                guard let index = waiters.firstIndex(where: { $0.id == id }) else {
                    cancelled.insert(id)
                    return nil
                }
                return waiters.remove(at: index)
            }
            waiter?.continuation.resume()
        }
    }

    /// The waiters whose condition holds now, taken out (call with the lock held).
    private func waitersDue() -> [Waiter] {
        let due = waiters.filter { holds($0.until) }
        waiters.removeAll { holds($0.until) }
        return due
    }

    public func sleep(until deadline: MonotonicInstant) async throws {
        let id = lock.withLock {
            lastID += 1
            return lastID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (resume, told): (Result<Void, any Error>?, [Waiter]) = lock.withLock {
                    sleepsBegun += 1
                    if cancelled.remove(id) != nil { return (.failure(CancellationError()), waitersDue()) }
                    if deadline.nanoseconds <= elapsed { return (.success(()), waitersDue()) }
                    sleepers.append(Sleeper(id: id, deadline: deadline.nanoseconds, continuation: continuation))
                    return (nil, waitersDue())
                }
                for waiter in told { waiter.continuation.resume() }
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
            await wait(for: .begun(begunBefore + woken.count), atMost: settle)
            await quiesce?()
        }
        lock.withLock { elapsed = max(elapsed, target) }
    }

    /// Advances in `steps` of `step` each (a tick at a time, as the daemon's timers see it).
    public func advance(by step: Duration, times steps: Int, quiesce: (() async -> Void)? = nil) async {
        for _ in 0..<steps { await advance(by: step, quiesce: quiesce) }
    }
}
