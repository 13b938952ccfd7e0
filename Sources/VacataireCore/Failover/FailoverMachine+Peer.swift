extension FailoverMachine {
    /// The peer link refused a datagram from the peer for a reason an operator must fix
    /// (clocks too far apart, keys that differ): kept to tell a silence with its cause.
    public mutating func peerDatagramRefused(_ why: String, now: MonotonicInstant) -> [FailoverAction] {
        peerRefusal = (why, now)
        return []
    }

    /// A message from the peer, already authenticated by VacatairePeer.
    public mutating func received(_ message: FailoverMessage, now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        if let delivered = message.deliveredIncident { actions.append(.peerDelivered(delivered)) }
        let wasSilent = peerLastHeard.map { now.since($0) >= settings.deadAfter } ?? true
        peerLastHeard = now
        if wasSilent, openIncidents.contains(where: { $0.topic == .peerLost }) {
            // Any message, even a stale one, proves the peer and the link alive. The node
            // that paged the loss tells the recovery, in its thread; a loss that ended in a
            // role change stays open until the failback.
            let found = "peer found: heard \(peerName) again (epoch \(message.epoch), \(message.role.rawValue))"
            for id in openIncidents where id.topic == .peerLost && pagedIncidents.contains(id) {
                if !roleChangedIncidents.contains(id) || isServing {
                    actions.append(.notify(.peerFound, incident: id, reason: found))
                } else {
                    // This node stepped down when it lost its peer (a self-fence): its page
                    // about it, if still undelivered, arrives after the peer's takeover and
                    // peer-found; the incident's thread tells it instead.
                    actions.append(.foldUndelivered(.peerLost, incident: id, because: found))
                }
            }
            close(openIncidents.filter { $0.topic == .peerLost && !roleChangedIncidents.contains($0) }, reason: found, &actions)
            lastGuardRefusal = nil
            switch state {
            case .standby, .active, .failed: lastReason = found  // not the loss any more
            default: break
            }
        }
        guard message.epoch >= epoch else {
            // An older epoch: the sender has not learned the last role change; decide nothing
            // on it, except its refusal of our own request (we raised the epoch to take over).
            if message.kind == .status { handleRefusal(message, now, &actions) }
            return actions
        }
        peer = PeerView(epoch: message.epoch, role: message.role, healthy: message.healthy)
        if message.kind == .heartbeat, message.role == .active, let incident = message.incident {
            roleChangeIncident = incident  // the serving peer's incident: a failback threads into it
        }
        switch message.kind {
        case .heartbeat:
            break
        case .handoffRequest:
            handleHandoffRequest(message, now, &actions)
        case .handoffDone:
            handleHandoffDone(message, now, &actions)
        case .quiesceRequest:
            handleQuiesceRequest(message, now, &actions)
        case .quiesceDone:
            handleQuiesceDone(message, now, &actions)
        case .status:
            handleRefusal(message, now, &actions)
        case .ack:
            // The peer's admin acknowledged: who, why and until when travel with it (an older
            // peer sends only the incident's epoch, in the request id).
            let ack = message.acknowledgement
            actions.append(.acknowledgeIncident(
                message.incident ?? IncidentID(epoch: message.requestID, topic: .roleChange),
                author: ack?.author ?? "\(peerName) (peer)", comment: ack?.comment, expiresIn: ack?.expiresIn,
                via: ack == nil ? nil : peerName))
        }
        resolveConflict(message, now, &actions)
        decide(now, &actions)
        return actions
    }

    mutating func handleHandoffRequest(_ message: FailoverMessage, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        let key = AnswerKey(kind: .handoffRequest, request: message.requestID)
        if let reply = rememberedReply(for: key) {
            // Already done: the confirmation was lost, say it again.
            actions.append(.send(reply))
            return
        }
        switch state {
        case .takingOver(let takeOver):
            if case .handoff(let request) = takeOver.purpose, request == message.requestID {
                return  // a resend of the request we are carrying out
            }
            if case .awaitingQuiesce = takeOver.phase {
                // Our service runs and passed its checks, and we were asking for it anyway
                // (failback or switchover): done; the peer stops on our confirmation.
                let reply = FailoverMessage(kind: .handoffDone, epoch: epoch, requestID: message.requestID, role: .active, healthy: isHealthy)
                remember(reply, for: key)
                actions.append(.send(reply))
                becomeActive(takeOver, now, &actions)
                return
            }
        default:
            break
        }
        let refusal: String?
        if exiting {
            refusal = "my agent is stopping"
        } else if case .standby = state, !isHealthy {
            refusal = "my own checks fail (\(health?.summary ?? "no verdict yet"))"
        } else if case .standby = state {
            refusal = nil
        } else {
            refusal = "I am \(stateName.rawValue)"
        }
        if let refusal {
            // Not stored: a resend may be accepted once things change.
            lastReason = "refusing \(peerName)'s handoff request: \(refusal)"
            actions.append(.send(self.message(.status, request: message.requestID)))
            return
        }
        let newEpoch = activationEpoch(peerEpoch: message.epoch, peerRole: message.role)
        if message.isDrillHandoff {
            // A drill's leg: the drill on the peer reports the move; nothing is paged.
            activate(epoch: newEpoch, purpose: .handoff(request: message.requestID), event: nil, incident: nil,
                     reason: "taking over: \(peerName) asked me to take the service (drill), epoch \(newEpoch)", &actions)
            return
        }
        let event: EventKind = message.healthy ? .switchover : .failover
        let failing = message.detail.map(FailingCheck.parse(lines:)) ?? []
        let checks = failing.isEmpty ? "" : " (\(failing.map { "\($0.name) failing: \($0.output)" }.joined(separator: "; ")))"
        let why = message.healthy
            ? "\(peerName) asked me to take the service (switchover)"
            : "\(peerName) is failing\(checks) and asked me to take the service"
        let advice = message.healthy ? "" : "; what to do: repair \(peerName), then `vacataire failback` on it"
        activate(epoch: newEpoch, purpose: .handoff(request: message.requestID), event: event,
                 incident: IncidentID(epoch: newEpoch, topic: .roleChange), reason: "taking over: \(why), epoch \(newEpoch)\(advice)",
                 pageOnceServing: "took over: \(why); my service runs and passes its checks at epoch \(newEpoch)\(advice)",
                 failing: failing, &actions)
    }

    mutating func handleHandoffDone(_ message: FailoverMessage, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        guard case .handingOff(let handoff) = state, handoff.request == message.requestID else {
            return  // a duplicate, or late: resolveConflict steps down if the peer is active and newer
        }
        let newEpoch = max(Epoch.after(epoch), message.epoch)
        let then: PersistedRole = handoff.planned ? .standby : .failed
        let event: EventKind = handoff.planned ? .switchover : .failover
        let incident = IncidentID(epoch: newEpoch, topic: .roleChange)
        let reason = handoff.planned
            ? "switched over\(handoff.drill ? " (drill)" : ""): \(peerName) serves at epoch \(newEpoch); stopping my service"
            : "failed over: \(peerName) serves at epoch \(newEpoch); stopping my service (\(health?.summary ?? "checks failing"))"
        if !handoff.drill {
            raise(incident, event, reason: reason, paged: false, failing: health?.failing ?? [], &actions)  // the peer, serving now, pages it
            roleChangeIncident = incident
        }
        stepDown(to: then, epoch: newEpoch, purpose: .handedOff, event: event, incident: handoff.drill ? nil : incident, reason: reason,
                 drainFrom: now, leaveAtOnce: !handoff.planned, &actions)
    }

    mutating func handleQuiesceRequest(_ message: FailoverMessage, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        let key = AnswerKey(kind: .quiesceRequest, request: message.requestID)
        if let reply = rememberedReply(for: key) {
            actions.append(.send(reply))  // done already; the answer was lost
            return
        }
        let event: EventKind = settings.role == .standby ? .failback : .switchover
        switch state {
        case .quiescing(let quiesce):
            if case .forPeer(let request) = quiesce.purpose, request == message.requestID { return }
            lastReason = "refusing \(peerName)'s quiesce request: I am already stopping"
            actions.append(.send(self.message(.status, request: message.requestID)))
        case .active, .handingOff:
            // While handing off we want to give the service away anyway: stopping for the peer does that.
            var then: PersistedRole = .standby
            if case .handingOff(let handoff) = state, !handoff.planned { then = .failed }
            let newEpoch = max(Epoch.after(epoch), message.epoch)
            let reason = "quiescing: \(peerName) takes the service back (\(event.rawValue)); stopping mine, epoch \(newEpoch)"
            // The peer's service already runs and passed its checks (make before break).
            stepDown(to: then, epoch: newEpoch, purpose: .forPeer(request: message.requestID), event: event,
                     incident: nil, reason: reason, drainFrom: now, &actions)
        case .standby, .failed:
            // Nothing runs here: the answer is immediate.
            let reply = self.message(.quiesceDone, request: message.requestID)
            remember(reply, for: key)
            actions.append(.send(reply))
        case .starting, .takingOver, .maintenance:
            lastReason = "refusing \(peerName)'s quiesce request: I am \(stateName.rawValue)"
            actions.append(.send(self.message(.status, request: message.requestID)))
        }
    }

    mutating func handleQuiesceDone(_ message: FailoverMessage, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        guard case .takingOver(let takeOver) = state,
              case .awaitingQuiesce(let request, _, _) = takeOver.phase, request == message.requestID
        else { return }
        // Our service already runs and passed its checks: the take-over is complete.
        becomeActive(takeOver, now, &actions)
    }

    /// A `status` that names our pending request is the peer's refusal of it.
    mutating func handleRefusal(_ message: FailoverMessage, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        if let why = message.failedStop, peerStopFailed(why, request: message.requestID, now, &actions) { return }
        guard message.requestID != 0 else { return }
        switch state {
        case .handingOff(let handoff) where handoff.request == message.requestID && message.role != .active:
            // A peer whose start or verification failed says why; the page names both problems.
            let why = message.detail.map { "\(peerName) \($0)" }
                ?? "\(peerName) refused (it is \(message.role.rawValue), \(message.healthy ? "healthy" : "unhealthy"))"
            giveUpHandoff(handoff, why: why, now, &actions)
        case .takingOver(let takeOver):
            guard case .awaitingQuiesce(let request, _, _) = takeOver.phase, request == message.requestID else { return }
            abandonTakeOver(takeOver, why: "\(peerName) refused to stop its service (it is \(message.role.rawValue))", &actions)
        default:
            break
        }
    }

    /// The peer's stop actions failed, so its service may still run: the fence command,
    /// when configured, makes sure it does not (a failed stop escalates to fencing, as
    /// Pacemaker does). Returns whether the message was handled here.
    mutating func peerStopFailed(_ why: String, request: UInt64, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) -> Bool {
        switch state {
        case .takingOver(var takeOver):
            guard case .awaitingQuiesce(let awaited, _, _) = takeOver.phase, awaited == request else { return false }
            guard settings.hasFence else {
                abandonTakeOver(takeOver, why: "\(peerName) could not stop its service (\(why)) and no fence command is configured", &actions)
                return true
            }
            takeOver.phase = .fencingPeer(request: request)
            state = .takingOver(takeOver)
            lastReason = "\(peerName) could not stop its service (\(why)): fencing it before serving alone"
            actions.append(.fencePeer(reason: lastReason))
            return true
        case .active(var active) where request == 0 && settings.hasFence && !active.fencedPeer:
            active.fencedPeer = true
            state = .active(active)
            lastReason = "\(peerName) could not stop its service (\(why)) after handing it over: fencing it so that only I serve"
            actions.append(.fencePeer(reason: lastReason))
            return true
        default:
            return false
        }
    }

    /// Two actives: the newer epoch wins; on a tie, the configured master. Otherwise adopt a newer epoch.
    mutating func resolveConflict(_ message: FailoverMessage, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        if case .starting = state { return }  // settling decides with the peer's epoch
        guard message.role == .active, isServing else {
            // Catch up with the epoch of a role change we missed. A serving node adopts
            // nothing from a peer that is only taking over: its handoff confirmation or
            // quiesce request brings the epoch when the role really changes.
            if message.epoch > epoch, message.role != .takingOver || !isServing {
                // Catch up with a role change we missed; our own role does not change.
                persist(role, epoch: message.epoch, &actions)
            }
            return
        }
        var event: EventKind = .takeover
        var then: PersistedRole = isHealthy ? .standby : .failed
        var drill = false
        if case .handingOff(let handoff) = state {
            event = handoff.planned ? .switchover : .failover
            then = handoff.planned ? .standby : .failed
            drill = handoff.drill
        }
        if case .maintenance = state { then = .standby }
        if message.epoch > epoch {
            let incident = IncidentID(epoch: message.epoch, topic: .roleChange)
            let reason = "stepping down: \(peerName) is active at epoch \(message.epoch), newer than my \(epoch)"
            if !drill {
                raise(incident, event, reason: reason, paged: false, &actions)  // the serving peer pages it
                roleChangeIncident = incident
            }
            stepDown(to: then, epoch: message.epoch, purpose: .stepDown, event: event, incident: drill ? nil : incident, reason: reason, &actions)
        } else if message.epoch == epoch, settings.role == .standby {
            let newEpoch = Epoch.after(epoch)
            let incident = IncidentID(epoch: newEpoch, topic: .roleChange)
            let reason = "stepping down: \(peerName) and I were both active at epoch \(epoch); the configured master keeps the service"
            raise(incident, .takeover, reason: reason, paged: false, &actions)  // the configured master keeps serving and pages
            roleChangeIncident = incident
            stepDown(to: then, epoch: newEpoch, purpose: .stepDown, event: .takeover, incident: incident, reason: reason, &actions)
        } else if message.epoch == epoch {
            lastReason = "keeping the service: \(peerName) was also active at epoch \(epoch); as the configured master I win the tie"
        }
    }
}
