import Foundation
import VacataireCore
import VacataireNotify
import VacatairePeer
import VacataireStore

/// What the peer link says about incidents beyond the state machine's view: the
/// acknowledgement's author, comment, incident and expiry on `ack`, and a delivery
/// confirmation on `status` (Docs/peer-protocol.md, "Incidents").
struct IncidentPeerDetail: Sendable, Equatable {
    /// `status` detail: the sender delivered a page of `incidentID`.
    static let delivered = "delivered"
    private static let expiresPrefix = "expires-in "

    /// The `ack` detail for an acknowledgement that lasts `seconds` more ("expires-in 600"),
    /// or nil for one that lasts until the incident is closed.
    static func ackDetail(expiresIn seconds: TimeInterval?) -> String? {
        seconds.map { "\(expiresPrefix)\(ConfigDuration(seconds: max(0, $0.rounded(.up))).milliseconds / 1_000)" }
    }

    /// The seconds an `ack` detail gives the acknowledgement; nil when it has none (or is not one).
    static func ackExpiry(_ detail: String?) -> TimeInterval? {
        guard let detail, detail.hasPrefix(expiresPrefix),
              let seconds = Int(detail.dropFirst(expiresPrefix.count)), seconds >= 0
        else { return nil }
        return min(TimeInterval(seconds), ControlRequest.maximumExpiresSeconds)
    }
}

/// An acknowledgement being carried out: the admin's (with its expiry) or the peer's.
struct PendingAcknowledgement: Sendable {
    var incident: IncidentID?
    var author: String?
    var comment: String?
    var expiresAt: Date?
    /// The peer's name when the acknowledgement was made there.
    var via: String?
}

extension FailoverAgent {
    /// The node's incident schedule from the configuration.
    static func reminders(_ config: Config) -> IncidentReminders {
        IncidentReminders(repeatInterval: config.incidents.repeatInterval.seconds, confirmTimeout: config.incidents.confirmTimeout.seconds)
    }

    /// Whether this node serves now, and so pages the role-change incidents.
    var servesIncidents: Bool {
        [.active, .takingOver].contains(machine.stateName) || machine.advertisedRole == .active
    }

    /// Sends what the incident schedule says is due: reminders, pages the peer did not confirm.
    func sendDueIncidentNotices() {
        let now = Date()
        for action in reminders.due(now: now, serving: servesIncidents) {
            switch action {
            case .remind(let id, let kind, let reason, let openFor, let count):
                let line = "incident \(id) (\(kind.rawValue)) open for \(NotifiableEvent.span(openFor)) and not acknowledged "
                    + "(reminder \(count), every \(config.incidents.repeatInterval)): \(reason)"
                logger.notice("\(line)")
                record(.notify, kind: .reminder, incident: id, reason: "\(line); paged by \(config.node.name)")
                notifier.send(notifier.event(.reminder, incident: id, reason: line))
            case .pageForPeer(let id, let kind, let reason):
                let why = "\(failover.peer.name) did not confirm delivering it within \(config.incidents.confirmTimeout)"
                logger.warning("incident \(id) (\(kind.rawValue)) paged by \(config.node.name): \(why)")
                record(.notify, kind: kind, incident: id, reason: "incident \(id) paged by \(config.node.name): \(why)")
                notifier.send(notifier.event(kind, incident: id, reason: "\(reason) (paged by \(config.node.name): \(why))"))
            case .acknowledgementExpired(let id):
                logger.notice("the acknowledgement of incident \(id) expired; reminders resume")
                record(.incident, incident: id, reason: "the acknowledgement of incident \(id) expired; reminders resume")
            }
        }
    }

    /// A page about an incident was delivered from here: tell the peer, so that it does
    /// not page it too.
    func pageDelivered(_ notification: NotifiableEvent) {
        guard let text = notification.incidentID, let id = IncidentID(storedText: text) else { return }
        let message = FailoverMessage(kind: .status, epoch: machine.epoch, role: machine.advertisedRole, healthy: machine.health?.healthy == true)
        outgoingQueue.yield(message.wire(configuredRole: failover.role, incidentID: id.description, detail: IncidentPeerDetail.delivered))
        record(.notify, kind: notification.kind, incident: id,
               reason: "\(notification.kind.rawValue) of incident \(id) delivered by \(config.node.name); confirmed to \(failover.peer.name)")
    }

    /// The incident parts of a peer message: a delivery confirmation, or the real author,
    /// comment and expiry of an acknowledgement (returned for `apply`).
    func peerIncidentDetail(_ message: PeerMessage) -> PendingAcknowledgement? {
        let incident = message.payload.incidentID.flatMap(IncidentID.init(storedText:))
        switch message.kind {
        case .status where message.payload.detail == IncidentPeerDetail.delivered:
            guard let incident else { return nil }
            reminders.confirmed(incident)
            record(.notify, incident: incident, reason: "\(failover.peer.name) confirmed delivering a page of incident \(incident)")
            return nil
        case .ack:
            return PendingAcknowledgement(
                incident: incident, author: message.payload.ackAuthor, comment: message.payload.ackComment,
                expiresAt: IncidentPeerDetail.ackExpiry(message.payload.detail).map { Date().addingTimeInterval($0) },
                via: failover.peer.name)
        default:
            return nil
        }
    }

    /// The peer's acknowledgement as the machine reported it, with what the payload says.
    func peerAcknowledgement(_ actions: [FailoverAction], _ detail: PendingAcknowledgement) -> [FailoverAction] {
        actions.map { action in
            guard case .acknowledgeIncident(let id, let author, let comment) = action else { return action }
            return .acknowledgeIncident(detail.incident ?? id, author: detail.author ?? author, comment: detail.comment ?? comment)
        }
    }
}
