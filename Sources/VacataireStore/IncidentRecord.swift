import Foundation
import VacataireCore

/// An incident as the store keeps it: opened by a role change or a problem, paged until
/// acknowledged, closed when the situation is over.
public struct IncidentRecord: Sendable, Equatable {
    /// Who acknowledged an incident, when, and why.
    public struct Acknowledgement: Sendable, Equatable {
        public var author: String
        public var comment: String?
        public var time: Date
        /// When reminders resume (the latest acknowledgement's `--expires`); nil: never.
        public var expiresAt: Date?

        public init(author: String, comment: String?, time: Date, expiresAt: Date? = nil) {
            self.author = author
            self.comment = comment
            self.time = time
            self.expiresAt = expiresAt
        }
    }

    public var id: IncidentID
    /// The event that opened it (`failover`, `takeover`, `peer-lost`...).
    public var kind: EventKind
    /// The one-line reason it was opened with (the latest one if it was reopened).
    public var reason: String
    public var openedAt: Date
    /// The first acknowledgement, local or from the peer; nil while it still pages.
    public var acknowledgement: Acknowledgement?
    public var closedAt: Date?
    public var closeReason: String?

    public init(
        id: IncidentID, kind: EventKind, reason: String, openedAt: Date,
        acknowledgement: Acknowledgement? = nil, closedAt: Date? = nil, closeReason: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.reason = reason
        self.openedAt = openedAt
        self.acknowledgement = acknowledgement
        self.closedAt = closedAt
        self.closeReason = closeReason
    }

    public var isOpen: Bool { closedAt == nil }
}

/// What `AgentStore.openIncident` did: page only for `opened` and `reopened`.
public enum IncidentOpening: Sendable, Equatable {
    /// A new incident.
    case opened
    /// It was open already (raised twice, or by both nodes): nothing changed.
    case alreadyOpen
    /// It had been closed and is open again, unacknowledged.
    case reopened
}
