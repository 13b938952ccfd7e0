import Foundation

/// The `rate_limit:` section: how many notices each destination may get, how long an
/// identical notice is held back as a duplicate, and when a check counts as flapping
/// (Docs/notifications.md, "Rate limiting, de-duplication and flapping").
/// `NotificationLimiter` applies it; pages are never limited.
public struct RateLimitConfig: Sendable, Equatable {
    /// Notices a destination may get at once, after a quiet spell (the bucket's size).
    public var burst: Int
    /// Tokens added to each destination's bucket per minute.
    public var refillPerMinute: Double
    /// A notice with the same kind, subject and reason as one sent this recently is a duplicate.
    public var dedupeWindow: ConfigDuration
    public var flapping: Flapping

    /// Nagios-style flap detection for one check, with hysteresis.
    public struct Flapping: Sendable, Equatable {
        /// The times of this many latest state changes are kept; the percent state change
        /// is the number of them inside `window`, over `history`.
        public var history: Int
        public var window: ConfigDuration
        /// Above this percent the check starts flapping...
        public var highPercent: Double
        /// ...and it stops below this one.
        public var lowPercent: Double

        public init(history: Int = 21, window: ConfigDuration = ConfigDuration(seconds: 600), highPercent: Double = 50, lowPercent: Double = 25) {
            self.history = history
            self.window = window
            self.highPercent = highPercent
            self.lowPercent = lowPercent
        }
    }

    public init(
        burst: Int = 5, refillPerMinute: Double = 6, dedupeWindow: ConfigDuration = ConfigDuration(seconds: 300),
        flapping: Flapping = Flapping()
    ) {
        self.burst = burst
        self.refillPerMinute = refillPerMinute
        self.dedupeWindow = dedupeWindow
        self.flapping = flapping
    }

    static func read(_ reader: ConfigReader) -> RateLimitConfig {
        var limits = RateLimitConfig()
        limits.burst = reader.optional("burst", Int.self) ?? limits.burst
        limits.refillPerMinute = reader.optional("refill", Int.self).map(Double.init) ?? limits.refillPerMinute
        limits.dedupeWindow = reader.optional("dedupe_window", ConfigDuration.self) ?? limits.dedupeWindow
        if !(1...1000).contains(limits.burst) {
            reader.problem("burst", "must be between 1 and 1000 notices, found \(limits.burst)")
        }
        if !(1...6000).contains(limits.refillPerMinute) {
            reader.problem("refill", "must be between 1 and 6000 notices per minute, found \(Int(limits.refillPerMinute))")
        }
        if let flapping = reader.mapping("flapping") {
            limits.flapping = Flapping.read(flapping)
        }
        reader.finish()
        return limits
    }
}

extension RateLimitConfig.Flapping {
    static func read(_ reader: ConfigReader) -> RateLimitConfig.Flapping {
        var flapping = RateLimitConfig.Flapping()
        flapping.history = reader.optional("history", Int.self) ?? flapping.history
        flapping.window = reader.optional("window", ConfigDuration.self) ?? flapping.window
        flapping.highPercent = reader.optional("high", Int.self).map(Double.init) ?? flapping.highPercent
        flapping.lowPercent = reader.optional("low", Int.self).map(Double.init) ?? flapping.lowPercent
        if !(2...1000).contains(flapping.history) {
            reader.problem("history", "must be between 2 and 1000 state changes, found \(flapping.history)")
        }
        if flapping.window.seconds < 0.1 {
            reader.problem("window", "must be at least 100ms, found \(flapping.window)")
        }
        if !(1...100).contains(flapping.highPercent) {
            reader.problem("high", "must be a percent between 1 and 100, found \(Int(flapping.highPercent))")
        }
        if !(0...100).contains(flapping.lowPercent) || flapping.lowPercent >= flapping.highPercent {
            reader.problem("low", "must be a percent below `high` (\(Int(flapping.highPercent))), found \(Int(flapping.lowPercent))")
        }
        reader.finish()
        return flapping
    }
}
