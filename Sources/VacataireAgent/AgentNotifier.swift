import Foundation
import Logging
import VacataireCore
import VacataireNotify

/// Sends the agent's notifications on their own tasks, so that a slow or dead SMTP server
/// never delays heartbeats, checks or a takeover. Each delivery's outcome is logged and
/// counted (`vacataire_notifications_total`).
///
/// Delivery is attempted once per destination; the durable outbox with retries is the
/// notifier issue's work.
struct AgentNotifier: Sendable {
    let sender: NotificationSender
    let node: NodeIdentity
    let peer: String
    let metrics: AgentMetrics
    let logger: Logger

    init(config: Config, templates: TemplateSet, peer: String, metrics: AgentMetrics, logger: Logger) {
        sender = NotificationSender(config: config, templates: templates)
        node = config.node
        self.peer = peer
        self.metrics = metrics
        self.logger = logger
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

    /// Starts delivering `notification` to every destination and returns at once.
    @discardableResult
    func send(_ notification: NotifiableEvent) -> Task<[DeliveryOutcome], Never> {
        let sender = sender
        let logger = logger
        let metrics = metrics
        return Task.detached {
            let outcomes = await sender.send(notification, channels: Set(NotifyChannel.allCases))
            for outcome in outcomes {
                metrics.notification(succeeded: outcome.succeeded)
                if outcome.succeeded {
                    logger.info("notification \(notification.kind.rawValue) sent: \(outcome.line)")
                } else {
                    logger.error("notification \(notification.kind.rawValue) not delivered: \(outcome.line)")
                }
            }
            return outcomes
        }
    }
}
