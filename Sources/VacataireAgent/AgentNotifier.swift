import Foundation
import Logging
import VacataireCore
import VacataireNotify

/// Builds the agent's notifications and hands them to the durable outbox through one
/// ordered queue (`queued`, which the agent drains into the outbox), so that they are
/// committed in the order the machine decided them; the outbox delivers them on their own
/// tasks: a slow or dead SMTP server never delays heartbeats, checks or a takeover.
struct AgentNotifier: Sendable {
    let node: NodeIdentity
    let peer: String
    /// The notifications in the order they were decided, for the outbox.
    let queued: AsyncStream<NotifiableEvent>
    private let queue: AsyncStream<NotifiableEvent>.Continuation

    init(node: NodeIdentity, peer: String) {
        self.node = node
        self.peer = peer
        (queued, queue) = AsyncStream.makeStream(of: NotifiableEvent.self)
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

    /// Queues `notification` for the outbox, after every one queued before it; returns at once.
    func send(_ notification: NotifiableEvent) {
        queue.yield(notification)
    }

    /// No more notifications (the agent stops): the queue ends once drained.
    func finish() {
        queue.finish()
    }
}
