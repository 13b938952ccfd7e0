import Foundation

/// The daemon's one source of time (Docs/architecture.md, "One clock"). The failover
/// machine, the check scheduler, the outbox, the rate limiter and the incident reminders
/// read it and wait on it; nothing above the pure layer calls `Date()` or
/// `ContinuousClock` for a decision. The daemon runs on `SystemClock`; tests run whole
/// incidents on a manual clock that only moves when they advance it.
public protocol AgentClock: Sendable {
    /// Monotonic time since the clock started: timers, the machine's deadlines.
    var now: MonotonicInstant { get }
    /// Wall-clock time, for what people read (records, messages, reminders' "open for").
    var date: Date { get }
    /// Returns once `now` has reached `deadline`; throws `CancellationError` when the
    /// waiting task is cancelled first.
    func sleep(until deadline: MonotonicInstant) async throws
    /// Calls `fire` at `deadline` without a task asleep for it, unless the timer is cancelled
    /// first, where the clock can (the daemon's event loop); nil where it cannot, and the
    /// caller sleeps instead. A wait for "a ring or a deadline" then costs one continuation
    /// instead of a task group of two sleeping tasks, and a timer cancelled wakes nobody.
    func timer(at deadline: MonotonicInstant, _ fire: @escaping @Sendable () -> Void) -> LoopTimer?
}

extension AgentClock {
    public func timer(at deadline: MonotonicInstant, _ fire: @escaping @Sendable () -> Void) -> LoopTimer? {
        nil
    }
}

/// A timer set with `AgentClock.timer(at:_:)`; `cancel()` removes it if it has not fired.
public struct LoopTimer: Sendable {
    private let cancelling: @Sendable () -> Void

    public init(cancel: @escaping @Sendable () -> Void) {
        cancelling = cancel
    }

    public func cancel() {
        cancelling()
    }
}

extension AgentClock {
    /// Wall-clock milliseconds since 1970 (peer messages' send times, boot generations).
    public var unixMilliseconds: UInt64 {
        date.unixMilliseconds
    }

    /// Returns after `duration` on this clock (see `sleep(until:)`).
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now + duration)
    }
}

/// Real time: monotonic instants from `ContinuousClock`, dates from the system clock.
///
/// Its sleeps are Swift's (`Task.sleep`) unless the task runs with `SystemClock.timers` set:
/// the daemon sets it to its event loop, where a timer fires from the loop's own wait and a
/// cancelled sleep removes its timer (a check that answers before its timeout costs no
/// wake-up at the timeout). Instants are this clock's either way.
public struct SystemClock: AgentClock {
    /// Where the sleeps of the tasks that set it wait (the daemon's event loop).
    @TaskLocal public static var timers: (any TimerLoop)?

    private let origin: ContinuousClock.Instant

    public init() {
        origin = ContinuousClock.now
    }

    public var now: MonotonicInstant {
        MonotonicInstant(nanoseconds: UInt64(max(0, (ContinuousClock.now - origin).nanoseconds)))
    }

    public var date: Date { Date() }

    public func timer(at deadline: MonotonicInstant, _ fire: @escaping @Sendable () -> Void) -> LoopTimer? {
        Self.timers?.schedule(after: deadline.since(now), fire)
    }

    public func sleep(until deadline: MonotonicInstant) async throws {
        if let timers = Self.timers {
            try await timers.sleep(for: deadline.since(now))
        } else {
            try await Task.sleep(until: origin + .nanoseconds(Int64(clamping: deadline.nanoseconds)), clock: .continuous)
        }
    }
}

/// Timers of an event loop, for `SystemClock.timers`.
public protocol TimerLoop: Sendable {
    /// Returns after `delay` (at once when it is not positive); throws `CancellationError`
    /// when the waiting task is cancelled first.
    func sleep(for delay: Duration) async throws
    /// Calls `fire` on the loop after `delay` (at its next turn when not positive), unless
    /// the timer is cancelled first.
    func schedule(after delay: Duration, _ fire: @escaping @Sendable () -> Void) -> LoopTimer
}
