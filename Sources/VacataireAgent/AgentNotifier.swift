import Foundation
import Logging
import VacataireCore
import VacataireNotify

/// Builds the agent's notifications and hands them to the durable outbox, which delivers
/// them on their own tasks: a slow or dead SMTP server never delays heartbeats, checks or
/// a takeover.
struct AgentNotifier: Sendable {
    let outbox: NotificationOutbox
    let node: NodeIdentity
    let peer: String

    init(outbox: NotificationOutbox, node: NodeIdentity, peer: String) {
        self.outbox = outbox
        self.node = node
        self.peer = peer
    }

    /// A notification of `kind` about this node, with the current checks' state.
    func event(
        _ kind: EventKind, incident: IncidentID?, reason: String, oldRole: ServiceRole? = nil,
        newRole: ServiceRole? = nil, checks: [NotifiableEvent.CheckSummary] = [],
        ackAuthor: String? = nil, ackComment: String? = nil
    ) -> NotifiableEvent {
        NotifiableEvent(
            kind: kind, node: node.name, cluster: node.cluster, peer: peer,
            incidentID: incident?.description, oldRole: oldRole?.rawValue, newRole: newRole?.rawValue,
            reason: reason, checks: checks, time: Date(), ackAuthor: ackAuthor, ackComment: ackComment
        )
    }

    /// Commits `notification` to the outbox and returns at once; delivery follows.
    func send(_ notification: NotifiableEvent) {
        let outbox = outbox
        Task { await outbox.enqueue(notification) }
    }
}
