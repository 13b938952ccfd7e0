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
        formatter("EEE, dd MMM yyyy HH:mm:ss '+0000'", zone: TimeZone(identifier: "UTC")).string(from: date)
    }

    /// "2026-11-27 23:14:09 CET" in the machine's time zone (templates' `time_local`);
    /// without the zone for the command line's tables.
    public static func local(_ date: Date, withZone: Bool = true) -> String {
        formatter(withZone ? "yyyy-MM-dd HH:mm:ss zzz" : "yyyy-MM-dd HH:mm:ss", zone: .current).string(from: date)
    }

    /// A fixed-format formatter (POSIX locale, so that no user setting changes the text).
    /// Made per call: DateFormatter is not Sendable, and dates are written rarely.
    private static func formatter(_ format: String, zone: TimeZone?) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = format
        return formatter
    }
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
