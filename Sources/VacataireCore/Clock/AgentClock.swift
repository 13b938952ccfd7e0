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
}
