import Foundation
import VacataireCore

// VacataireNotify: turns events into messages and delivers them.
//
// Events → `NotifiableEvent` (what happened) → `TemplateSet` (Mustache text per event
// kind) → channels: `SMTPChannel` (email through libcurl) and `SNMPChannel` (traps through
// Net-SNMP). Everything that can fail returns a `DeliveryError` naming the destination.

/// One event to tell humans and the NMS about, with everything a template may show.
public struct NotifiableEvent: Sendable, Codable {
    /// The state of one check at the time of the event.
    public struct CheckSummary: Sendable, Codable {
        public var name: String
        public var status: String
        public var output: String

        public init(name: String, status: String, output: String) {
            self.name = name
            self.status = status
            self.output = output
        }
    }

    public var kind: EventKind
    public var node: String
    public var cluster: String
    public var peer: String?
    public var incidentID: String?
    public var oldRole: String?
    public var newRole: String?
    /// The one-line reason sentence of the transition or command.
    public var reason: String
    public var checks: [CheckSummary]
    public var time: Date
    public var ackAuthor: String?
    public var ackComment: String?
    public var suppressedCount: Int
    public var suppressedSummary: String?
    /// The email Message-ID, fixed when the notification enters the outbox so that a
    /// repeated delivery (at-least-once) is recognisable; nil: a fresh one per send.
    public var messageID: String?
    /// When the outbox hands it to a server: a notification written long before (a node cut
    /// off from its mail server, a server that was down) says that it is late.
    public var deliveredAt: Date?

    /// What this node wrote about the same incident and never sent, because it was no
    /// longer news when it could have been (a node cut off from its peer and its mail
    /// server): one line each, told here instead (`NotificationOutbox.fold`).
    public var folded: [String]?

    /// How long after it was written a notification counts as late.
    public static let lateAfter: TimeInterval = 5

    public init(
        kind: EventKind, node: String, cluster: String, peer: String? = nil, incidentID: String? = nil,
        oldRole: String? = nil, newRole: String? = nil, reason: String, checks: [CheckSummary] = [],
        time: Date, ackAuthor: String? = nil, ackComment: String? = nil,
        suppressedCount: Int = 0, suppressedSummary: String? = nil
    ) {
        self.kind = kind
        self.node = node
        self.cluster = cluster
        self.peer = peer
        self.incidentID = incidentID
        self.oldRole = oldRole
        self.newRole = newRole
        self.reason = reason
        self.checks = checks
        self.time = time
        self.ackAuthor = ackAuthor
        self.ackComment = ackComment
        self.suppressedCount = suppressedCount
        self.suppressedSummary = suppressedSummary
    }

    /// The variables a template sees; Docs/templates.md lists each with an example.
    public var templateContext: [String: Any] {
        var context: [String: Any] = [
            "event": kind.rawValue,
            "node": node,
            "cluster": cluster,
            "reason": reason,
            "time_iso": DateText.iso8601(time),
            "time_local": DateText.local(time),
            "checks": checks.map { ["name": $0.name, "status": $0.status, "output": $0.output] },
            "has_checks": !checks.isEmpty,
            "suppressed_count": suppressedCount,
            "has_suppressed": suppressedCount > 0,
            "folded": (folded ?? []).map { ["line": $0] },
            "has_folded": !(folded ?? []).isEmpty,
            "version": VacataireCore.version,
        ]
        let optional: [String: String?] = [
            "peer": peer, "incident_id": incidentID, "old_role": oldRole, "new_role": newRole,
            "ack_author": ackAuthor, "ack_comment": ackComment, "suppressed_summary": suppressedSummary,
        ]
        for (key, value) in optional {
            if let value { context[key] = value }
        }
        if let deliveredAt, deliveredAt.timeIntervalSince(time) >= Self.lateAfter {
            context["late"] = "delivered late, \(Duration.span(seconds: deliveredAt.timeIntervalSince(time))) after it was written: "
                + "\(node) could not send it until now"
        }
        return context
    }
}
