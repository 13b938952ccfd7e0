/// The answers to what the machine asked the daemon to do: guard probes, fencing,
/// start and stop actions, and what happens when a request is given up.
extension FailoverMachine {
    /// The answer to `.probeGuard`.
    public mutating func guardAnswered(_ report: GuardReport, now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        if report.witnessReachable == true {
            lastWitnessContact = now
        }
        if case .failed(let failed) = state, failed.probing {
            failedPeerProbed(failed, report, now, &actions)
            return actions
        }
        guard case .standby(let standby) = state, standby.guardPhase == .probing else {
            decide(now, &actions)
            return actions
        }
        guard peerIsSilent(now) else {
            state = .standby(.idle)  // the peer spoke meanwhile: no takeover
            return actions
        }
        if settings.hasWitness, report.witnessReachable != true {
            // What the peer's service does tells whether anybody serves: when it stops
            // answering that is news (nobody may serve), paged in the open incident; while it
            // answers, the active node pages its own lost peer.
            switch report.peerServiceAnswers {
            case true?:
                refuseTakeover("the witness does not answer: I may be the isolated one; \(peerName)'s service answers", pages: false, now, &actions)
            case false?:
                refuseTakeover("the witness does not answer: I may be the isolated one, and \(peerName)'s service does not answer either: "
                    + "nobody may serve. What to do: check \(peerName) (powered? its agent?) and this node's network (the witness, the peer link)",
                    pages: true, news: true, now, &actions)
            case nil:
                refuseTakeover("the witness does not answer: I may be the isolated one", pages: true, now, &actions)
            }
        } else if settings.hasServiceProbe, report.peerServiceAnswers != false {
            // Not a takeover. A peer whose agent stays silent past the grace (an agent
            // restart takes less) may be gone for good: its service runs unprotected, and the
            // people on call are warned once; the recovery follows when it is heard again.
            let pastGrace = peerSilence(now) >= settings.deadAfter + settings.silentAgentGrace
            if pastGrace, let cause = silenceCause(now) {
                refuseTakeover("\(peerName)'s datagrams arrive but are refused (\(cause)) while its service answers: "
                    + "no failover protection until that is fixed", pages: true, now, &actions)
            } else if pastGrace {
                refuseTakeover("\(peerName)'s agent is silent but its service answers: no failover protection until it is back. "
                    + "What to do: check vacataire on \(peerName) (`systemctl status vacataire`)", pages: true, now, &actions)
            } else {
                refuseTakeover("the peer link is down but \(peerName)'s service still answers", pages: false, now, &actions)
            }
        } else if !isHealthy {
            refuseTakeover("my own checks fail (\(health?.summary ?? "no verdict yet"))", pages: true, now, &actions)
        } else if settings.hasFence {
            state = .standby(Standby(guardPhase: .fencing(report)))
            actions.append(.fencePeer(reason: "fencing \(peerName) before taking over: no heartbeat for \(peerSilence(now).humanSeconds)"))
        } else {
            takeOverOnSilence(report, fenced: false, now, &actions)
        }
        return actions
    }

    /// The answer to `.fencePeer`.
    public mutating func fenceFinished(succeeded: Bool, detail: String = "", now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        switch state {
        case .takingOver(let takeOver):
            guard case .fencingPeer = takeOver.phase else { return actions }
            if succeeded {
                lastReason = "fenced \(peerName), whose stop failed\(detail.isEmpty ? "" : " (\(detail))")"
                becomeActive(takeOver, now, &actions)
            } else {
                abandonTakeOver(takeOver, why: "\(peerName) could not stop its service and the fence command failed\(detail.isEmpty ? "" : " (\(detail))")", &actions)
            }
            return actions
        case .active:
            let reason = succeeded
                ? "fenced \(peerName), whose stop failed: only I serve"
                : "the fence command against \(peerName), whose stop failed, failed\(detail.isEmpty ? "" : " (\(detail))"): its service may still run"
            lastReason = reason
            actions.append(.transition(from: .active, to: .active, reason: reason))
            return actions
        default:
            break
        }
        guard case .standby(let standby) = state, case .fencing(let report) = standby.guardPhase else { return actions }
        if !peerIsSilent(now) {
            state = .standby(.idle)  // the peer spoke meanwhile
        } else if succeeded, isHealthy {
            takeOverOnSilence(report, fenced: true, now, &actions)
        } else {
            refuseTakeover(succeeded ? "my own checks fail" : "the fence command failed\(detail.isEmpty ? "" : " (\(detail))")", pages: true, now, &actions)
        }
        return actions
    }

    /// A start or stop action finished.
    public mutating func actionFinished(_ kind: ServiceActionKind, _ outcome: ActionOutcome, now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        switch (state, kind) {
        case (.takingOver(let takeOver), .start):
            guard case .starting = takeOver.phase else { break }
            startFinished(takeOver, outcome, now, &actions)
        case (.quiescing(let quiesce), .stop):
            stopFinished(quiesce, outcome, now, &actions)
        default:
            lastReason = "ignored a late \(kind.rawValue) outcome while \(stateName.rawValue)"
        }
        decide(now, &actions)
        return actions
    }

    // MARK: - Outcomes

    mutating func startFinished(_ takeOver: TakeOver, _ outcome: ActionOutcome, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        if case .failed(let why) = outcome {
            abandonTakeOver(takeOver, why: "start actions failed (\(why))", &actions)
            return
        }
        activeSince = now
        // A service nobody checks counts as verified; a resumed one was checked before resuming.
        let alreadyVerified = health.map { $0.service == .unchecked || ($0.service == .healthy && takeOver.purpose == .resume) } ?? false
        if alreadyVerified {
            serviceVerified(takeOver, now, &actions)
            return
        }
        var verifying = takeOver
        verifying.phase = .verifying(deadline: now + settings.verifyTimeout)
        state = .takingOver(verifying)
        lastReason = "taking over: service started at epoch \(epoch); waiting for its service checks to pass (up to \(settings.verifyTimeout.humanSeconds))"
    }

    /// The started service passed its checks: become active, or (failback, switchover towards
    /// this node) ask the peer to stop its own first.
    mutating func serviceVerified(_ takeOver: TakeOver, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        switch takeOver.purpose {
        case .failback, .switchover:
            let request = newRequestID()
            var waiting = takeOver
            waiting.phase = .awaitingQuiesce(request: request, attempt: 1, deadline: now + settings.handoffTimeout)
            actions.append(.send(message(.quiesceRequest, request: request)))
            state = .takingOver(waiting)
            lastReason = "service started and verified at epoch \(epoch); asking \(peerName) to stop its own"
        case .handoff, .silence, .resume, .nobodyServes:
            becomeActive(takeOver, now, &actions)
        }
    }

    /// The take-over is complete: this node serves, and says so.
    mutating func becomeActive(_ takeOver: TakeOver, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        if settings.hasAddresses, !addressesClaimed {
            claimAddresses(takeOver, &actions)
            return
        }
        let purpose = takeOver.purpose
        if let page = takeOver.pageOnceServing {
            // The node now serving pages the role change, verified (and where the addresses are).
            let holding = settings.hasAddresses ? "; \(settings.nodeName) holds \(settings.addressNames.joined(separator: ", "))" : ""
            raise(page.incident, page.event, reason: page.reason + holding, paged: true, news: true, failing: page.failing, &actions)
            roleChangeIncident = page.incident
            if page.incident.topic == .peerLost { roleChangedIncidents.insert(page.incident) }
        }
        // The self-fence counts from now: while the service was being verified no witness
        // probe ran, and verifying may take longer than self_fence_after.
        activeSince = now
        var reason = "active: service started and verified at epoch \(epoch)"
        switch purpose {
        case .handoff(let request):
            // The confirmation says `active`: it is sent as this node becomes so (or before
            // it claims the floating addresses, which the requester then lets go).
            if !takeOver.handoffAnswered { answerHandoff(request, &actions) }
            reason = "active: took over from \(peerName) at epoch \(epoch); my service checks pass"
        case .failback(let author, let forced):
            reason = "active: failback by \(author) done at epoch \(epoch)\(forced ? " (forced while checks failed)" : "")"
            actions.append(.notify(.failback, incident: roleChangeIncident, reason: reason))
            close(topics: Self.failbackTopics, reason: reason, &actions)
            roleChangeIncident = nil
        case .switchover(let author):
            reason = "active: switchover by \(author) done at epoch \(epoch)"
        case .silence:
            reason = "active: took over from silent \(peerName) at epoch \(epoch); my service checks pass"
        case .resume:
            reason = "active: resumed my service after a restart, epoch \(epoch)"
        case .nobodyServes:
            reason = "active: serving at epoch \(epoch); \(peerName) is \(peer?.role.rawValue ?? "silent")"
        }
        if settings.hasAddresses { reason += "; holding \(settings.addressNames.joined(separator: ", "))" }
        move(to: .active(Active()), reason: reason, &actions)
    }

    /// The take-over cannot complete: stop what may have started. A node that was asked
    /// (handoff) or took over on its own goes `failed` and pages; a failback or switchover
    /// goes back to the role it had, and the peer keeps serving.
    mutating func abandonTakeOver(_ takeOver: TakeOver, why: String, _ actions: inout [FailoverAction]) {
        let newEpoch = Epoch.after(epoch)
        let failedReason = "\(why); stopping what may have started; failed"
        switch takeOver.purpose {
        case .failback, .switchover:
            // No page: the admin who asked sees it in `status` and `events`; a failback page
            // would claim a move that did not happen.
            var what = "failback"
            if case .switchover = takeOver.purpose { what = "switchover" }
            let back: PersistedRole = takeOver.previous == .failed ? .failed : .standby
            let reason = "\(what) abandoned: \(why); stopping my service, \(back.rawValue) again; \(peerName) keeps serving"
            stepDown(to: back, epoch: newEpoch, purpose: .abortedStart, event: nil, incident: nil, reason: reason, &actions)
        case .resume, .nobodyServes:
            // Nobody served before: the peer takes the service if it can, and pages that
            // move; if it cannot, this node, once failed, pages that nobody serves
            // (`watchPeerWhileFailed`). One incident, one page.
            stepDown(to: .failed, epoch: newEpoch, purpose: .abortedStart, event: nil, incident: nil, reason: failedReason, &actions)
        case .handoff(let request):
            // The requester keeps serving and pages it, one page naming both problems: tell it why.
            raise(IncidentID(epoch: newEpoch, topic: .actionFailed), .failover, reason: failedReason, paged: false, &actions)
            stepDown(to: .failed, epoch: newEpoch, purpose: .abortedStart, event: nil, incident: nil, reason: failedReason, &actions)
            var refusal = message(.status, request: request)
            refusal.detail = "could not take over: \(why)"
            actions.append(.send(refusal))
        case .silence:
            raise(IncidentID(epoch: newEpoch, topic: .actionFailed), .failover, reason: failedReason, paged: true, failing: health?.failing ?? [], &actions)
            stepDown(to: .failed, epoch: newEpoch, purpose: .abortedStart, event: nil, incident: nil, reason: failedReason, &actions)
        }
    }

    mutating func stopFinished(_ quiesce: Quiesce, _ outcome: ActionOutcome, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        let next = settings.role == .master ? "`vacataire ready`, or `vacataire failback` to serve again" : "`vacataire ready`"
        var reason = quiesce.then == .failed
            ? "failed: service stopped (\(quiesce.why)); once repaired, \(next)"
            : "standby: service stopped at epoch \(epoch)"
        // A failed stop is told to the peer, which fences this node when it can (`peerStopFailed`).
        var stopFailure: FailoverMessage?
        if case .failed(let why) = outcome {
            reason = "stop actions failed (\(why)): the service may still be running; \(quiesce.then.rawValue)"
            raise(openIncidents.last { $0.topic == .actionFailed } ?? newIncident(.actionFailed), .failover, reason: reason, paged: true, &actions)
            var report = message(.status)
            report.detail = FailoverMessage.stopFailedMarker + why
            stopFailure = report
        }
        if case .forPeer(let request) = quiesce.purpose {
            if outcome == .succeeded, settings.role == .standby {
                // A failback: the master serves again, so its incidents are over here too.
                close(topics: Self.failbackTopics, reason: "failback: \(peerName) takes its service back at epoch \(epoch)", &actions)
                roleChangeIncident = nil
            }
            if outcome == .succeeded {
                let reply = message(.quiesceDone, request: request)
                remember(reply, for: AnswerKey(kind: .quiesceRequest, request: request))
                actions.append(.send(reply))
            } else {
                var refusal = stopFailure ?? message(.status)  // not safe for the peer to start
                refusal.requestID = request
                actions.append(.send(refusal))
            }
        } else if let stopFailure {
            actions.append(.send(stopFailure))
        }
        if quiesce.then == .failed {
            moveToFailed(reason: reason, why: quiesce.why, &actions)
        } else {
            move(to: .standby(.idle), reason: reason, &actions)
        }
    }

    mutating func giveUpHandoff(_ handoff: Handoff, why: String, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        var back = handoff.leaving
        back.handoffBlocked = HandoffBlock(epoch: epoch, peer: peer)
        let blocked = State.active(back)
        if handoff.planned {
            // The admin who asked sees it in `status` and `events`; no page claims a move.
            let reason = "switchover abandoned: \(why); keeping the service"
            move(to: blocked, reason: reason, &actions)
        } else {
            let reason = "handoff failed: \(why); keeping the service (better a sick master than no master)"
            raise(openIncidents.last { $0.topic == .handoffFailed } ?? newIncident(.handoffFailed), .failover, reason: reason,
                  paged: true, failing: health?.failing ?? [], &actions)
            move(to: blocked, reason: reason, &actions)
        }
    }
}
