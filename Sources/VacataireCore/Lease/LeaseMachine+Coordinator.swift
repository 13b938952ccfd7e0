/// The lease machine as the agent drives it: the same seam as the pair's machine.
extension LeaseMachine: Coordinator {
    public mutating func handle(_ input: CoordinatorInput, now: MonotonicInstant) -> [FailoverAction] {
        switch input {
        case .tick: return tick(now: now)
        case .health(let verdict): return healthChanged(verdict, now: now)
        case .actionFinished(let kind, let outcome): return actionFinished(kind, outcome, now: now)
        case .lease(let event): return received(event, now: now)
        case .admin(let command, let author): return admin(command, author: author, now: now)
        case .exitRequested:
            exiting = true
            var actions: [FailoverAction] = []
            publish(&actions)  // not ready any more: nobody hands over to a node that leaves
            return actions
        case .guardAnswered, .fenceFinished, .peerMessage, .peerRefused, .pageDelivered, .addressesClaimed:
            return []  // the pair's inputs: no peer link here
        }
    }

    public mutating func restore(openIncidents ids: [IncidentID], used: [IncidentID]) {
        for id in ids where !openIncidents.contains(id) { openIncidents.append(id) }
    }

    public func nextTick(after now: MonotonicInstant) -> MonotonicInstant {
        max(now, lastTickAt + min(settings.renewInterval / 4, .milliseconds(250)))
    }

    public var stateName: FailoverStateName {
        switch phase {
        case .follower, .campaigning: return .standby
        case .takingOver: return .takingOver
        case .leader: return .active
        case .handingOff: return .handingOff
        case .draining, .stopping: return .quiescing
        case .failed: return .failed
        case .maintenance: return .maintenance
        }
    }

    public var advertisedRole: ServiceRole {
        switch phase {
        case .leader, .handingOff: return .active
        case .takingOver: return .takingOver
        default: return role.told
        }
    }

    public var runsServiceChecks: Bool {
        switch phase {
        case .leader, .handingOff: return true
        case .takingOver(let takeOver): return takeOver.step != .starting
        case .maintenance(let serving): return serving
        case .follower, .campaigning, .draining, .stopping, .failed: return false
        }
    }

    public var mayExit: Bool {
        switch phase {
        case .takingOver, .handingOff, .draining, .stopping, .campaigning: return false
        case .follower, .leader, .failed, .maintenance: return true
        }
    }

    public var exitDeadline: Duration {
        settings.startTimeout + settings.verifyTimeout + settings.drain * 2 + settings.stopTimeout + settings.requestTimeout * 2
    }

    public func loadBalancerView(at now: MonotonicInstant) -> LoadBalancerView {
        let up: Bool
        switch phase {
        case .leader, .handingOff: up = true
        // Verified, the key on its way here: in the load balancer before the holder leaves it.
        case .takingOver(let takeOver): up = takeOver.step == .claiming
        case .draining(_, let downAt, _): up = now < downAt
        case .maintenance(let serving): up = serving
        default: up = false
        }
        return LoadBalancerView(state: stateName, role: role.told, healthy: health?.healthy, up: up)
    }

    /// The node holding the leader key, as the other node of the status line.
    public func peerStatus(at now: MonotonicInstant) -> PeerStatus {
        let holder = leader?.holder
        let known = members.first { $0.name == holder }
        return PeerStatus(name: holder ?? "(no leader)", role: holder == nil ? nil : .active, healthy: known?.ready,
                          epoch: leader.map { UInt64(max(0, $0.revision)) }, lastHeard: nil, silent: holder == nil)
    }

    mutating func admin(_ command: AdminCommand, author: String, now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        switch command {
        case .maintenance(let on):
            if on {
                guard !isMaintenance else { return [.answerAdmin(accepted: false, reason: "maintenance is already on")] }
                let serving = isServing
                move(to: .maintenance(serving: serving), reason: "maintenance on (by \(author)): automatic actions paused", &actions)
            } else {
                guard case .maintenance(let serving) = phase else { return [.answerAdmin(accepted: false, reason: "maintenance is not on")] }
                if serving {
                    move(to: .leader, reason: "maintenance off (by \(author))", &actions)
                    leaderChanged(leader, now, &actions)  // still the holder? if not, stop
                } else {
                    move(to: .follower, reason: "maintenance off (by \(author))", &actions)
                }
            }
            publish(&actions)
            actions.append(.answerAdmin(accepted: true, reason: lastReason))
        case .ready:
            guard case .failed = phase else { return [.answerAdmin(accepted: false, reason: "only a failed node is made ready")] }
            guard isHealthy else { return [.answerAdmin(accepted: false, reason: "my checks are not healthy (\(health?.summary ?? "no verdict yet"))")] }
            role = .standby
            actions.append(.persist(PersistedFailoverState(role: .standby, epoch: epoch)))
            move(to: .follower, reason: "failure cleared by \(author): ready to serve", &actions)
            publish(&actions)
            actions.append(.answerAdmin(accepted: true, reason: lastReason))
        case .switchover(let named):
            return moveService(to: named, purpose: .switchover, author: author, now: now)
        case .failback(_):
            // Back to the best-ranked ready member (the configured priorities), wherever it is.
            let everyone = readyOthers() + (isReady ? [MemberRecord(name: settings.nodeName, priority: settings.priority, ready: true)] : [])
            guard let best = everyone.sorted(by: MemberRecord.ranksBefore).first else {
                return [.answerAdmin(accepted: false, reason: "no member is ready to serve")]
            }
            return moveService(to: best.name, purpose: .failback, author: author, now: now)
        case .acknowledge(let named, let comment, let expiresIn):
            return acknowledge(named, comment: comment, expiresIn: expiresIn, author: author)
        case .drillLeg, .drillEnded:
            // The drill refuses mode etcd before it asks (DrillRefusal.leaseMode).
            return [.answerAdmin(accepted: false, reason: DrillRefusal.leaseMode.description)]
        }
        decide(now, &actions)
        return actions
    }

    /// Asks `target` (or the best ready member but the holder) to take the service over,
    /// from any node: the handoff key names the holder's key as it is, so the move is made
    /// before break by the target and happens only if the holder still holds it.
    mutating func moveService(to target: String?, purpose: HandoffPurpose, author: String, now: MonotonicInstant) -> [FailoverAction] {
        let why = purpose.rawValue
        guard let leader else { return [.answerAdmin(accepted: false, reason: "nobody holds the leader key: nothing to move")] }
        let candidates = readyMembers(except: leader.holder)
        let chosen: String
        if let target {
            guard target != leader.holder else { return [.answerAdmin(accepted: false, reason: "\(target) already serves")] }
            guard candidates.contains(where: { $0.name == target }) else {
                let ready = candidates.map(\.name).joined(separator: ", ")
                return [.answerAdmin(accepted: false, reason: "\(target) is not a ready member (ready: \(ready.isEmpty ? "none" : ready))")]
            }
            chosen = target
        } else {
            guard let best = candidates.first else { return [.answerAdmin(accepted: false, reason: "no other member is ready to take the service")] }
            chosen = best.name
        }
        var actions: [FailoverAction] = [.lease(.requestHandoff(HandoffRequest(to: chosen, from: leader, purpose: purpose)))]
        if case .leader = phase {
            move(to: .handingOff(to: chosen, until: now + settings.handoffTimeout), reason: "\(why) by \(author): asking \(chosen) to take over", &actions)
        }
        actions.append(.answerAdmin(accepted: true, reason: "\(why) by \(author): \(chosen) takes the service over from \(leader.holder)"))
        return actions
    }

    /// The incidents `ack` may name here: the cluster's and this node's own.
    public var acknowledgeable: [IncidentID] {
        var ids = clusterIncidents.map(\.id)
        for id in openIncidents where !ids.contains(id) { ids.append(id) }
        return ids
    }

    /// `vacataire ack` on any node: the owner's incident applied here when it is this
    /// node's, and written to its key in the store either way, so that the owner (which
    /// reminds of it) applies and tells it.
    mutating func acknowledge(_ named: IncidentID?, comment: String?, expiresIn: Duration?, author: String) -> [FailoverAction] {
        guard let target = named ?? acknowledgeable.last else {
            return [.answerAdmin(accepted: false, reason: "no open incident to acknowledge")]
        }
        guard acknowledgeable.contains(target) else {
            let open = acknowledgeable.map(\.description).joined(separator: ", ")
            return [.answerAdmin(accepted: false, reason: "incident \(target) is not open (open: \(open.isEmpty ? "none" : open))")]
        }
        var actions: [FailoverAction] = []
        let reason = "incident \(target) acknowledged by \(author)" + (comment.map { ": \($0)" } ?? "")
        let ack = ClusterIncident.Acknowledgement(author: author, on: settings.nodeName, comment: comment, expiresIn: expiresIn)
        if var incident = clusterIncidents.first(where: { $0.id == target }) {
            incident.acknowledgement = ack
            actions.append(.lease(.recordIncident(incident)))
        }
        if openIncidents.contains(target) {
            acknowledgedHere.insert(target)
            actions.append(.acknowledgeIncident(target, author: author, comment: comment, expiresIn: expiresIn))
            actions.append(.notify(.acknowledged, incident: target, reason: reason))
            actions.append(.answerAdmin(accepted: true, reason: reason))
        } else {
            let owner = clusterIncidents.first { $0.id == target }?.owner ?? "its owner"
            actions.append(.answerAdmin(accepted: true, reason: reason + "; \(owner), which paged it, stops its reminders and tells it"))
        }
        return actions
    }

    var isMaintenance: Bool {
        if case .maintenance = phase { return true }
        return false
    }
}
