import Foundation

/// Wakes waiting tasks without polling: the agent's tick loop, which sleeps until the
/// machine's next tick and is woken early when an input wants it sooner (`ring`), and the
/// service checks, which wait while the service is off here and go on the moment it
/// starts (`open`, until `close`). Cancelling a waiting task lets it go too.
public final class Doorbell: @unchecked Sendable {
    private let lock = NSLock()
    private var opened: Bool
    private var rung = false
    private var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
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
        let id = lock.withLock {
            lastID += 1
            return lastID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let goNow = lock.withLock {
                    if opened || rung || Task.isCancelled {
                        rung = false
                        return true
                    }
                    waiting[id] = continuation
                    return false
                }
                if goNow { continuation.resume() }
            }
        } onCancel: {
            lock.withLock { waiting.removeValue(forKey: id) }?.resume()
        }
    }

    /// Returns at the next ring (as `wait()`), at `deadline` on `clock`, or when the
    /// calling task is cancelled, whichever comes first; true when the bell rang.
    @discardableResult
    public func wait(until deadline: MonotonicInstant, on clock: any AgentClock) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
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
        woken.forEach { $0.resume() }
    }

    /// Wakes every waiting task and lets every `wait()` through until `close()`.
    public func open() {
        let woken = lock.withLock {
            opened = true
            defer { waiting.removeAll() }
            return Array(waiting.values)
        }
        woken.forEach { $0.resume() }
    }

    public func close() {
        lock.withLock { opened = false }
    }
}
