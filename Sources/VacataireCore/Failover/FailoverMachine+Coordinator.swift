/// The pair's machine as the agent drives it: every input through `handle`.
extension FailoverMachine: Coordinator {
    public mutating func handle(_ input: CoordinatorInput, now: MonotonicInstant) -> [FailoverAction] {
        var actions = react(to: input, now: now)
        followAddresses(&actions)
        return actions
    }

    mutating func react(to input: CoordinatorInput, now: MonotonicInstant) -> [FailoverAction] {
        switch input {
        case .tick: return tick(now: now)
        case .addressesClaimed(let conflict): return addressesClaimed(conflict: conflict, now: now)
        case .health(let verdict): return healthChanged(verdict, now: now)
        case .actionFinished(let kind, let outcome): return actionFinished(kind, outcome, now: now)
        case .guardAnswered(let report): return guardAnswered(report, now: now)
        case .fenceFinished(let succeeded, let detail): return fenceFinished(succeeded: succeeded, detail: detail, now: now)
        case .peerMessage(let message): return received(message, now: now)
        case .peerRefused(let why): return peerDatagramRefused(why, now: now)
        case .pageDelivered(let incident): return [.send(deliveryConfirmation(incident))]
        case .admin(let command, let author): return admin(command, author: author, now: now)
        case .exitRequested: return exitRequested(now: now)
        case .lease: return []  // the pair has no consensus store
        }
    }

    /// The longest a transition in flight may still take: every handoff attempt and the
    /// start (and 2 s), the verification, the two steps of draining and the stop.
    public var exitDeadline: Duration {
        settings.handoffTimeout * (settings.handoffRetries + 1) + settings.startTimeout + .seconds(2)
            + settings.verifyTimeout + settings.drain * 2 + settings.stopTimeout
    }

    public func peerStatus(at now: MonotonicInstant) -> PeerStatus {
        PeerStatus(
            name: peerName, role: peer?.role, healthy: peer?.healthy, epoch: peer?.epoch,
            lastHeard: peerLastHeard.map { now.since($0) }, silent: peerIsSilent(now))
    }

    /// Tells the peer a page about `incident` was delivered from here, so that it does not
    /// page it too.
    func deliveryConfirmation(_ incident: IncidentID) -> FailoverMessage {
        var confirmation = message(.status)
        confirmation.incident = incident
        confirmation.detail = FailoverMessage.deliveredMarker
        return confirmation
    }

    /// An admin command; what only the pair knows is refused here (a target outside the
    /// pair or already serving, an incident that is not open).
    mutating func admin(_ command: AdminCommand, author: String, now: MonotonicInstant) -> [FailoverAction] {
        switch command {
        case .failback(let force):
            return failback(force: force, author: author, now: now)
        case .ready:
            return ready(author: author, now: now)
        case .maintenance(let on):
            return maintenance(on: on, author: author, now: now)
        case .switchover(let target):
            if let target {
                guard [settings.nodeName, peerName].contains(target) else {
                    return [.answerAdmin(accepted: false, reason: "\(target) is not in this pair (\(settings.nodeName), \(peerName))")]
                }
                let targetServes = target == settings.nodeName ? advertisedRole == .active : peer?.role == .active
                if targetServes { return [.answerAdmin(accepted: false, reason: "\(target) already serves")] }
            }
            return switchover(author: author, now: now)
        case .drillLeg:
            return switchover(author: author, drill: true, now: now)
        case .drillEnded(let passed, let report):
            return drillEnded(passed: passed, report: report, now: now)
        case .acknowledge(let named, let comment, let expiresIn):
            guard let target = named ?? openIncidents.last else {
                return [.answerAdmin(accepted: false, reason: "no open incident to acknowledge")]
            }
            guard openIncidents.contains(target) else {
                let open = openIncidents.map(\.description).joined(separator: ", ")
                return [.answerAdmin(accepted: false, reason: "incident \(target) is not open (open: \(open.isEmpty ? "none" : open))")]
            }
            return acknowledge(incident: target, author: author, comment: comment, expiresIn: expiresIn, now: now)
        }
    }
}
