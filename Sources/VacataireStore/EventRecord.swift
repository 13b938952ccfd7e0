import Foundation
import VacataireCore

/// One line of the event history: what happened, when, why, and to which incident.
public struct EventRecord: Sendable, Equatable {
    /// What part of the agent the event comes from.
    public enum Category: String, Sendable, CaseIterable {
        /// A state machine transition (`standby -> taking-over`).
        case transition
        /// A start, stop, status or fence command ran.
        case action
        /// A check changed state.
        case check
        /// The peer link: found, lost, a refused message.
        case peer
        /// An incident was opened, acknowledged or closed.
        case incident
        /// A notification was sent, suppressed or failed.
        case notify
        /// An admin command (`ack`, `failback`, `maintenance`...).
        case admin
        /// The agent started, stopped or reloaded its configuration.
        case agent
    }

    /// Assigned by the store; nil on a record not yet appended.
    public var id: Int64?
    public var time: Date
    public var category: Category
    /// The notifier's event kind, when the event is one.
    public var kind: EventKind?
    public var incident: IncidentID?
    /// One line, as logged ("taking over: no heartbeat for 3.1 s, witness reachable").
    public var reason: String
    /// More text, such as an action's output tail.
    public var detail: String?
    /// Who caused it, for admin commands and acknowledgements.
    public var author: String?

    public init(
        time: Date, category: Category, kind: EventKind? = nil, incident: IncidentID? = nil,
        reason: String, detail: String? = nil, author: String? = nil
    ) {
        self.time = time
        self.category = category
        self.kind = kind
        self.incident = incident
        self.reason = reason
        self.detail = detail
        self.author = author
    }
}
