extension FailoverMachine {
    /// `vacataire failback [--force]` on the master, make before break: the master starts its
    /// service and verifies it, then the standby quiesces, then the master is active.
    ///
    /// Gated on the master's critical checks being healthy (each passed `rise` times);
    /// `force` overrides the gate and the override is recorded in the incident.
    public mutating func failback(force: Bool, author: String, now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        if exiting { return refuse("the agent is stopping", &actions) }
        guard settings.role == .master else {
            return clearFailure(force: force, author: author, now: now, &actions)
        }
        switch state {
        case .failed, .standby:
            break
        case .maintenance:
            return refuse("maintenance is on; turn it off first", &actions)
        case .active:
            return refuse("already active at epoch \(epoch)", &actions)
        case .starting, .handingOff, .takingOver, .quiescing:
            return refuse("busy: \(stateName.rawValue); try again when it settles", &actions)
        }
        let forced = !isHealthy
        if forced, !force {
            return refuse("my checks are not healthy (\(health?.summary ?? "no verdict yet")); they must pass `rise` times, or use --force", &actions)
        }
        let previous = role
        if peerIsSilent(now) {
            // Nobody can quiesce: leave failed and let the split-brain guard decide a takeover.
            let reason = "failback by \(author) with \(peerName) silent: leaving failed; taking over once the split-brain guard allows"
            if previous == .failed { persist(.standby, epoch: Epoch.after(epoch), &actions) }
            move(to: .standby(.idle), reason: reason, &actions)
            actions.append(.answerAdmin(accepted: true, reason: reason))
            decide(now, &actions)
            return actions
        }
        let newEpoch = activationEpoch(peerEpoch: peer?.epoch, peerRole: peer?.role)
        let reason = "failing back (by \(author)\(forced ? ", forced while \(health?.summary ?? "checks unknown")" : "")): "
            + "starting my service at epoch \(newEpoch); \(peerName) stops its own once mine passes its checks"
        if forced {
            actions.append(.notify(.failback, incident: roleChangeIncident, reason: reason))
        }
        activate(epoch: newEpoch, purpose: .failback(author: author, forced: forced), event: nil, incident: nil, reason: reason, &actions)
        actions.append(.answerAdmin(accepted: true, reason: reason))
        return actions
    }

    /// `vacataire switchover`: a planned move of the service to the other node, both healthy.
    /// `drill`: a leg of `vacataire drill`, which reports the move itself: neither node
    /// pages it, nor opens a role-change incident.
    public mutating func switchover(author: String, drill: Bool = false, now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        if exiting { return refuse("the agent is stopping", &actions) }
        if case .maintenance = state {
            return refuse("maintenance is on; turn it off first", &actions)
        }
        guard isHealthy else {
            return refuse("my checks are not healthy (\(health?.summary ?? "no verdict yet")); a switchover needs both nodes healthy", &actions)
        }
        guard let peer, !peerIsSilent(now) else {
            return refuse("\(peerName) is silent; a switchover needs both nodes talking", &actions)
        }
        guard peer.healthy else {
            return refuse("\(peerName) is not healthy; a switchover needs both nodes healthy", &actions)
        }
        let request = newRequestID()
        switch (state, peer.role) {
        case (.active, .standby):
            let reason = "switching over (by \(author)\(drill ? ", drill" : "")): asking \(peerName) to take the service"
            var ask = message(.handoffRequest, request: request)
            if drill { ask.detail = FailoverMessage.drillMarker }
            actions.append(.send(ask))
            move(to: .handingOff(Handoff(request: request, attempt: 1, deadline: now + settings.handoffTimeout, planned: true, author: author,
                                         drill: drill, leaving: activeData)),
                 reason: reason, &actions)
            actions.append(.answerAdmin(accepted: true, reason: reason))
        case (.standby, .active):
            let newEpoch = activationEpoch(peerEpoch: peer.epoch, peerRole: peer.role)
            let reason = "switching over (by \(author)\(drill ? ", drill" : "")): starting my service at epoch \(newEpoch); \(peerName) stops its own once mine passes its checks"
            activate(epoch: newEpoch, purpose: .switchover(author: author), event: drill ? nil : .switchover,
                     incident: drill ? nil : IncidentID(epoch: newEpoch, topic: .roleChange), reason: reason, &actions)
            actions.append(.answerAdmin(accepted: true, reason: reason))
        default:
            return refuse("I am \(stateName.rawValue) and \(peerName) is \(peer.role.rawValue); a switchover goes from an active to a standby node", &actions)
        }
        return actions
    }

    /// A drill ended (`report`: its verdict, where the service is, the figures). Passed: a
    /// notice, not a page, and the incidents of failed drills are over (the repair is
    /// proven). Failed: one incident of its own, paged from here, acknowledged and reminded
    /// like any other, which the next drill that passes closes.
    public mutating func drillEnded(passed: Bool, report: String, now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        lastReason = report
        if passed {
            close(topics: [.drillFailed], reason: "a drill passed: \(report)", &actions)
            actions.append(.notify(.drill, incident: nil, reason: report))
            actions.append(.answerAdmin(accepted: true, reason: report))
        } else {
            let incident = newIncident(.drillFailed)
            raise(incident, .drillFailed, reason: report, paged: true, &actions)
            actions.append(.answerAdmin(accepted: true, reason: "incident \(incident) opened: \(report)"))
        }
        return actions
    }

    /// `vacataire maintenance on|off`: pause or resume automatic actions.
    ///
    /// Paused: handoff, takeover, failback and switchover requests from the peer. Not paused:
    /// stepping down for a newer active peer and self-fencing, which keep the pair safe.
    public mutating func maintenance(on: Bool, author: String, now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        if on {
            let paused: Maintenance
            switch state {
            case .active(let active): paused = .active(active)
            case .standby: paused = .standby
            case .failed: paused = .failed
            case .maintenance: return refuse("maintenance is already on", &actions)
            case .starting, .handingOff, .takingOver, .quiescing:
                return refuse("busy: \(stateName.rawValue); try again when it settles", &actions)
            }
            let reason = "maintenance on (by \(author)): automatic actions paused; service stays \(paused.resume == .active ? "on" : "off")"
            move(to: .maintenance(paused), reason: reason, &actions)
            actions.append(.answerAdmin(accepted: true, reason: reason))
            return actions
        }
        guard case .maintenance(let paused) = state else {
            return refuse("maintenance is not on", &actions)
        }
        let reason = "maintenance off (by \(author)): automatic actions resume as \(paused.resume.rawValue)"
        switch paused {
        case .active(let active): move(to: .active(active), reason: reason, &actions)
        case .failed: move(to: .failed(Failed(why: reason, told: .nothing)), reason: reason, &actions)  // told again if nobody serves
        case .standby: move(to: .standby(.idle), reason: reason, &actions)
        }
        actions.append(.answerAdmin(accepted: true, reason: reason))
        decide(now, &actions)
        return actions
    }

    /// `vacataire ack INCIDENT [--expires]`: stop re-paging (until `expiresIn`, if given),
    /// tell the peer who acknowledged, why and until when, send the acknowledgement out.
    public mutating func acknowledge(
        incident: IncidentID, author: String, comment: String?, expiresIn: Duration? = nil, now: MonotonicInstant
    ) -> [FailoverAction] {
        let reason = "incident \(incident) acknowledged by \(author)" + (comment.map { ": \($0)" } ?? "")
        lastReason = reason
        // The request id carries the incident's epoch; the message's own epoch stays current.
        var ack = message(.ack, request: incident.epoch)
        ack.incident = incident
        ack.acknowledgement = FailoverMessage.Acknowledgement(author: author, comment: comment, expiresIn: expiresIn)
        return [
            .acknowledgeIncident(incident, author: author, comment: comment, expiresIn: expiresIn),
            .send(ack),
            .notify(.acknowledged, incident: incident, reason: reason),
            .answerAdmin(accepted: true, reason: reason),
        ]
    }

    /// `vacataire ready`: a repaired `failed` node (either role) becomes standby again without
    /// moving the service, so the pair is protected again. Gated on the node's checks, which
    /// must pass (its service is off: only node checks judge it). Where nobody serves, the
    /// usual rules then let it take the service.
    public mutating func ready(author: String, now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        guard case .failed = state else {
            return refuse("only a failed node is made ready; this node is \(stateName.rawValue)", &actions)
        }
        return leaveFailed(force: false, author: author, overrideHint: "then run `vacataire ready` again", now: now, &actions)
    }

    /// Failback on the configured standby: only takes a failed standby back to `standby`
    /// (same health gate, `force` to override); the service moves to it by switchover or by
    /// the usual rules.
    private mutating func clearFailure(force: Bool, author: String, now: MonotonicInstant, _ actions: inout [FailoverAction]) -> [FailoverAction] {
        guard case .failed = state else {
            return refuse("failback runs on the configured master; on the standby it only clears a failure; use switchover to move the service here", &actions)
        }
        return leaveFailed(force: force, author: author, overrideHint: "or use --force", now: now, &actions)
    }

    private mutating func leaveFailed(
        force: Bool, author: String, overrideHint: String, now: MonotonicInstant, _ actions: inout [FailoverAction]
    ) -> [FailoverAction] {
        if !isHealthy, !force {
            return refuse("my checks are not healthy (\(health?.summary ?? "no verdict yet")); they must pass `rise` times, \(overrideHint)", &actions)
        }
        let served = peer.map { $0.role == .active ? "; \(peerName) keeps serving" : "" } ?? ""
        let reason = "failure cleared by \(author)\(isHealthy ? "" : " (forced while \(health?.summary ?? "checks unknown"))"): standby again\(served)"
        // The same epoch: leaving `failed` activates nothing, and a failed peer's view (of
        // this epoch) must still read as current for the usual rules.
        persist(.standby, epoch: epoch, &actions)
        move(to: .standby(.idle), reason: reason, &actions)
        actions.append(.answerAdmin(accepted: true, reason: reason))
        decide(now, &actions)
        return actions
    }

    /// A refused command answers the admin (and is logged by the daemon); the node's own
    /// reason, which `status` shows as "why", stays what it was.
    private mutating func refuse(_ why: String, _ actions: inout [FailoverAction]) -> [FailoverAction] {
        actions.append(.answerAdmin(accepted: false, reason: why))
        return actions
    }
}
