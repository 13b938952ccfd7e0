import Foundation
import VacataireChecks
import VacataireCore
import VacataireNotify
import VacatairePeer
import VacataireStore

/// Who sent a control request, from the socket's peer credentials (SO_PEERCRED).
public struct ControlCaller: Sendable, Equatable {
    public var uid: uid_t
    public var name: String
    /// Whether this user may change state: root, or a member of `control.group`.
    public var mayChange: Bool
}

extension FailoverAgent {
    /// Answers one control request; commands that change state wait for their outcome
    /// (the role they asked for, or the machine's refusal) up to the request's wait.
    public func handle(_ request: ControlRequest, from caller: ControlCaller) async -> ControlReply {
        guard request.version == ControlProtocol.version else {
            return ControlReply(outcome: .denied, message: "protocol version \(request.version) is not \(ControlProtocol.version); use the vacataire of the same version as the daemon")
        }
        if let problem = request.limitProblem {
            return ControlReply(outcome: .denied, message: "\(request.command.rawValue): \(problem)")
        }
        if request.needsAdminRights, !caller.mayChange {
            let group = config.control.group.map { " or a member of group \($0)" } ?? ""
            return ControlReply(outcome: .denied, message: "\(caller.name) may read the status but not \(request.command.rawValue): only root\(group) may change state or send pages")
        }
        switch request.command {
        case .status:
            return ControlReply(outcome: .done, message: statusSentence(), status: await status())
        case .events:
            return await events(request)
        case .notifyTest:
            return await notifyTest(request, by: caller.name)
        case .doctor:
            return await doctor(by: caller.name)
        case .drill:
            return await drill(request, author: caller.name)
        case .failback, .ready, .switchover, .maintenance, .ack:
            record(.admin, reason: "\(request.command.rawValue) requested by \(caller.name)", author: caller.name)
            return await change(request, author: caller.name)
        }
    }

    private func change(_ request: ControlRequest, author: String) async -> ControlReply {
        let wait = Duration.milliseconds(Int64(max(0, min(600, request.waitSeconds ?? defaultWait)) * 1000))
        let serverBefore = view.server
        switch request.command {
        case .failback where failover.etcd != nil, .switchover where failover.etcd != nil:
            // Any node may ask; done once another node holds the key and serves.
            let move: AdminCommand = request.command == .failback ? .failback(force: request.force ?? false) : .switchover(to: request.to)
            return await command(move, author: author, wait: wait) { agent in
                guard let server = agent.server, server != serverBefore else { return nil }
                return "done: \(server) serves at epoch \(agent.epoch)"
            }
        case .failback:
            return await command(.failback(force: request.force ?? false), author: author, wait: wait) {
                $0.stateName == .active ? "done: \($0.nodeName) serves at epoch \($0.epoch)" : nil
            }
        case .ready:
            return await command(.ready, author: author, wait: .zero) {
                "done: \($0.nodeName) is \($0.stateName.rawValue) at epoch \($0.epoch)"
            }
        case .switchover:
            let wasActive = coordinator.advertisedRole == .active
            return await command(.switchover(to: request.to), author: author, wait: wait) { agent in
                let settled = wasActive
                    ? agent.stateName == .standby && agent.peerRole == .active
                    : agent.stateName == .active
                return settled ? "done: \(wasActive ? agent.failoverPeerName : agent.nodeName) serves at epoch \(agent.epoch)" : nil
            }
        case .maintenance:
            let on = request.on ?? true
            return await command(.maintenance(on: on), author: author, wait: .zero) { _ in
                "done: maintenance \(on ? "on" : "off")"
            }
        case .ack:
            var named: IncidentID?
            if let text = request.incident {
                guard let id = IncidentID(storedText: text) else {
                    return ControlReply(outcome: .refused, message: "refused: `\(text)` is not an incident id (they look like e7 or e7-peer-lost)")
                }
                named = id
            }
            // The coordinator picks the newest open incident when none is named, or refuses.
            let target = (named ?? coordinator.acknowledgeable.last).map(\.description) ?? "?"
            let expiresIn = request.expiresSeconds.map { Duration.seconds(max(1, $0)) }
            let until = request.expiresSeconds.map { "; reminders resume in \(Duration.span(seconds: max(1, $0)))" } ?? ""
            return await command(.acknowledge(named, comment: request.comment, expiresIn: expiresIn), author: author, wait: .zero) { _ in
                "done: incident \(target) acknowledged by \(author)\(until)"
            }
        case .status, .events, .notifyTest, .doctor, .drill:
            return ControlReply(outcome: .denied, message: "not a state change")
        }
    }

    /// Hands the coordinator an admin command and applies its actions; on acceptance waits
    /// until `settled` says the outcome is reached (or the node fell back to `failed`), up
    /// to `wait`.
    private func command(
        _ request: AdminCommand, author: String, wait: Duration, settled: @Sendable (AgentView) -> String?
    ) async -> ControlReply {
        let actions = coordinator.handle(.admin(request, author: author), now: now())
        var answer: (accepted: Bool, reason: String)?
        for case .answerAdmin(let accepted, let reason) in actions {
            answer = (accepted, reason)
        }
        apply(actions)
        guard let answer else {
            return ControlReply(outcome: .done, message: coordinator.lastReason)
        }
        guard answer.accepted else {
            return ControlReply(outcome: .refused, message: "refused: \(answer.reason)")
        }
        // Look again after every change of the machine (`changeBell`), not on a timer.
        let deadline = clock.now + wait
        while true {
            if let done = settled(view) {
                return ControlReply(outcome: .done, message: "\(answer.reason)\n\(done)")
            }
            if coordinator.stateName == .failed || clock.now >= deadline || Task.isCancelled {
                break
            }
            await sleep(until: deadline, orWhen: changeBell)
        }
        if coordinator.stateName == .failed, settled(view) == nil {
            return ControlReply(outcome: .refused, message: "\(answer.reason)\nnot done: \(coordinator.lastReason)")
        }
        return ControlReply(outcome: .pending, message: "\(answer.reason)\nnot settled after \(wait.humanSeconds); now \(coordinator.stateName.rawValue): \(coordinator.lastReason)")
    }

    /// The longest a change may take, in seconds: every handoff attempt, then the start
    /// action, and 2 s more.
    var defaultWait: Double {
        failover.handoffTimeout.seconds * Double(failover.handoffRetries + 1) + failover.start.timeout.seconds + 2
    }

    private var view: AgentView {
        let peer = coordinator.peerStatus(at: now())
        return AgentView(
            stateName: coordinator.stateName, epoch: coordinator.epoch, peerRole: peer.role,
            nodeName: config.node.name, failoverPeerName: peer.name,
            server: coordinator.stateName == .active ? config.node.name : peer.heardRole == .active ? peer.name : nil)
    }

    // MARK: - Status

    func status() async -> AgentStatus {
        let checkSnapshot = await scheduler.snapshot()
        let statistics = await link?.statistics() ?? PeerLinkStatistics()
        let peerRejections = Self.rejectionCounts(statistics)
        // One read, so that a stalled disk costs status one deadline.
        let stored = await storeAnswer("read the outbox's backlog and the open incidents") { store in
            (backlog: try store.outboxBacklog(), incidents: try store.openIncidents())
        }
        let backlog = stored?.backlog
        let peerStatus = coordinator.peerStatus(at: now())
        let heard = peerStatus.lastHeard
        let survey = await leaseLink?.survey()
        let peer = AgentStatus.Peer(
            name: failover.etcd == nil ? failover.peer.name : peerStatus.name, role: peerStatus.role?.rawValue, healthy: peerStatus.healthy,
            epoch: peerStatus.epoch, lastHeardSeconds: heard.map(\.seconds),
            addresses: failover.peer.addresses.map(\.description), silent: peerStatus.silent
        )
        var incidents = (stored?.incidents ?? []).map { record in
            AgentStatus.Incident(
                id: record.id.description, kind: record.kind.rawValue, reason: record.reason, openedAt: record.openedAt,
                acknowledgedBy: record.acknowledgement?.author, acknowledgeComment: record.acknowledgement?.comment
            )
        }
        // Mode etcd: the cluster's incidents, which other nodes paged, are open here too.
        for shared in coordinator.clusterIncidents where !incidents.contains(where: { $0.id == shared.id.description }) {
            incidents.append(AgentStatus.Incident(
                id: shared.id.description, kind: shared.kind.rawValue, reason: "\(shared.reason) (paged by \(shared.owner))",
                openedAt: shared.openedAt ?? clock.date, acknowledgedBy: shared.acknowledgement?.author, acknowledgeComment: shared.acknowledgement?.comment))
        }
        return AgentStatus(
            node: config.node.name, cluster: config.node.cluster,
            configuredRole: failover.etcd.map { "etcd member, priority \($0.priority)" } ?? failover.role.rawValue,
            addresses: addresses?.holdings.map { AgentStatus.FloatingAddress(address: $0.address.address.description, interface: $0.address.interface, held: $0.held) },
            addressesLastChange: addresses?.lastChange,
            members: survey?.members, store: survey?.store, storeProblem: survey?.problem,
            state: coordinator.stateName.rawValue, role: coordinator.role.rawValue, epoch: coordinator.epoch,
            healthy: coordinator.health?.healthy, lastReason: coordinator.lastReason, peer: peer,
            checks: checkSnapshot.map { snapshot in
                AgentStatus.Check(
                    name: snapshot.name, severity: snapshot.severity.rawValue, health: snapshot.health.rawValue,
                    status: snapshot.latest?.status.rawValue.uppercased(), output: snapshot.latest?.message, runs: snapshot.runs
                )
            } + (stateCheck.map { [AgentStatus.Check(name: $0.name, severity: "critical", health: "failing", status: "CRITICAL", output: $0.output, runs: 0)] } ?? []),
            incidents: incidents,
            peerRejections: peerRejections,
            outboxPending: (backlog?.pending ?? 0) + (outbox.deliveriesInMemory),
            outboxExpired: backlog?.expired ?? 0,
            outboxOldestPendingSeconds: backlog?.oldestPending.map { clock.date.timeIntervalSince($0) },
            heldBackNotices: outbox.heldBack,
            confirmationsAwaited: reminders.confirmationsAwaited,
            snmpEngine: config.notify.snmp.isEmpty ? nil : SNMPEngineIdentity.describe(config),
            stateNotWritable: stateNotWritable.map { why in
                let waiting = storeThread.progress.waitingWrites
                return waiting == 0 ? why : "\(why); \(waiting) record(s) wait in memory to be written"
            },
            warnings: configWarnings.isEmpty ? nil : configWarnings.map(\.description)
        )
    }

    /// `vacataire doctor`: probes what only the running pair can show, concurrently, and
    /// judges it (`DoctorReport`): done when all is well, refused with what to fix.
    private func doctor(by user: String) async -> ControlReply {
        let statistics = await link?.statistics() ?? PeerLinkStatistics()
        let nowMilliseconds = clock.unixMilliseconds
        let prober = prober
        let sender = outbox.currentSender()
        var test = sender.testNotification(requestedBy: user)
        test.reason += " (vacataire doctor)"
        record(.notify, kind: .test, reason: "vacataire doctor requested by \(user): a test notification to every destination", author: user)
        async let witnessProbe = failover.witness == nil ? nil : prober.probe(GuardProbe(witness: true, peerService: false))
        async let serviceProbe = failover.serviceProbe == nil ? nil : prober.probe(GuardProbe(witness: false, peerService: true))
        async let outcomes = sender.send(test, channels: Set(NotifyChannel.allCases))
        let (witness, service, delivered) = await (witnessProbe, serviceProbe, outcomes)
        let report = DoctorReport(
            node: config.node.name, peer: failover.peer.name, deadAfter: .milliseconds(failover.deadAfter.milliseconds),
            paths: statistics.paths.map { path in
                DoctorReport.Path(
                    address: path.address.description,
                    heardAgo: path.lastValidMessageMilliseconds.map { .milliseconds(Int64(clamping: nowMilliseconds &- min($0, nowMilliseconds))) },
                    sendFailure: path.lastFailure)
            },
            rejections: Self.rejectionCounts(statistics),
            witness: witness.flatMap { probe in
                failover.witness.map { ($0.description, probe.report.witnessReachable == true, Self.probeDetail(probe.detail, "witness: ")) }
            },
            serviceProbe: service.flatMap { probe in
                failover.serviceProbe.map { ($0.absoluteString, probe.report.peerServiceAnswers == true, Self.probeDetail(probe.detail, "peer service: ")) }
            },
            peerRole: coordinator.peerStatus(at: now()).heardRole?.rawValue,
            destinations: delivered.map { ($0.succeeded, $0.line) })
        return ControlReply(outcome: report.healthy ? .done : .refused, message: report.lines.joined(separator: "\n"))
    }

    /// The peer datagrams refused so far, by reason (`bad-mac`: 3), for status and doctor.
    static func rejectionCounts(_ statistics: PeerLinkStatistics) -> [String: Int] {
        var counts: [String: Int] = [:]
        for (reason, count) in statistics.validation.byReason where count > 0 {
            counts[reason.rawValue] = Int(clamping: count)
        }
        return counts
    }

    private static func probeDetail(_ detail: String, _ prefix: String) -> String {
        detail.hasPrefix(prefix) ? String(detail.dropFirst(prefix.count)) : detail
    }

    /// A test notification through the running daemon's destinations, delivered now (not
    /// through the outbox: the caller wants each destination's answer).
    private func notifyTest(_ request: ControlRequest, by user: String) async -> ControlReply {
        let sender = outbox.currentSender()
        let channels: Set<NotifyChannel> = request.channel.flatMap(NotifyChannel.init(rawValue:)).map { [$0] } ?? Set(NotifyChannel.allCases)
        var test = sender.testNotification(requestedBy: user)
        test.reason += " through the running daemon"
        record(.notify, kind: .test, reason: "notification test requested by \(user)", author: user)
        let outcomes = await sender.send(test, channels: channels)
        guard !outcomes.isEmpty else {
            return ControlReply(outcome: .refused, message: "no destination configured for \(request.channel ?? "all") (see notify.email and notify.snmp)")
        }
        let lines = outcomes.map(\.line).joined(separator: "\n")
        return ControlReply(outcome: outcomes.allSatisfy(\.succeeded) ? .done : .refused, message: lines)
    }

    private func statusSentence() -> String {
        "\(config.node.name) is \(coordinator.stateName.rawValue) (role \(coordinator.role.rawValue), epoch \(coordinator.epoch)): \(coordinator.lastReason)"
    }

    private func events(_ request: ControlRequest) async -> ControlReply {
        let since = request.sinceSeconds.map { clock.date.addingTimeInterval(-$0) }
        var wanted: IncidentID?
        if let text = request.incident {
            guard let id = IncidentID(storedText: text) else {
                return ControlReply(outcome: .refused, message: "refused: `\(text)` is not an incident id (they look like e7 or e7-peer-lost)")
            }
            wanted = id
        }
        // One more than asked: whether older events were left out, which the CLI says.
        let limit = request.limit ?? ControlRequest.defaultEventLimit
        let incident = wanted
        let answer = await storeThread.answer("read the event history", within: Self.eventsDeadline, clock: clock) {
            try $0.events(since: since, incident: incident, limit: limit + 1)
        }
        switch answer {
        case nil:
            return ControlReply(outcome: .refused, message: "cannot read the event history: the store did not answer within \(Self.eventsDeadline.humanSeconds) (is the disk under \(config.stateDirectory) frozen or failing?)")
        case .failure(let error):
            return ControlReply(outcome: .refused, message: "cannot read the event history: \(error)")
        case .success(let records):
            let events = records.suffix(limit).map { record in
                AgentEvent(
                    time: record.time, category: record.category.rawValue, kind: record.kind?.rawValue,
                    incident: record.incident?.description, reason: record.reason, detail: record.detail, author: record.author
                )
            }
            let leftOut = records.count > limit
            let message = leftOut
                ? "the newest \(limit) event(s) only; older ones match too: narrow with --since or --incident, or raise --limit (at most \(ControlRequest.maximumEventLimit))"
                : "\(events.count) event(s)"
            return ControlReply(outcome: .done, message: message, events: Array(events), eventsLeftOut: leftOut)
        }
    }

    /// How long `vacataire events` waits for the store.
    static let eventsDeadline: Duration = .seconds(2)
}

/// What a waiting admin command looks at, copied out of the actor.
struct AgentView: Sendable {
    var stateName: FailoverStateName
    var epoch: UInt64
    var peerRole: ServiceRole?
    var nodeName: String
    var failoverPeerName: String
    /// The node that serves now, as this one knows it (nil: none it knows of).
    var server: String?
}
