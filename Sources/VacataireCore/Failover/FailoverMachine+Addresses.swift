/// The floating addresses (`failover.addresses`): held only by the node that serves, taken
/// once its service is verified and the way is clear, let go before anything else when it
/// stops serving. The kernel work is the executor's; when to do it, and what a conflict
/// means, is decided here.
extension FailoverMachine {
    /// Whether this node's state keeps the addresses: it serves, or hands its service over
    /// and still serves until the peer is verified; maintenance keeps what was there.
    var keepsAddresses: Bool {
        switch state {
        case .active, .handingOff: return true
        case .maintenance(let paused): return paused.resume == .active
        case .takingOver(let takeOver): return takeOver.phase == .claimingAddresses
        case .starting, .standby, .quiescing, .failed: return false
        }
    }

    /// Verified and clear: take the addresses before serving. A handoff's requester is told
    /// first that this node serves, so that it lets them go; the probe then waits for that.
    mutating func claimAddresses(_ takeOver: TakeOver, _ actions: inout [FailoverAction]) {
        var claiming = takeOver
        var waitFree = Duration.zero
        var overPeer = false
        switch takeOver.purpose {
        case .handoff(let request):
            if !claiming.handoffAnswered { answerHandoff(request, &actions) }
            claiming.handoffAnswered = true
            // The requester drains, if it must, then lets the addresses go as it quiesces.
            waitFree = settings.drain * 2 + settings.handoffTimeout
        case .silence, .resume, .nobodyServes:
            // The peer is silent and its service does not answer: whatever its kernel still
            // holds (a killed agent leaves its addresses) is taken over and announced over.
            overPeer = true
        case .failback, .switchover:
            break  // the peer stopped and let them go before this node became active
        }
        claiming.phase = .claimingAddresses
        state = .takingOver(claiming)
        addressesHeld = true  // asked for: let go on any way out, whatever the answer
        addressesClaimed = true
        lastReason = "service verified at epoch \(epoch); taking the floating address(es)"
        actions.append(.claimAddresses(waitFree: waitFree, overPeer: overPeer))
    }

    /// The handoff's requester learns this node serves: it stops its own service.
    mutating func answerHandoff(_ request: UInt64, _ actions: inout [FailoverAction]) {
        let reply = FailoverMessage(kind: .handoffDone, epoch: epoch, requestID: request, role: .active, healthy: isHealthy)
        remember(reply, for: AnswerKey(kind: .handoffRequest, request: request))
        actions.append(.send(reply))
    }

    /// The executor's answer to `.claimAddresses`. Held: serve. Another host answers for an
    /// address: two hosts holding one address is the split brain an operator fears most, so
    /// this node does not serve, goes `failed`, and pages who answers.
    mutating func addressesClaimed(conflict: String?, now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        guard case .takingOver(let takeOver) = state, takeOver.phase == .claimingAddresses else { return actions }
        if let conflict {
            let newEpoch = Epoch.after(epoch)
            let reason = "not serving: \(conflict); another host holds a floating address, and two holders of one address "
                + "is a split brain; stopping my service, failed. Find that host (`ip neigh`, the MAC above) and remove the address there"
            addressesHeld = false
            addressesClaimed = false
            actions.append(.releaseAddresses(reason: "the claim was refused: \(conflict)"))
            raise(IncidentID(epoch: newEpoch, topic: .actionFailed), .failover, reason: reason, paged: true, &actions)
            stepDown(to: .failed, epoch: newEpoch, purpose: .abortedStart, event: nil, incident: nil, reason: reason, &actions)
            return actions
        }
        becomeActive(takeOver, now, &actions)
        decide(now, &actions)
        return actions
    }

    /// After every input: a node that no longer keeps its addresses lets them go before
    /// anything else it was told to do (the stop actions, above all); a node that booted
    /// not active lets go of what a crash may have left.
    mutating func followAddresses(_ actions: inout [FailoverAction]) {
        guard settings.hasAddresses, addressesHeld, !keepsAddresses else { return }
        addressesHeld = false
        addressesClaimed = false
        actions.insert(.releaseAddresses(reason: "\(stateName.rawValue): \(lastReason)"), at: 0)
    }

    /// At boot every address this node may still hold goes (a crash, or the agent alone
    /// restarted): the peer may have taken them meanwhile, and two holders are never
    /// allowed. A node that was active and resumes claims them again once it has heard its
    /// peer (an agent's restart costs the address a heartbeat or so).
    func bootReleasesAddresses() -> FailoverAction? {
        guard settings.hasAddresses else { return nil }
        return .releaseAddresses(reason: "starting (was \(roleAtBoot.rawValue)): nothing is held until this node serves again")
    }
}
