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
        let timer = eventLoop.scheduleTask(in: .nanoseconds(Int64(clamping: max(.zero, delay).nanoseconds))) {}
        do {
            try await withTaskCancellationHandler {
                try await timer.futureResult.get()
            } onCancel: {
                timer.cancel()
            }
        } catch {
            throw CancellationError()
        }
    }

    /// Runs `body` with every task and default actor it reaches on this loop, and every
    /// `SystemClock` sleep among them on the loop's timers.
    public func run(_ body: () async throws -> Void) async throws {
        try await SystemClock.$timers.withValue(self) {
            try await withTaskExecutorPreference(self, operation: body)
        }
    }
}
