import Foundation

/// Every way a date is written, in one place: for logs and records, for an email's
/// header, and for people in the machine's time zone.
public enum DateText {
    /// "2026-11-27T23:14:09Z": logs, the event history, templates' `time_iso`.
    public static func iso8601(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// "Fri, 27 Nov 2026 23:14:09 +0000": an email's `Date:` header (RFC 5322), in UTC.
    public static func rfc5322(_ date: Date) -> String {
        written(date, as: "%a, %d %b %Y %H:%M:%S +0000", local: false)
    }

    /// "2026-11-27 23:14:09 CET" in the machine's time zone (templates' `time_local`);
    /// without the zone for the command line's tables.
    public static func local(_ date: Date, withZone: Bool = true) -> String {
        written(date, as: withZone ? "%Y-%m-%d %H:%M:%S %Z" : "%Y-%m-%d %H:%M:%S", local: true)
    }

    /// "2026-12-07 21:42:21.123" in UTC, to the millisecond (rounded down): how the store
    /// keeps a time. It is the text GRDB writes for a bound `Date`, so that rows written
    /// either way sort and compare alike; GRDB writes it with a `DateFormatter`.
    public static func stored(_ date: Date) -> String {
        let milliseconds = min(date.unixMilliseconds, UInt64(writable.upperBound) * 1000 + 999)
        let fraction = String(milliseconds % 1000)
        return written(seconds: time_t(milliseconds / 1000), as: "%Y-%m-%d %H:%M:%S", local: false)
            + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    private static func written(_ date: Date, as format: String, local: Bool) -> String {
        let seconds = date.timeIntervalSince1970
        let kept = seconds.isFinite ? min(max(seconds.rounded(.down), writable.lowerBound), writable.upperBound) : 0
        return written(seconds: time_t(kept), as: format, local: local)
    }

    /// The seconds since 1970 that are written as they are: years 1 to 9999. A date read
    /// from elsewhere (a planted row, a clock gone wrong) is held to them, as `time_t(_:)`
    /// traps beyond its range and `gmtime_r` fails beyond a year that fits an `Int32`.
    private static let writable: ClosedRange<Double> = -62_135_596_800...253_402_300_799

    /// The C library's `strftime` in the POSIX locale (English names whatever the
    /// environment says), to the second. Foundation's `DateFormatter` would do the same
    /// through ICU, and its data and code would then stay resident in the agent (about
    /// 3 MiB) for a few dates a day; FoundationEssentials' format styles run several times
    /// the code of these few lines of the C library every agent has mapped anyway.
    private static func written(seconds: time_t, as format: String, local: Bool) -> String {
        var seconds = seconds
        var fields = tm()
        if local {
            tzset()  // the zone as the machine has it now, as a new process would see it
            localtime_r(&seconds, &fields)
        } else {
            gmtime_r(&seconds, &fields)
        }
        var buffer = [CChar](repeating: 0, count: 96)
        let count = strftime_l(&buffer, buffer.count, format, &fields, posixLocale)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Made once, never freed; only read by `strftime_l`. Glibc's LC_TIME_MASK is
    /// `1 << LC_TIME`, a macro Swift does not import.
    private nonisolated(unsafe) static let posixLocale = newlocale(1 << LC_TIME, "POSIX", nil)
}

extension Date {
    /// Whole milliseconds since 1970-01-01 UTC, rounded down; 0 before 1970 (a clock gone
    /// wrong), saturating: the one place wall-clock time becomes milliseconds (peer
    /// messages' send times, boot generations, Message-IDs).
    public var unixMilliseconds: UInt64 {
        let seconds = timeIntervalSince1970
        guard seconds.isFinite, seconds > 0 else { return 0 }
        let milliseconds = (seconds * 1000).rounded(.down)
        return milliseconds >= Double(UInt64.max) ? UInt64.max : UInt64(milliseconds)
    }
}
