import Foundation

extension ConfigReader {
    /// An optional duration that must lie within `bounds`; absent reads as `fallback`.
    ///
    /// A value outside the bounds is a located problem (`FILE:LINE: KEY: must be at most
    /// 1h, found 1e19s`) and reads as `fallback`, so that the checks that compare it with
    /// other settings do not report the same mistake a second time.
    public func duration(
        _ key: String, default fallback: ConfigDuration, within bounds: ClosedRange<ConfigDuration>
    ) -> ConfigDuration {
        guard let value = optional(key, ConfigDuration.self) else { return fallback }
        if value < bounds.lowerBound {
            problem(key, "must be at least \(bounds.lowerBound), found \(value)")
            return fallback
        }
        if value > bounds.upperBound {
            problem(key, "must be at most \(bounds.upperBound), found \(value)")
            return fallback
        }
        return value
    }
}

extension ConfigDuration {
    /// A duration of `milliseconds` ms, for bounds written in code.
    public init(milliseconds: Double) {
        self.init(seconds: milliseconds / 1_000)
    }

    /// The bounds of the failover timings (`heartbeat_interval` apart): long enough to be a
    /// real timing, short enough that a node still reacts within the hour.
    static let failoverTiming = ConfigDuration(milliseconds: 50)...ConfigDuration(seconds: 3_600)

    /// The bounds of a start, stop, status or fence command's timeout: `/bin/sh` alone
    /// takes milliseconds to start, and an action that needs more than an hour is a hang.
    public static let actionTimeout = ConfigDuration(milliseconds: 100)...ConfigDuration(seconds: 3_600)
}
