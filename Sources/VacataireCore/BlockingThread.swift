import Foundation

/// Runs blocking work (libcurl, Net-SNMP, a connect, /proc reads) on threads of its own, so
/// that it never occupies a thread of Swift's cooperative pool, which has only as many
/// threads as cores and also runs the agent and its timers.
///
/// The threads are kept and reused: a job goes to a thread that waits for work, and a new
/// thread is started only when every kept one is busy, so a hung job never delays the next
/// (each still has a thread at once), while a node running a hundred checks ten times a
/// second does not create a thousand threads a second. A thread with nothing to do for
/// `idleLifetime` ends.
public enum BlockingThread {
    /// Runs `body` on a kept or new thread, named `name` while it runs (its last 15 bytes,
    /// `ReusableThreads.threadName`), and returns its value.
    public static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            threads.submit(name: name) { continuation.resume(returning: body()) }
        }
    }

    static let threads = ReusableThreads(idleLifetime: 10)
}

/// The threads behind `BlockingThread`: a queue of jobs, the threads waiting for one, and a
/// new thread whenever more jobs wait than threads do.
final class ReusableThreads: @unchecked Sendable {
    private struct Job {
        let name: String
        let body: @Sendable () -> Void
    }

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var nextJob = 0
    /// Threads waiting for a job, counted until they leave the wait.
    private var waiting = 0
    /// Threads alive (`threadCount` reads it under the lock).
    private var alive = 0
    private let idleLifetime: TimeInterval

    init(idleLifetime: TimeInterval) {
        self.idleLifetime = idleLifetime
    }

    var threadCount: Int {
        condition.withLock { alive }
    }

    func submit(name: String, _ body: @escaping @Sendable () -> Void) {
        let startThread = condition.withLock {
            jobs.append(Job(name: name, body: body))
            // Every waiting thread takes at most one of the pending jobs.
            if waiting >= jobs.count - nextJob {
                condition.signal()
                return false
            }
            alive += 1
            return true
        }
        guard startThread else { return }
        let thread = Thread { [self] in work() }
        // Under the lock, which the new thread takes before its first job: Foundation names
        // a thread through the handle that `start()` stores once the thread exists, and
        // does nothing while it is nil, so the thread must not name itself before then.
        condition.withLock { thread.start() }
    }

    /// A thread's life: take jobs while there are some, wait for more, end after
    /// `idleLifetime` without one.
    private func work() {
        // Until it names itself, a new thread has the name of the thread that started it.
        var named: String?
        condition.lock()
        while true {
            if nextJob < jobs.count {
                let job = jobs[nextJob]
                nextJob += 1
                if nextJob == jobs.count {
                    jobs.removeAll(keepingCapacity: true)
                    nextJob = 0
                } else if nextJob >= 64, nextJob * 2 >= jobs.count {
                    jobs.removeFirst(nextJob)  // a queue never empty must not grow forever
                    nextJob = 0
                }
                condition.unlock()
                if named != job.name {
                    Thread.current.name = Self.threadName(job.name)
                    named = job.name
                }
                job.body()
                condition.lock()
                continue
            }
            waiting += 1
            let signalled = condition.wait(until: Date(timeIntervalSinceNow: idleLifetime))
            waiting -= 1
            if !signalled, nextJob >= jobs.count {
                alive -= 1
                condition.unlock()
                return
            }
        }
    }

    /// `name` as Linux holds a thread's name: it refuses one longer than 15 bytes, so the
    /// last 15 are kept, which tell the jobs apart (`vacataire-http-check`,
    /// `vacataire-tcp-check`), and no half character.
    static func threadName(_ name: String) -> String {
        var kept = name.utf8.suffix(15)
        while let first = kept.first, first & 0xC0 == 0x80 { kept = kept.dropFirst() }
        return String(decoding: kept, as: UTF8.self)
    }
}
