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
/// Each notification is queued for the store's journal of decided notifications in the
/// order of the decisions, ahead of anything the outbox does with it (both run on the
/// store thread), so a crash after the journal took it loses nothing: the outbox takes
/// what the journal still holds when the agent starts again (`AgentStore+Decided`).
struct AgentNotifier: Sendable {
    let node: NodeIdentity
    let peer: String
    let storeThread: StoreThread
    let clock: any AgentClock
    /// The notifications in the order they were decided, with their journal id, for the
    /// outbox: one element per decision (a batch of check changes is one).
    let queued: AsyncStream<[Decided]>
    private let queue: AsyncStream<[Decided]>.Continuation

    /// A notification as decided, and where its row in the journal will be.
    struct Decided: Sendable {
        var notification: NotifiableEvent
        var journal: JournalEntry
    }

    init(node: NodeIdentity, peer: String, storeThread: StoreThread, clock: any AgentClock) {
        self.clock = clock
        self.node = node
        self.peer = peer
        self.storeThread = storeThread
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

    /// Journals `notification` and queues it for the outbox, after every one queued before it.
    func journalAndQueue(_ notification: NotifiableEvent) {
        journalAndQueue([notification])
    }

    /// Journals `notifications` in one transaction and queues them, in order.
    func journalAndQueue(_ notifications: [NotifiableEvent]) {
        guard !notifications.isEmpty else { return }
        let encoder = JSONEncoder()
        // Every one encodes (a NotifiableEvent is plain values); if one did not, none is
        // journaled rather than ids being matched to the wrong notification.
        let encoded = try? notifications.map { try encoder.encode($0) }
        let journal = JournalRows()
        if let encoded {
            let at = clock.date
            let kinds = notifications.map(\.kind)
            // Never dropped: the outbox's own copy is in memory, the journal's on disk.
            storeThread.write("journal \(notifications.count) decided notification(s)", keep: .always) { store in
                // Refused and asked again after the outbox took the batch: nothing to keep.
                guard !journal.taken else { return }
                journal.ids = try store.journalDecided(encoded, at: at)
                for kind in kinds { Failpoint.afterDeciding(kind) }
            }
        }
        queue.yield(notifications.enumerated().map { Decided(notification: $0.element, journal: JournalEntry(rows: journal, index: $0.offset)) })
    }

    /// No more notifications (the agent stops): the queue ends once drained.
    func finish() {
        queue.finish()
    }
}

/// The journal rows of one batch of decided notifications, known once the store thread
/// wrote them (before any outbox job queued after the batch runs there).
final class JournalRows: @unchecked Sendable {
    /// Written and read on the store thread only.
    var ids: [Int64]?
    /// The outbox took the batch (committed or kept in memory): set on the store thread.
    var taken = false

    init(ids: [Int64]? = nil) {
        self.ids = ids
    }
}

/// One notification's row in the journal: read on the store thread, where the outbox
/// clears it once it committed the notification.
struct JournalEntry: Sendable {
    let rows: JournalRows
    let index: Int

    /// The row's id, nil when the journal refused the batch (the outbox keeps it in memory).
    var id: Int64? {
        rows.ids.flatMap { index < $0.count ? $0[index] : nil }
    }
}
