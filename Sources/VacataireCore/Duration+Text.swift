import Foundation

/// The one place durations become numbers and text: no hand conversion from attoseconds
/// elsewhere, and every way a duration is written for people or files is here.
extension Duration {
    /// Whole nanoseconds, saturating at `Int64` bounds.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? Int64.min : Int64.max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).overflow ? Int64.max : scaled + attoseconds / 1_000_000_000
    }

    /// Whole milliseconds, rounded down, saturating.
    public var milliseconds: Int64 {
        nanoseconds / 1_000_000
    }

    /// Whole seconds, rounded up (a part of a second counts as one).
    public var wholeSecondsRoundedUp: Int64 {
        let (seconds, attoseconds) = components
        return attoseconds > 0 ? seconds + 1 : seconds
    }

    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        Double(nanoseconds) / 1_000_000_000
    }

    /// "3.1 s", "250 ms": for reason sentences.
    public var humanSeconds: String {
        let value = seconds
        if value < 1 { return "\(Int((value * 1000).rounded())) ms" }
        return String(format: "%.1f s", value)
    }

    /// Seconds with one decimal only when needed, as action reports say it: `0.2 s`, `10 s`.
    public var secondsText: String {
        let value = seconds
        if value == value.rounded() { return "\(Int(value)) s" }
        return String(format: "%.1f s", value)
    }

    /// "42 s", "3 min", "2 h 5 min": how long something has lasted, for pages.
    public var spanText: String {
        // Clamped: a span from a clock gone wrong or a huge expiry must not trap.
        let value = seconds
        let whole = value.isFinite ? Int(min(max(0, value), 1e12).rounded()) : 0
        if whole < 120 { return "\(whole) s" }
        if whole < 7200 { return "\(whole / 60) min" }
        return "\(whole / 3600) h \(whole % 3600 / 60) min"
    }

    /// A span of `seconds` (see `spanText`), from a count of seconds that may be anything.
    public static func span(seconds: Double) -> String {
        clamped(seconds: seconds).spanText
    }

    /// A count of seconds read from elsewhere (a reply, a difference of dates) as a
    /// duration: negative, infinite or not-a-number is zero, and it never traps.
    public static func clamped(seconds: Double) -> Duration {
        guard seconds.isFinite else { return .zero }
        return .milliseconds(Int64(min(max(0, seconds), 1e12) * 1000))
    }

    /// The configuration's own spelling: `750ms`, `5s`, `2.5s`.
    public var shortText: String {
        let value = seconds
        if value < 1 { return "\(Int((value * 1000).rounded()))ms" }
        if value == value.rounded() { return "\(Int(value))s" }
        return String(format: "%.1fs", value)
    }
}

extension Date {
    /// The date `duration` after this one, its part of a second kept: a date set from a
    /// duration (an acknowledgement's expiry) ends when the monotonic schedule does.
    public func adding(_ duration: Duration) -> Date {
        addingTimeInterval(duration.seconds)
    }
}
