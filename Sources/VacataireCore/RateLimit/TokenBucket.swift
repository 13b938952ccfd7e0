import Foundation

/// One destination's notice allowance: up to `burst` tokens, refilled continuously at
/// `perMinute`; each notice that goes out takes one.
struct TokenBucket: Sendable, Equatable {
    private(set) var tokens: Double
    private var updated: MonotonicInstant

    /// A full bucket: a destination that was quiet may get a whole burst at once.
    init(burst: Int, now: MonotonicInstant) {
        tokens = Double(burst)
        updated = now
    }

    /// Adds what has accrued since the last call, on the monotonic clock.
    mutating func refill(now: MonotonicInstant, burst: Int, perMinute: Double) {
        let elapsed = now.since(updated).seconds
        guard elapsed > 0 else { return }
        tokens = min(Double(burst), tokens + elapsed * perMinute / 60)
        updated = now
    }

    /// Takes one token if there is one.
    mutating func take() -> Bool {
        // A hair of tolerance, so that 10 s at 6 per minute makes a whole token.
        guard tokens >= 1 - 1e-9 else { return false }
        tokens = max(0, tokens - 1)
        return true
    }
}
