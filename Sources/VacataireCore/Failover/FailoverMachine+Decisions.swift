extension FailoverMachine {
    /// The timer: resends requests, gives up on them, checks silence, sends heartbeats.
    /// Call it at least every heartbeat interval.
    public mutating func tick(now: MonotonicInstant) -> [FailoverAction] {
        lastTickAt = now
        var actions: [FailoverAction] = []
        switch state {
        case .handingOff(var handoff) where now >= handoff.deadline:
            if handoff.attempt <= settings.handoffRetries {
                // No confirmation yet: the request or its answer may be lost; ask again, same id.
                handoff.attempt += 1
                handoff.deadline = now + settings.handoffTimeout
                state = .handingOff(handoff)
                lastReason = "handing off: no answer from \(peerName), attempt \(handoff.attempt) of \(settings.handoffRetries + 1)"
                actions.append(.send(handoffRequest(handoff.request)))
            } else {
                let waited = settings.handoffTimeout * (settings.handoffRetries + 1)
                giveUpHandoff(handoff, why: "no confirmation from \(peerName) after \(handoff.attempt) attempts in \(waited.humanSeconds)", now, &actions)
            }
        case .takingOver(var takeOver):
            switch takeOver.phase {
            case .verifying(let deadline) where now >= deadline:
                let why = "its service checks did not pass within \(settings.verifyTimeout.humanSeconds) of starting (\(health?.summary ?? "no verdict"))"
                abandonTakeOver(takeOver, why: why, &actions)
            case .awaitingQuiesce where peerSilence(now) >= settings.heartbeatInterval * 2 + settings.tickPeriod:
                // Both services run while we wait: never longer than the link stays quiet.
                abandonTakeOver(takeOver, why: "\(peerName) went quiet (\(peerSilence(now).humanSeconds)) before it stopped its service", &actions)
            case .awaitingQuiesce(let request, let attempt, let deadline) where now >= deadline:
                if attempt <= settings.handoffRetries {
                    takeOver.phase = .awaitingQuiesce(request: request, attempt: attempt + 1, deadline: now + settings.handoffTimeout)
                    state = .takingOver(takeOver)
                    lastReason = "waiting for \(peerName) to quiesce: attempt \(attempt + 1) of \(settings.handoffRetries + 1)"
                    actions.append(.send(message(.quiesceRequest, request: request)))
                } else {
                    abandonTakeOver(takeOver, why: "\(peerName) did not confirm stopping its service after \(attempt) attempts", &actions)
                }
            default:
                break
            }
        case .quiescing:
            stopIfDrained(now, &actions)
        default:
            break
        }
        decide(now, &actions)
        sendHeartbeatIfDue(now, &actions)
        return actions
    }

    /// When the daemon should call `tick` next (Docs/failover.md, "The tick"). In a steady
    /// pair (this node active, or a standby with no guard at work, and the peer heard within
    /// a heartbeat interval) nothing is due before the next heartbeat to send or the instant
    /// the peer's next heartbeat would be a tick late, whichever comes first (and within a
    /// second, for the agent's own schedules); in every other state, one tick period after
    /// the last tick. Never sooner than that: calling `tick` earlier is harmless, but idle.
    /// After any other input the daemon asks again, as that input may have changed it
    /// either way (a peer heard on time makes its lateness tick needless); the answer never
    /// moves later with `now` alone, so a stream of inputs never holds a tick back.
    public func nextTick(after now: MonotonicInstant) -> MonotonicInstant {
        let soon = max(now, lastTickAt + settings.tickPeriod)
        guard let heard = peerLastHeard, now.since(heard) < settings.heartbeatInterval else { return soon }
        let lastPeer: MonotonicInstant
        switch state {
        case .active:
            lastPeer = max(heard, activeSince)
        case .standby(let standby) where standby.guardPhase == .idle(nextProbe: nil):
            lastPeer = heard
        default:
            return soon
        }
        let late = lastPeer + settings.heartbeatInterval + settings.tickPeriod
        return max(soon, min(nextHeartbeatAt, late, lastTickAt + .seconds(1)))
    }

    /// A new verdict from the check scheduler.
    public mutating func healthChanged(_ verdict: HealthVerdict, now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        let wasHealthy = health?.healthy
        health = verdict
        if verdict.healthy, wasHealthy != true {
            if case .active(var active) = state {
                active.handoffBlocked = nil  // a handoff given up on may be tried again
                state = .active(active)
                close(topics: [.handoffFailed], reason: "my checks are healthy again", &actions)
            }
        }
        if case .takingOver(let takeOver) = state, case .verifying = takeOver.phase,
           verdict.service != .idle, verdict.serviceHealthy {
            serviceVerified(takeOver, now, &actions)
        }
        decide(now, &actions)
        return actions
    }

    // MARK: - Automatic decisions

    /// What the node does on its own, given what it knows now.
    mutating func decide(_ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        switch state {
        case .starting(let starting):
            settle(starting, now, &actions)
        case .standby(let standby):
            decideStandby(standby, now, &actions)
        case .active:
            decideActive(now, &actions)
        case .handingOff:
            selfFenceIfCut(now, &actions)
        case .maintenance(.active):
            selfFenceIfCut(now, &actions)  // safety is not paused by maintenance
        case .failed(let failed):
            watchPeerWhileFailed(failed, now, &actions)
        case .takingOver, .quiescing, .maintenance:
            break
        }
    }

    /// A failed node whose peer will not serve either: nobody serves, and somebody must be
    /// paged. The configured master pages when both are failed (one page, not two); either
    /// node when its peer cannot serve. A silent peer's service is probed first (when a
    /// `service_probe` is configured): if it answers, the page is a warning that nothing
    /// protects it; if not, or with nothing to probe it with, the page says nobody serves.
    /// The incident is the one a failed start or restart of this epoch already paged, if
    /// any, so that the page goes out once.
    mutating func watchPeerWhileFailed(_ failed: Failed, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        var failed = failed
        defer { state = .failed(failed) }
        if peerWillServe(now) {
            failed.told = .nothing  // someone serves: a new stretch is told again
            return
        }
        if let peer, !peerIsSilent(now) {
            if peer.role == .starting { return }  // it is still deciding
            if peer.role == .failed, settings.role == .standby { return }  // the master pages it
            tellNobodyServes(&failed, peerDescription(now), &actions)
            return
        }
        guard settings.hasServiceProbe else {
            tellNobodyServes(&failed, "\(peerDescription(now)) (whether its service answers is unknown: no service_probe)", &actions)
            return
        }
        guard !failed.probing, failed.told != .nobodyServes, failed.nextProbe.map({ now >= $0 }) ?? true else { return }
        failed.probing = true
        actions.append(.probeGuard(GuardProbe(witness: false, peerService: true)))
    }

    /// The answer to a failed node's probe of its silent peer's service.
    mutating func failedPeerProbed(_ failed: Failed, _ report: GuardReport, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        var failed = failed
        failed.probing = false
        failed.nextProbe = now + settings.deadAfter
        defer { state = .failed(failed) }
        guard peerIsSilent(now) else { return }  // the peer spoke meanwhile
        if report.peerServiceAnswers == false {
            tellNobodyServes(&failed, "\(peerDescription(now)) and its service does not answer", &actions)
        } else if failed.told == .nothing {
            failed.told = .peerServesUnprotected
            let reason = "no failover protection: \(peerDescription(now)), its service answers, and I am failed: "
                + "if it fails, nobody takes over. What to do: check \(peerName)'s agent (`systemctl status vacataire`); repair this node, then `vacataire ready`"
            raise(peerLossIncident, .peerLost, reason: reason, paged: true, news: true, &actions)
        }
    }

    private mutating func tellNobodyServes(_ failed: inout Failed, _ peerState: String, _ actions: inout [FailoverAction]) {
        guard failed.told != .nobodyServes else { return }
        failed.told = .nobodyServes
        let why = failed.why.hasPrefix("failed: ") ? String(failed.why.dropFirst("failed: ".count)) : failed.why
        let reason = "nobody serves: I am failed (\(why)) and \(peerState). " + Self.repairAdvice(peerName: peerName, peerRole: peer?.role)
        raise(nobodyServesIncident, .failover, reason: reason, paged: true, news: true, failing: health?.failing ?? [], &actions)
    }

    /// Leave `starting` once the peer was heard (or `startupWait` passed) and a verdict exists.
    mutating func settle(_ starting: Starting, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        guard let health else { return }  // never decide without knowing our own health
        guard peer != nil || now >= starting.until else { return }
        // A restarted node that was active first learns whether its service still answers.
        if health.pending, now < starting.until { return }
        let was = starting.persistedRole
        if was == .failed {
            moveToFailed(reason: "failed: I had failed before the restart; waiting for an admin (`vacataire ready` once repaired)", &actions)
            decide(now, &actions)
            return
        }
        guard let peer else {
            if was == .active {
                stepDown(to: .standby, epoch: Epoch.after(epoch), purpose: .stepDown, event: nil, incident: nil,
                         reason: "standby: no word from \(peerName) within \(settings.startupWait.humanSeconds) of starting; stopping my service until the guard allows", &actions)
            } else {
                move(to: .standby(.idle), reason: "standby: \(peerName) silent since I started; the guard decides", &actions)
                decide(now, &actions)
            }
            return
        }
        if peer.role == .active {
            if was == .active {
                stepDown(to: isHealthy ? .standby : .failed, epoch: max(Epoch.after(epoch), peer.epoch), purpose: .stepDown, event: nil, incident: nil,
                         reason: "standby: \(peerName) is active at epoch \(peer.epoch); stopping the service I had before the restart", &actions)
            } else {
                persist(.standby, epoch: max(epoch, peer.epoch), &actions)
                move(to: .standby(.idle), reason: "standby: \(peerName) is active at epoch \(peer.epoch)", &actions)
            }
            return
        }
        if peer.role == .starting, peer.epoch > epoch, now < starting.until {
            return  // the peer knows a newer epoch and is deciding too: let it speak first
        }
        if was == .active {
            let tieLost = peer.epoch > epoch || (peer.epoch == epoch && peer.role == .starting && settings.role == .standby)
            if health.nodeHealthy, !tieLost {
                // A restart is not a failure: the service may simply not run yet (a power
                // loss). Start it again; only a failed start or verification makes it failed.
                let service = health.serviceHealthy ? "" : "; my service does not answer yet (\(health.summary)): starting it again"
                activate(epoch: epoch, purpose: .resume, event: nil, incident: nil,
                         reason: "resuming: I was active at epoch \(epoch) and \(peerName) is \(peer.role.rawValue)" + service, &actions)
            } else if health.nodeHealthy {
                stepDown(to: .standby, epoch: max(Epoch.after(epoch), peer.epoch), purpose: .stepDown, event: nil, incident: nil,
                         reason: "standby: I was active before the restart but \(peerName) may resume; stopping", &actions)
            } else {
                // Node checks that fail make it failed, as a master that fails while serving:
                // the peer takes over and pages it, once; if the peer cannot, this node, once
                // failed, pages that nobody serves (`watchPeerWhileFailed`).
                stepDown(to: .failed, epoch: max(Epoch.after(epoch), peer.epoch), purpose: .stepDown, event: nil, incident: nil,
                         reason: "failed: I was active before the restart but my checks fail (\(health.summary)); stopping, \(peerName) may take over", &actions)
            }
            return
        }
        if peer.epoch > epoch { persist(.standby, epoch: peer.epoch, &actions) }
        move(to: .standby(.idle), reason: "standby: \(peerName) is \(peer.role.rawValue) at epoch \(peer.epoch)", &actions)
        decide(now, &actions)
    }

    mutating func decideStandby(_ standby: Standby, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        guard !exiting else { return }  // an exiting agent takes nothing on
        if peerIsSilent(now) {
            let silent = silence(now)
            let seconds = peerSilence(now).humanSeconds
            let policy = settings.mayTakeOverOnSilence ? "" : "; no witness and no_witness: stay, so an admin decides"
            // The active node pages a lost peer; a standby only when nobody else will act on
            // it: it may not take over (policy, or its own checks fail).
            raise(peerLossIncident, .peerLost, reason: "peer lost: \(silent)\(policy)",
                  paged: !settings.mayTakeOverOnSilence || !isHealthy, &actions)
            guard settings.mayTakeOverOnSilence, isHealthy else { return }
            guard case .idle(let nextProbe) = standby.guardPhase, nextProbe.map({ now >= $0 }) ?? true else { return }
            if settings.hasWitness || settings.hasServiceProbe {
                state = .standby(Standby(guardPhase: .probing))
                lastReason = "peer silent for \(seconds): probing the split-brain guard"
                actions.append(.probeGuard(GuardProbe(witness: settings.hasWitness, peerService: settings.hasServiceProbe)))
            } else if settings.hasFence {
                state = .standby(Standby(guardPhase: .fencing(GuardReport())))
                actions.append(.fencePeer(reason: "fencing \(peerName) before taking over: no heartbeat for \(seconds)"))
            } else {
                takeOverOnSilence(GuardReport(), fenced: false, now, &actions)
            }
            return
        }
        if standby.guardPhase != .idle(nextProbe: nil) {
            state = .standby(.idle)  // the peer is back: whatever the guard was doing is moot
        }
        // Only a view as new as our own epoch: an older one predates our last role change.
        guard let peer, peer.epoch >= epoch, peer.role == .standby || peer.role == .failed else { return }
        // Nobody serves. The configured master serves when it can; the standby only for a failed master.
        let newEpoch = activationEpoch(peerEpoch: peer.epoch, peerRole: peer.role)
        switch (settings.role, isHealthy) {
        case (.master, true):
            activate(epoch: newEpoch, purpose: .nobodyServes, event: nil, incident: nil,
                     reason: "taking the service: \(peerName) is \(peer.role.rawValue) and nobody serves, epoch \(newEpoch)", &actions)
        case (.master, false) where health != nil:
            let reason = "failed: nobody serves and my checks fail (\(health?.summary ?? "")); \(peerName) may take over"
            persist(.failed, epoch: Epoch.after(epoch), &actions)
            // Recorded, not paged, as the incident of nobody serving (a role change recorded
            // unpaged would await the peer's confirmation and page from here after all): a
            // ready standby takes over and its page tells it (one page); if it cannot, this
            // failed node pages that very incident (`watchPeerWhileFailed`).
            raise(nobodyServesIncident, .failover, reason: reason, paged: false, failing: health?.failing ?? [], &actions)
            moveToFailed(reason: reason, &actions)
        case (.standby, true) where peer.role == .failed:
            activate(epoch: newEpoch, purpose: .nobodyServes, event: .takeover, incident: IncidentID(epoch: newEpoch, topic: .roleChange),
                     reason: "taking over: \(peerName) is failed and nobody serves, epoch \(newEpoch)",
                     pageOnceServing: "took over: \(peerName) is failed and nobody served; my service runs and passes its checks at epoch \(newEpoch)", &actions)
        default:
            break
        }
    }

    mutating func decideActive(_ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        if peerIsSilent(now) {
            raise(peerLossIncident, .peerLost,
                  reason: "peer lost: \(silence(now)); keeping the service", paged: true, &actions)
        }
        if selfFenceIfCut(now, &actions) { return }
        guard let health, !health.healthy, !exiting else { return }
        if case .active(let active) = state, let blocked = active.handoffBlocked, blocked.epoch == epoch, blocked.peer == peer {
            return  // gave up on this peer as it is; try again when it changes
        }
        guard let peer, !peerIsSilent(now), peer.role == .standby, peer.healthy else {
            let why = peerIsSilent(now) ? "\(peerName) is silent" : "\(peerName) is \(peer?.role.rawValue ?? "unknown")\(peer?.healthy == false ? " and unhealthy" : "")"
            if case .active(var active) = state {
                active.handoffBlocked = HandoffBlock(epoch: epoch, peer: self.peer)  // a fenced peer stays fenced
                state = .active(active)
            }
            raise(openIncidents.last { $0.topic == .handoffFailed } ?? newIncident(.handoffFailed), .failover,
                  reason: "cannot hand off (\(health.summary)): \(why); keeping the service (better a sick master than no master)",
                  paged: true, failing: health.failing, &actions)
            return
        }
        let request = newRequestID()
        actions.append(.send(handoffRequest(request)))
        move(to: .handingOff(Handoff(request: request, attempt: 1, deadline: now + settings.handoffTimeout, planned: false, author: nil,
                                     leaving: activeData)),
             reason: "handing off: \(health.summary); asking \(peerName) to take over", &actions)
    }

    /// Self-fencing: an active node that hears neither peer nor witness for `selfFenceAfter` stops.
    /// Only with a witness: without one, nobody takes over on a guard's word, so stopping gains nothing.
    @discardableResult
    mutating func selfFenceIfCut(_ now: MonotonicInstant, _ actions: inout [FailoverAction]) -> Bool {
        guard settings.hasWitness else { return false }
        let lastPeer = max(peerLastHeard ?? bootedAt, activeSince)
        let lastContact = max(lastPeer, lastWitnessContact ?? lastPeer)
        let cut = now.since(lastContact)
        if cut >= settings.selfFenceAfter {
            let newEpoch = Epoch.after(epoch)
            // The peer loss, the self-fence and the peer's takeover are one incident.
            let incident = peerLossIncident
            let reason = "self-fencing: heard neither \(peerName) nor the witness for \(cut.humanSeconds); stopping my service"
            raise(incident, .peerLost, reason: reason, paged: true, news: true, &actions)
            roleChangedIncidents.insert(incident)
            roleChangeIncident = incident
            stepDown(to: .standby, epoch: newEpoch, purpose: .selfFence, event: .peerLost, incident: incident, reason: reason, &actions)
            return true
        }
        // A heartbeat is late: keep the witness contact fresh, one probe per heartbeat interval.
        if now.since(lastPeer) >= settings.heartbeatInterval + settings.tickPeriod,
           lastWitnessProbe.map({ now.since($0) >= settings.heartbeatInterval }) ?? true {
            lastWitnessProbe = now
            actions.append(.probeGuard(GuardProbe(witness: true, peerService: false)))
        }
        return false
    }

    /// `pages`: the refusal may leave nobody else to act (the fence failed, this node's own
    /// checks fail, or the witness does not answer: this node may be the isolated one, or
    /// the master is dead and the witness too), so this node pages it (late, if it is cut
    /// off); a standby that sees its peer's service answer leaves the page to the active node.
    /// `news`: a change worth a page even in an incident already paged (nobody may serve now).
    mutating func refuseTakeover(_ why: String, pages: Bool, news: Bool = false, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        state = .standby(Standby(guardPhase: .idle(nextProbe: now + settings.deadAfter)))
        let reason = "not taking over: \(why)"
        lastReason = reason
        if lastGuardRefusal != reason {
            lastGuardRefusal = reason
            actions.append(.transition(from: .standby, to: .standby, reason: reason))  // the decision, in the history
            // One page per step: opening the incident pages it; an open one gets the news.
            raise(peerLossIncident, .peerLost, reason: "peer lost, \(reason)", paged: pages, news: news, &actions)
        }
    }

    /// A handoff request naming this node's failing checks, for the peer's page.
    func handoffRequest(_ request: UInt64) -> FailoverMessage {
        var request = message(.handoffRequest, request: request)
        request.detail = health.map { FailingCheck.lines($0.failing) }
        return request
    }

    mutating func takeOverOnSilence(_ report: GuardReport, fenced: Bool, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        let newEpoch = Epoch.activation(atLeast: Epoch.after(max(epoch, peer?.epoch ?? 0)), for: settings.role)
        var evidence = ["no heartbeat from \(peerName) for \(peerSilence(now).humanSeconds)"]
        if report.witnessReachable == true { evidence.append("witness reachable") }
        if report.peerServiceAnswers == false { evidence.append("\(peerName)'s service does not answer") }
        if fenced { evidence.append("\(peerName) fenced") }
        if !settings.hasWitness { evidence.append("no witness (no_witness: takeover)") }
        let advice = "what to do: repair \(peerName), then `vacataire failback` on it"
        activate(epoch: newEpoch, purpose: .silence, event: .takeover, incident: peerLossIncident,
                 reason: "taking over: " + (evidence + [advice]).joined(separator: ", "),
                 pageOnceServing: "took over: " + evidence.joined(separator: ", ")
                    + "; my service runs and passes its checks at epoch \(newEpoch); " + advice, &actions)
    }
}
