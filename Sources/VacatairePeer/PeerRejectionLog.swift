/// Rejected datagrams as log lines that a flood cannot multiply: the first rejection of
/// an interval is logged at once (with its detail), the others of that interval are
/// counted by source and reason, and summed up in one line per (source, reason) when the
/// interval is over (Docs/peer-protocol.md, "Rejected datagrams").
///
/// Pure: `PeerLink` feeds it each rejection with `now` (milliseconds) and logs the lines it
/// returns; tests drive it with plain numbers.
public struct PeerRejectionLog: Sendable {
    /// How often the summary lines may come, in milliseconds.
    public let intervalMilliseconds: UInt64
    /// The most (source, reason) pairs tallied per interval; others are counted together,
    /// so that a flood from forged sources cannot grow the tally without bound.
    public static let maximumSources = 64

    private struct Key: Hashable, Comparable {
        var source: String
        var reason: PeerRejectionReason

        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.source, lhs.reason.rawValue) < (rhs.source, rhs.reason.rawValue)
        }
    }

    private var intervalStart: UInt64?
    private var tally: [Key: Int] = [:]
    private var untallied = 0

    public init(intervalMilliseconds: UInt64 = 60_000) {
        self.intervalMilliseconds = max(1, intervalMilliseconds)
    }

    /// Records one rejection from `source`; returns the lines to log now: the rejection
    /// itself when it opens an interval, and the summary of a finished interval.
    public mutating func record(_ rejection: PeerRejection, from source: String, now: UInt64) -> [String] {
        var lines = flush(now: now)
        if intervalStart == nil {
            intervalStart = now
            lines.append("\(rejection) (from \(source); more rejections are summed up every \(intervalMilliseconds / 1_000) s)")
            return lines
        }
        let key = Key(source: source, reason: rejection.reason)
        if tally[key] != nil || tally.count < Self.maximumSources {
            tally[key, default: 0] += 1
        } else {
            untallied += 1
        }
        return lines
    }

    /// The summary of the interval, if it is over; call it also without rejections (each tick)
    /// so that the last burst is reported.
    public mutating func flush(now: UInt64) -> [String] {
        guard let start = intervalStart, now >= start &+ intervalMilliseconds || now < start else { return [] }
        let seconds = Double(now &- start) / 1_000
        var lines = tally.keys.sorted().map { key in
            "peer datagrams rejected (\(key.reason)): \(tally[key] ?? 0) from \(key.source) in the last \(Int(seconds.rounded())) s"
        }
        if untallied > 0 {
            lines.append("peer datagrams rejected: \(untallied) more from other sources in the last \(Int(seconds.rounded())) s")
        }
        intervalStart = lines.isEmpty ? nil : now
        tally = [:]
        untallied = 0
        return lines
    }
}
