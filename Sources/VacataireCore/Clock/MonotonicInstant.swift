import Foundation

/// A point on the daemon's monotonic clock, in nanoseconds since an arbitrary origin.
///
/// The failover machine never reads a clock: every input carries `now` as one of these.
/// The daemon builds it from `ContinuousClock` (or `clock_gettime(CLOCK_MONOTONIC)`);
/// tests build it from plain numbers, so a test of "no heartbeat for 3 s" takes
/// microseconds. Only differences between instants mean anything.
public struct MonotonicInstant: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    /// An instant `seconds` after the origin; for tests and examples.
    public static func seconds(_ seconds: Double) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: UInt64((max(0, seconds) * 1_000_000_000).rounded()))
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// The instant `duration` later (a negative duration moves earlier, never below zero).
    public static func + (lhs: MonotonicInstant, rhs: Duration) -> MonotonicInstant {
        let delta = rhs.nanoseconds
        if delta >= 0 {
            let (sum, overflow) = lhs.nanoseconds.addingReportingOverflow(UInt64(delta))
            return MonotonicInstant(nanoseconds: overflow ? UInt64.max : sum)
        }
        let magnitude = UInt64(-delta)
        return MonotonicInstant(nanoseconds: lhs.nanoseconds > magnitude ? lhs.nanoseconds - magnitude : 0)
    }

    /// How long after `earlier` this instant is; zero when it is not later.
    public func since(_ earlier: MonotonicInstant) -> Duration {
        guard nanoseconds > earlier.nanoseconds else { return .zero }
        return .nanoseconds(Int64(clamping: nanoseconds - earlier.nanoseconds))
    }

    public var description: String { Duration.nanoseconds(Int64(clamping: nanoseconds)).humanSeconds }
}
