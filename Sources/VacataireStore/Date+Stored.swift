import Foundation

extension Date {
    /// A time as the store keeps it: the text GRDB itself writes for a `Date`
    /// ("2026-12-07 21:42:21.123", UTC, milliseconds), so that old and new rows sort and
    /// compare alike. Written with FoundationEssentials' ISO 8601 style rather than bound
    /// as a `Date`: GRDB formats a bound `Date` with a `DateFormatter`, which opens ICU and
    /// keeps about 3 MiB of its data and code resident in an agent that otherwise never
    /// needs it.
    var storedText: String {
        formatted(Self.storedStyle)
    }

    private static let storedStyle = Date.ISO8601FormatStyle(
        dateSeparator: .dash, dateTimeSeparator: .space, timeSeparator: .colon,
        timeZoneSeparator: .omitted, includingFractionalSeconds: true, timeZone: TimeZone(secondsFromGMT: 0)!
    ).year().month().day().time(includingFractionalSeconds: true)
}
