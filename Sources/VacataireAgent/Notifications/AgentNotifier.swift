import Foundation
import Logging
import VacataireCore
import VacataireNotify
import VacataireStore

/// Builds the agent's notifications and hands them to the durable outbox through one
/// ordered queue (`queued`, which the agent drains into the outbox), so that they are
/// committed in the order the machine decided them; the outbox delivers them on their own
/// tasks: a slow or dead SMTP server never delays heartbeats, checks or a takeover.
///
/// Each notification is written to the store's journal of decided notifications before
/// `send` returns, so a crash before the outbox took it loses nothing: the outbox takes
/// what the journal still holds when the agent starts again (`AgentStore+Decided`).
struct AgentNotifier: Sendable {
    let node: NodeIdentity
    let peer: String
    let store: AgentStore
    let clock: any AgentClock
    /// The notifications in the order they were decided, with their journal id, for the
    /// outbox: one element per decision (a batch of check changes is one).
    let queued: AsyncStream<[Decided]>
    private let queue: AsyncStream<[Decided]>.Continuation

    /// A notification as decided, and its row in the journal (nil: the store took no writes).
    struct Decided: Sendable {
        var notification: NotifiableEvent
        var journalID: Int64?
    }

    init(node: NodeIdentity, peer: String, store: AgentStore, clock: any AgentClock) {
        self.clock = clock
        self.node = node
        self.peer = peer
        self.store = store
        (queued, queue) = AsyncStream.makeStream(of: [Decided].self)
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
            reason: reason, checks: checks, time: clock.date, ackAuthor: ackAuthor, ackComment: ackComment
        )
    }

    /// Journals `notification` and queues it for the outbox, after every one queued before
    /// it; returns once it is journaled (or the store refused it: the outbox then keeps it
    /// in memory).
    func send(_ notification: NotifiableEvent) {
        send([notification])
    }

    /// Journals `notifications` in one transaction and queues them, in order.
    func send(_ notifications: [NotifiableEvent]) {
        guard !notifications.isEmpty else { return }
        let encoder = JSONEncoder()
        // Every one encodes (a NotifiableEvent is plain values); if one did not, none is
        // journaled rather than ids being matched to the wrong notification.
        let encoded = try? notifications.map { try encoder.encode($0) }
        let ids = encoded.flatMap { try? store.journalDecided($0, at: clock.date) }
        for notification in notifications { Failpoint.afterDeciding(notification.kind) }
        queue.yield(notifications.enumerated().map { Decided(notification: $0.element, journalID: ids?[$0.offset]) })
    }

    /// No more notifications (the agent stops): the queue ends once drained.
    func finish() {
        queue.finish()
    }
}
