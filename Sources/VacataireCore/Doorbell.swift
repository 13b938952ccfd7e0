import Foundation

/// Wakes waiting tasks without polling: the agent's tick loop, which sleeps until the
/// machine's next tick and is woken early when an input wants it sooner (`ring`), and the
/// service checks, which wait while the service is off here and go on the moment it
/// starts (`open`, until `close`). Cancelling a waiting task lets it go too.
public final class Doorbell: @unchecked Sendable {
    private struct Waiter {
        /// Resumed with true when the bell rang (or is open), false at the deadline or on cancellation.
        let continuation: CheckedContinuation<Bool, Never>
        /// The deadline's timer of a `wait(until:on:)`, cancelled when the bell rings first.
        let timer: LoopTimer?
    }

    private let lock = NSLock()
    private var opened: Bool
    private var rung = false
    private var waiting: [Int: Waiter] = [:]
    /// Waits whose timer was set but that are not waiting yet, and those of them whose
    /// timer already fired.
    private var arriving: Set<Int> = []
    private var expiredEarly: Set<Int> = []
    private var lastID = 0

    /// A closed bell (`open: true`: one that lets every wait through until `close()`).
    public init(open: Bool = false) {
        opened = open
    }

    public var isOpen: Bool {
        lock.withLock { opened }
    }

    /// Returns when the bell is open (at once), at the next ring (at once if it rang while
    /// nobody waited), or when the calling task is cancelled.
    public func wait() async {
        _ = await wait(id: nextID(), timer: nil)
    }

    /// Returns at the next ring (as `wait()`), at `deadline` on `clock`, or when the
    /// calling task is cancelled, whichever comes first; true when the bell rang.
    ///
    /// On a clock with loop timers (the daemon's) this is one continuation and one timer,
    /// which a ring cancels; elsewhere (a test's manual clock) a task sleeps on the clock
    /// beside the wait.
    @discardableResult
    public func wait(until deadline: MonotonicInstant, on clock: any AgentClock) async -> Bool {
        let id = nextID(arriving: true)
        if let timer = clock.timer(at: deadline, { [weak self] in self?.expire(id) }) {
            return await wait(id: id, timer: timer)
        }
        lock.withLock { _ = arriving.remove(id) }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                try? await clock.sleep(until: deadline)
                return false
            }
            group.addTask {
                await self.wait()
                return true
            }
            let rang = await group.next() ?? false
            group.cancelAll()
            return rang
        }
    }

    /// Wakes every waiting task; with none waiting, the next `wait()` returns at once.
    public func ring() {
        let woken = lock.withLock {
            if waiting.isEmpty { rung = true }
            defer { waiting.removeAll() }
            return Array(waiting.values)
        }
        wake(woken)
    }

    /// Wakes every waiting task and lets every `wait()` through until `close()`.
    public func open() {
        let woken = lock.withLock {
            opened = true
            defer { waiting.removeAll() }
            return Array(waiting.values)
        }
        wake(woken)
    }

    public func close() {
        lock.withLock { opened = false }
    }

    private func nextID(arriving isArriving: Bool = false) -> Int {
        lock.withLock {
            lastID += 1
            if isArriving { arriving.insert(lastID) }
            return lastID
        }
    }

    private func wait(id: Int, timer: LoopTimer?) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let goNow: Bool? = lock.withLock {
                    arriving.remove(id)
                    if opened || rung {
                        rung = false
                        return true
                    }
                    if expiredEarly.remove(id) != nil || Task.isCancelled { return false }
                    waiting[id] = Waiter(continuation: continuation, timer: timer)
                    return nil
                }
                if let goNow {
                    if goNow { timer?.cancel() }
                    continuation.resume(returning: goNow)
                }
            }
        } onCancel: {
            if let waiter = lock.withLock({ waiting.removeValue(forKey: id) }) {
                waiter.timer?.cancel()
                waiter.continuation.resume(returning: false)
            }
        }
    }

    /// The deadline of wait `id` has come.
    private func expire(_ id: Int) {
        let waiter: Waiter? = lock.withLock {
            if let waiter = waiting.removeValue(forKey: id) { return waiter }
            if arriving.contains(id) { expiredEarly.insert(id) }
            return nil
        }
        waiter?.continuation.resume(returning: false)
    }

    private func wake(_ woken: [Waiter]) {
        for waiter in woken {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: true)
        }
    }
}
