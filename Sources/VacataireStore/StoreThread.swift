import Foundation
import Synchronization
import VacataireCore

/// The one thread that touches the store while the agent runs, so that a disk that stalls
/// (a frozen file system, a dying device, an fsync that takes seconds) stalls this thread
/// only: the agent's actor, its heartbeats and checks and the control socket go on, and
/// the agent learns of the stall by watching `progress` on its own clock.
///
/// It runs three kinds of work, in the order they were queued:
/// - **writes** the agent does not wait for (`write`): events, incidents, the journal of
///   decided notifications, and the role and epoch. A write the store refuses (a full
///   disk) stays first in line and the writes behind it wait, in order, until `retry()`
///   finds the store taking writes again; beyond `limit` waiting writes, the oldest
///   `.history` write is dropped and counted (`takeDropped`).
/// - **answers** the agent waits for with a deadline (`answer`): status reads.
/// - **jobs of an actor** whose executor this is (the outbox): its store calls then run
///   here, in order with the writes queued before them, and never on a thread of Swift's
///   cooperative pool.
/// Answers and actor jobs never wait behind a refused write (they fail or succeed on their
/// own, and the outbox keeps what the store refuses in memory); only a stalled call holds
/// everything queued after it, which is what `progress.running` shows.
///
/// The thread lives as long as the process: the outbox may still finish a delivery after
/// the agent stopped and closed the store on this thread (its record then fails, as any
/// call on a closed store does, instead of racing the close).
public final class StoreThread: SerialExecutor, @unchecked Sendable {
    /// What may become of a write when too many wait.
    public enum Keep: Sendable {
        /// The event history: dropped, oldest first, beyond `limit` (and counted).
        case history
        /// The role and epoch, incidents, the notification journal: never dropped.
        case always
    }

    public let store: AgentStore
    /// Rings whenever a call ends (a write done or refused, a read, an outbox job): the
    /// agent then reads `progress`.
    public let bell = Doorbell()
    private let limit: Int
    private let condition = NSCondition()
    private var state = State()

    private enum Work {
        case write(Keep, @Sendable (AgentStore) throws -> Void)
        case run(@Sendable () -> Void)
    }

    private struct Job {
        var number: UInt64
        var what: String
        var work: Work

        var isWrite: Bool {
            if case .write = work { return true }
            return false
        }

        var isHistory: Bool {
            if case .write(.history, _) = work { return true }
            return false
        }
    }

    private struct State {
        var queued: [Job] = []
        var lastNumber: UInt64 = 0
        var writtenThrough: UInt64 = 0
        var running: Progress.Running?
        /// The write the store refused, first in line again at `retry()`.
        var refused: (job: Job, why: String)?
        var retryAsked = false
        var dropped = 0
    }

    /// Where the thread is, read by the agent at each tick and ring.
    public struct Progress: Sendable, Equatable {
        public struct Running: Sendable, Equatable {
            /// The call's number in the queue (a new number is a new call).
            public var number: UInt64
            public var what: String
        }

        /// Every write numbered up to this one is in the store.
        public var writtenThrough: UInt64
        /// The call on the thread now, if any.
        public var running: Running?
        /// Why the store refused the write that waits first in line.
        public var refused: String?
        /// Writes waiting (the refused one included).
        public var waitingWrites: Int
        /// Whether nothing is queued, running or refused.
        public var isIdle: Bool {
            running == nil && refused == nil && waitingWrites == 0 && !busy
        }
        var busy: Bool
    }

    public init(store: AgentStore, limit: Int = 10_000) {
        self.store = store
        self.limit = max(1, limit)
        let thread = Thread { [self] in work() }
        thread.name = "vacataire-store"
        thread.start()
    }

    /// Queues `write` after everything queued before; returns its number, which
    /// `progress.writtenThrough` reaches once it is in the store.
    @discardableResult
    public func write(_ what: String, keep: Keep = .history, _ write: @escaping @Sendable (AgentStore) throws -> Void) -> UInt64 {
        condition.withLock {
            if case .history = keep, waitingWritesLocked >= limit,
               let oldest = state.queued.firstIndex(where: \.isHistory) {
                state.queued.remove(at: oldest)
                state.dropped += 1
            }
            return enqueueLocked(what, .write(keep, write))
        }
    }

    /// Runs `read` after everything queued before and returns what it returned, or nil
    /// when `limit` passes on `clock` first (a stalled disk: the read still runs later,
    /// its answer unused).
    public func answer<T: Sendable>(
        _ what: String, within limit: Duration, clock: any AgentClock, _ read: @escaping @Sendable (AgentStore) throws -> T
    ) async -> Result<T, any Error>? {
        let once = OnceValue<Result<T, any Error>?>()
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await clock.sleep(for: limit)
                once.give(nil)  // ignored when the read answered first
            }
            let store = store
            let answer = await once.wait {
                condition.withLock {
                    _ = enqueueLocked(what, .run { once.give(Result { try read(store) }) })
                }
            }
            group.cancelAll()
            return answer
        }
    }

    /// Asks the store again for the write it refused (at the agent's retry period).
    public func retry() {
        condition.withLock {
            guard state.refused != nil else { return }
            state.retryAsked = true
            condition.signal()
        }
    }

    public var progress: Progress {
        condition.withLock {
            Progress(writtenThrough: state.writtenThrough, running: state.running, refused: state.refused?.why,
                     waitingWrites: waitingWritesLocked, busy: !state.queued.isEmpty)
        }
    }

    /// Writes queued or refused (under the lock).
    private var waitingWritesLocked: Int {
        state.queued.lazy.filter(\.isWrite).count + (state.refused == nil ? 0 : 1)
    }

    /// The writes dropped since the last call (beyond `limit`, while the store refused them).
    public func takeDropped() -> Int {
        condition.withLock {
            defer { state.dropped = 0 }
            return state.dropped
        }
    }

    /// Runs `last` on the thread once everything queued before has run and returns true,
    /// or returns false when `limit` passes on `clock` first (a stalled disk keeps the
    /// writes until it answers or the process exits). Writes the store refuses are not
    /// tried again here.
    public func drain(within limit: Duration, clock: any AgentClock, then last: @escaping @Sendable (AgentStore) -> Void = { _ in }) async -> Bool {
        await answer("drain", within: limit, clock: clock) { last($0) } != nil
    }

    // MARK: - SerialExecutor

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        condition.withLock {
            _ = enqueueLocked("outbox", .run { job.runSynchronously(on: executor) })
        }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    // MARK: - The thread

    private func enqueueLocked(_ what: String, _ work: Work) -> UInt64 {
        state.lastNumber += 1
        state.queued.append(Job(number: state.lastNumber, what: what, work: work))
        condition.signal()
        return state.lastNumber
    }

    /// The next job: the refused write when a retry is asked, else the first queued one,
    /// except that writes wait behind a refused write (answers and actor jobs do not).
    private func nextLocked() -> Job? {
        if let refused = state.refused {
            if state.retryAsked {
                state.retryAsked = false
                state.refused = nil
                return refused.job
            }
            guard let index = state.queued.firstIndex(where: { !$0.isWrite }) else { return nil }
            return state.queued.remove(at: index)
        }
        return state.queued.isEmpty ? nil : state.queued.removeFirst()
    }

    private func work() {
        condition.lock()
        while true {
            guard let job = nextLocked() else {
                condition.wait()
                continue
            }
            state.running = Progress.Running(number: job.number, what: job.what)
            condition.unlock()
            var refusal: String?
            switch job.work {
            case .run(let body):
                body()
            case .write(_, let write):
                do {
                    try write(store)
                } catch {
                    refusal = "\(error)"
                }
            }
            condition.lock()
            state.running = nil
            if job.isWrite {
                if let refusal {
                    state.refused = (job, refusal)
                } else {
                    state.writtenThrough = job.number
                }
            }
            condition.unlock()
            bell.ring()
            condition.lock()
        }
    }
}
