import Foundation
import NIOCore
import NIOPosix
import VacataireCore

/// The thread `vacataire run` lives on: a NIO event loop that is the executor of every task
/// and actor of the agent (its task executor preference), the timer of its clock
/// (`SystemClock.timers`) and the loop of the peer link's sockets.
///
/// Why one thread: an idle pair does little work per heartbeat, and what it cost was the
/// hops between threads (a timer thread, Swift's cooperative pool, NIO's loops), each a
/// futex wake-up and a context switch in the kernel. On one loop, a timer fires in the
/// loop's own wait (epoll's timeout) and the task it wakes runs in the same turn, a
/// heartbeat is written to its socket in the turn that sealed it, a datagram read is
/// validated and handed to the machine in the turn that read it, and a message from one
/// task or actor to another never leaves the thread.
///
/// What leaves it: the heartbeat copies (`HeartbeatRefill`), sent by the peer link's
/// watchdog thread only when the loop is late, so that the peer hears this node through a
/// moment's stall; blocking work (libcurl, Net-SNMP, SQLite, process spawns) on
/// `BlockingThread`s and the store's thread, which resume the loop when done; and the
/// listeners, on NIO's shared threads, so that a flood of connections is never read here.
public final class AgentLoop: TaskExecutor, TimerLoop {
    /// The agent's thread.
    public let eventLoop: any EventLoop

    /// A thread of its own (NIO names it `NIO-ELT-…`).
    public init() {
        eventLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1).next()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // Enqueued from the loop itself (the common case: a task resumed by a socket event
        // or a timer), NIO only appends to its queue; from another thread, it wakes the loop.
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// A timer on the loop; cancelling the waiting task removes it.
    public func sleep(for delay: Duration) async throws {
        try Task.checkCancellation()
        let sleeper = LoopSleeper()
        let timer = schedule(after: delay) { sleeper.finish(cancelled: false) }
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { sleeper.wait($0) }
        } onCancel: {
            timer.cancel()
            sleeper.finish(cancelled: true)
        }
    }

    /// A callback timer of the loop (NIO's scheduled callback: no promise, no future).
    public func schedule(after delay: Duration, _ fire: @escaping @Sendable () -> Void) -> LoopTimer {
        let amount = TimeAmount.nanoseconds(Int64(clamping: max(.zero, delay).nanoseconds))
        guard let scheduled = try? eventLoop.scheduleCallback(in: amount, handler: LoopCallback(fire)) else {
            // The loop has shut down: the agent is gone, and so is whoever waited.
            return LoopTimer {}
        }
        return LoopTimer { scheduled.cancel() }
    }

    /// Runs `body` with every task and default actor it reaches on this loop, and every
    /// `SystemClock` sleep among them on the loop's timers.
    public func run(_ body: () async throws -> Void) async throws {
        try await SystemClock.$timers.withValue(self) {
            try await withTaskExecutorPreference(self, operation: body)
        }
    }
}

/// What a loop timer calls when it fires; nothing when it is cancelled.
private struct LoopCallback: NIOScheduledCallbackHandler, Sendable {
    let fire: @Sendable () -> Void

    init(_ fire: @escaping @Sendable () -> Void) {
        self.fire = fire
    }

    func handleScheduledCallback(eventLoop: some EventLoop) {
        fire()
    }
}

/// One `AgentLoop.sleep`: resumed once, by its timer or by its task's cancellation,
/// whichever comes first, even when that comes before the task has begun to wait.
private final class LoopSleeper: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: UnsafeContinuation<Void, any Error>?
    /// Set when the end came before the wait: the wait returns it at once.
    private var early: Bool?

    func wait(_ continuation: UnsafeContinuation<Void, any Error>) {
        let cancelled: Bool? = lock.withLock {
            if let early { return early }
            self.continuation = continuation
            return nil
        }
        if let cancelled { continuation.resume(with: cancelled ? .failure(CancellationError()) : .success(())) }
    }

    func finish(cancelled: Bool) {
        let waiting: UnsafeContinuation<Void, any Error>? = lock.withLock {
            guard let waiting = continuation else {
                if early == nil { early = cancelled }
                return nil
            }
            continuation = nil
            return waiting
        }
        waiting?.resume(with: cancelled ? .failure(CancellationError()) : .success(()))
    }
}
