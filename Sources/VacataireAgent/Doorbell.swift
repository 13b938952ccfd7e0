import Foundation

/// Wakes one waiting task early: the agent's tick loop sleeps until the machine's next
/// tick and `ring()` cuts that short when an input makes the machine want it sooner. A ring
/// with nobody waiting is kept for the next `wait()`.
final class Doorbell: @unchecked Sendable {
    private let lock = NSLock()
    private var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
    private var rung = false
    private var lastID = 0

    /// Returns at the next ring (at once if it rang since the last wait), or when the
    /// calling task is cancelled.
    func wait() async {
        let id = lock.withLock {
            lastID += 1
            return lastID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let goNow = lock.withLock {
                    if rung || Task.isCancelled {
                        rung = false
                        return true
                    }
                    waiter = (id, continuation)
                    return false
                }
                if goNow { continuation.resume() }
            }
        } onCancel: {
            let cancelled: CheckedContinuation<Void, Never>? = lock.withLock {
                guard let waiter, waiter.id == id else { return nil }
                self.waiter = nil
                return waiter.continuation
            }
            cancelled?.resume()
        }
    }

    func ring() {
        let woken: CheckedContinuation<Void, Never>? = lock.withLock {
            guard let waiter else {
                rung = true
                return nil
            }
            self.waiter = nil
            return waiter.continuation
        }
        woken?.resume()
    }
}
