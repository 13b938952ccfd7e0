import Foundation
import VacataireCore

extension ControlRequest {
    /// The longest `ack --expires`: a year, like the longest duration of the configuration.
    public static let maximumExpiresSeconds = ConfigDuration.maximum.seconds
    /// The longest `events --since`: ten years, older than any history kept.
    public static let maximumSinceSeconds = 10 * ConfigDuration.maximum.seconds
    /// The longest wait for an outcome the daemon grants.
    public static let maximumWaitSeconds = 600.0
    /// The longest comment kept with an acknowledgement.
    public static let maximumCommentBytes = 1_024
    /// `events` answers at most this many events at once (a reply of a few MB).
    public static let maximumEventLimit = 10_000
    /// How many events `events` answers without `--limit`.
    public static let defaultEventLimit = 1_000
    /// The channels `notify-test` may name; absent means both.
    public static let channels = ["email", "snmp"]

    /// Why this request cannot be carried out as written (a number out of range, an unknown
    /// channel), or nil when every field is within its bounds. The daemon answers `denied`
    /// with this sentence before acting, so no arithmetic ever sees such a value.
    public var limitProblem: String? {
        if let seconds = expiresSeconds, !(seconds.isFinite && seconds >= 1 && seconds <= Self.maximumExpiresSeconds) {
            return "expiresSeconds must be from 1 to \(Int(Self.maximumExpiresSeconds)) (365 days), found \(seconds)"
        }
        if let seconds = sinceSeconds, !(seconds.isFinite && seconds >= 0 && seconds <= Self.maximumSinceSeconds) {
            return "sinceSeconds must be from 0 to \(Int(Self.maximumSinceSeconds)) (10 years), found \(seconds)"
        }
        if let seconds = waitSeconds, !(seconds.isFinite && seconds >= 0 && seconds <= Self.maximumWaitSeconds) {
            return "waitSeconds must be from 0 to \(Int(Self.maximumWaitSeconds)), found \(seconds)"
        }
        if let limit, !(1...Self.maximumEventLimit).contains(limit) {
            return "limit must be from 1 to \(Self.maximumEventLimit), found \(limit)"
        }
        if let channel, !Self.channels.contains(channel) {
            return "channel must be one of \(Self.channels.joined(separator: ", ")) (or absent for both), found `\(channel.prefix(64))`"
        }
        if let comment, comment.utf8.count > Self.maximumCommentBytes {
            return "comment is \(comment.utf8.count) bytes; at most \(Self.maximumCommentBytes) are kept"
        }
        for (name, value) in [("incident", incident), ("to", to)] {
            if let value, value.utf8.count > 128 {
                return "\(name) is \(value.utf8.count) bytes long; at most 128"
            }
        }
        return nil
    }

    /// Whether the command changes state or sends pages, and so needs root or `control.group`.
    public var needsAdminRights: Bool {
        switch command {
        case .status, .events: return false
        case .failback, .ready, .switchover, .maintenance, .ack, .notifyTest, .doctor, .drill: return true
        }
    }
}
