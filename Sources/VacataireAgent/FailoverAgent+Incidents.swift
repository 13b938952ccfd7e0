import Foundation
import VacataireCore
import VacataireNotify
import VacatairePeer
import VacataireStore

extension FailoverAgent {
    /// The node's incident schedule from the configuration.
    static func reminders(_ config: Config) -> IncidentReminders {
        IncidentReminders(repeatInterval: config.incidents.repeatInterval.duration, confirmTimeout: config.incidents.confirmTimeout.duration)
    }

    /// Whether this node serves now (it tells its peer `active`), and so reminds of the
    /// role-change incidents it did not page itself. A node taking the service over does
    /// not yet: during a failback the node that still serves, and paged the incident,
    /// reminds of it until the failback closes it, so that a reminder due then goes once.
    var servesIncidents: Bool {
        coordinator.advertisedRole == .active
    }

    /// Sends what the incident schedule says is due: reminders, pages the peer did not confirm.
    func sendDueIncidentNotices() {
        for action in reminders.due(now: clock.now, serving: servesIncidents) {
            switch action {
            case .remind(let id, let kind, let reason, let openFor, let count):
                let line = "incident \(id) (\(kind.rawValue)) open for \(Duration.span(seconds: openFor)) and not acknowledged "
                    + "(reminder \(count), every \(config.incidents.repeatInterval)): \(reason)"
                logger.notice("\(line)")
                record(.notify, kind: .reminder, incident: id, reason: "\(line); paged by \(config.node.name)")
                queueNotification(notifier.event(.reminder, incident: id, reason: line))
            case .pageForPeer(let id, let kind, let reason):
                let why = "\(failover.peer.name) did not confirm delivering it within \(config.incidents.confirmTimeout)"
                logger.warning("incident \(id) (\(kind.rawValue)) paged by \(config.node.name): \(why)")
                record(.notify, kind: kind, incident: id, reason: "incident \(id) paged by \(config.node.name): \(why)")
                queueNotification(notifier.event(kind, incident: id, reason: "\(reason) (paged by \(config.node.name): \(why))"))
            case .acknowledgementExpired(let id):
                logger.notice("the acknowledgement of incident \(id) expired; reminders resume")
                record(.incident, incident: id, reason: "the acknowledgement of incident \(id) expired; reminders resume")
            }
        }
    }

    /// A page about an incident was delivered from here: the coordinator tells the peer,
    /// so that it does not page it too.
    func pageDelivered(_ notification: NotifiableEvent) {
        activity.ring()
        guard let text = notification.incidentID, let id = IncidentID(storedText: text) else { return }
        record(.notify, kind: notification.kind, incident: id,
               reason: "\(notification.kind.rawValue) of incident \(id) delivered by \(config.node.name); confirmed to \(failover.peer.name)")
        apply(coordinator.handle(.pageDelivered(id), now: now()))
    }
}
