import Foundation
import Logging
import VacataireChecks
import VacataireCore
import VacataireNotify
import VacatairePeer
import VacataireStore

/// The daemon's heart: owns the failover state machine and turns its inputs (check
/// verdicts, peer messages, timer ticks, finished actions, admin commands) into
/// machine calls, and its actions into effects, in the order the machine gave them.
///
/// Ownership: the machine lives only in this actor. Effects that take time (start/stop
/// commands, guard probes, fencing, email) run on their own tasks and come back as new
/// inputs, so nothing slow ever holds the actor while a heartbeat is due. Peer messages
/// leave through one ordered queue, so a `.persist` always precedes the send after it.
public actor FailoverAgent {
    var machine: FailoverMachine
    var config: Config
    var failover: FailoverConfig
    let store: AgentStore
    let link: PeerLink
    let scheduler: CheckScheduler
    let notifier: AgentNotifier
    let outbox: NotificationOutbox
    let runner: ServiceActionRunner
    var prober: GuardProber
    /// The Prometheus metrics of `/metrics`; counted here and in the outbox.
    let metrics: AgentMetrics
    let logger: Logger
    let origin = ContinuousClock.now
    let outgoing: AsyncStream<PeerOutgoingMessage>
    let outgoingQueue: AsyncStream<PeerOutgoingMessage>.Continuation
    /// The role before the latest role-changing action list, for notifications.
    var lastRole: ServiceRole
    /// Set when a durable write failed: the agent stops acting rather than act unrecorded.
    var storeBroken = false
    /// Reminders of open incidents and the peer's delivery confirmations (`incidents:`).
    var reminders: IncidentReminders
    /// The acknowledgement `apply` is about to record: the admin's expiry, or the peer's
    /// author, comment and expiry.
    var pendingAcknowledgement: PendingAcknowledgement?
    /// When `tick` last ran the machine: systemd's watchdog is pinged only while it moves.
    var lastTick = ContinuousClock.now

    /// Opens the store, the peer link and the checks for `config`; `run()` starts them.
    public static func start(config: Config, templates: TemplateSet, logger: Logger) async throws -> FailoverAgent {
        guard let failover = config.failover else {
            throw AgentStartError("\(config.file): no `failover:` section; `vacataire run` needs one (Docs/failover.md)")
        }
        try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let store = try AgentStore(stateDirectory: config.stateDirectory)
        let persisted = try store.loadFailoverState()
        let bootID: UInt64
        do {
            bootID = try BootGeneration.next(stateDirectory: config.stateDirectory)
        } catch {
            throw AgentStartError(error.description)
        }
        let keyring: PeerKeyring
        do {
            keyring = try PeerKeyring.load(failover.keys.map { PeerKeyFile(id: $0.id, path: $0.file) }, activeKeyID: failover.activeKey)
        } catch {
            throw AgentStartError(error.description)
        }
        let identity = PeerIdentity(config.node)
        let link: PeerLink
        do {
            link = try await PeerLink.open(
                listen: PeerEndpoint(host: failover.listen.host.host, port: Int(failover.listen.port.number)),
                peerAddresses: failover.peer.addresses.map { PeerEndpoint(host: $0.host.host, port: Int($0.port.number)) },
                sender: PeerSender(identity: identity, bootID: bootID, keyring: keyring),
                validator: PeerMessageValidator(identity: identity, peers: [failover.peer.name], keyring: keyring)
            )
        } catch {
            throw AgentStartError(error.description)
        }
        let agent = FailoverAgent(
            config: config, failover: failover, store: store, link: link, templates: templates,
            persisted: persisted, bootID: bootID, logger: logger
        )
        return agent
    }

    private init(
        config: Config, failover: FailoverConfig, store: AgentStore, link: PeerLink, templates: TemplateSet,
        persisted: PersistedFailoverState?, bootID: UInt64, logger: Logger
    ) {
        self.config = config
        self.failover = failover
        self.store = store
        self.link = link
        self.logger = logger
        scheduler = CheckScheduler(configs: config.checks)
        metrics = AgentMetrics(checks: config.checks.map(\.name))
        outbox = NotificationOutbox(
            sender: NotificationSender(config: config, templates: templates), settings: config.outbox, store: store,
            metrics: metrics, logger: logger)
        notifier = AgentNotifier(outbox: outbox, node: config.node, peer: failover.peer.name)
        runner = ServiceActionRunner(node: config.node.name, peer: failover.peer.name)
        prober = GuardProber(failover)
        machine = FailoverMachine(settings: failover.settings, persisted: persisted, requestIDSeed: bootID << 32, now: MonotonicInstant(nanoseconds: 0))
        lastRole = persisted?.role ?? .standby
        reminders = Self.reminders(config)
        (outgoing, outgoingQueue) = AsyncStream.makeStream(of: PeerOutgoingMessage.self)
    }

    /// Runs the checks, the peer link and the timer until the task is cancelled; then
    /// closes the link and the store. The service keeps whatever state it is in: stopping
    /// the agent (an upgrade, a restart) never stops the service.
    public func run() async {
        let transitions = scheduler.transitions()
        let incoming = link.incoming
        let tick = tickPeriod
        record(.agent, reason: "agent started: \(config.node.name) in cluster \(config.node.cluster), "
            + "configured \(failover.role.rawValue), peer \(failover.peer.name)")
        restoreIncidents()
        apply(machine.boot(now: now()))
        if config.checks.isEmpty {
            apply(machine.healthChanged(.healthy, now: now()))
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.scheduler.run() }
            group.addTask { await self.outbox.run() }
            group.addTask {
                for await page in self.outbox.deliveredPages { await self.pageDelivered(page) }
            }
            group.addTask {
                for await transition in transitions { await self.checkChanged(transition) }
            }
            group.addTask {
                for await received in incoming { await self.peerMessage(received) }
            }
            group.addTask { await self.sendQueued() }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: tick)
                    await self.tick()
                }
            }
            await withTaskCancellationHandler {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(3600))
                }
            } onCancel: {}
            group.cancelAll()
            outgoingQueue.finish()
            await link.close()
        }
        let stopped = "agent stopped in state \(machine.stateName.rawValue) (role \(machine.role.rawValue), epoch \(machine.epoch)); the service is left as it is"
        logger.notice("\(stopped)")
        record(.agent, reason: stopped)
        try? store.close()
    }

    // MARK: - Inputs

    func tick() {
        lastTick = .now
        apply(machine.tick(now: now()))
        sendDueIncidentNotices()
    }

    func checkChanged(_ transition: CheckTransition) async {
        let verdict = await healthVerdict(transition.verdict)
        let line = "check \(transition.check) \(transition.from.rawValue) -> \(transition.to.rawValue): \(transition.result.message)"
        logger.info("\(line)")
        record(.check, kind: transition.to == .failing ? .checkFailed : .checkRecovered, reason: line)
        apply(machine.healthChanged(verdict, now: now()))
        notifyCheck(transition)
    }

    func peerMessage(_ received: ReceivedPeerMessage) {
        let message: FailoverMessage
        do {
            message = try FailoverMessage(wire: received.message)
        } catch {
            logger.warning("\(error.description) (from \(received.source))")
            return
        }
        let acknowledgement = peerIncidentDetail(received.message)
        var actions = machine.received(message, now: now())
        if let acknowledgement {
            actions = peerAcknowledgement(actions, acknowledgement)
            pendingAcknowledgement = acknowledgement
        }
        apply(actions)
        pendingAcknowledgement = nil
    }

    func actionFinished(_ kind: ServiceActionKind, _ report: ServiceActionReport) {
        record(.action, reason: report.summary, detail: report.outputTail.isEmpty ? nil : report.outputTail)
        if report.succeeded {
            logger.info("\(report.summary)")
        } else {
            logger.error("\(report.summary)\(report.outputTail.isEmpty ? "" : "; output: \(report.outputTail)")")
        }
        apply(machine.actionFinished(kind, report.outcome, now: now()))
    }

    func guardAnswered(_ report: GuardReport, detail: String) {
        logger.info("split-brain guard: \(detail)")
        apply(machine.guardAnswered(report, now: now()))
    }

    func fenceFinished(_ report: ServiceActionReport) {
        record(.action, reason: report.summary, detail: report.outputTail.isEmpty ? nil : report.outputTail)
        apply(machine.fenceFinished(succeeded: report.succeeded, detail: report.summary, now: now()))
    }

    // MARK: - Actions

    /// Executes the machine's actions in order. A failed durable write stops the list: the
    /// node must not act on a role or epoch it could not record.
    func apply(_ actions: [FailoverAction]) {
        let roleBefore = lastRole
        var acknowledgement: (id: IncidentID, author: String, comment: String?, expiresAt: Date?)?
        for action in actions {
            guard !storeBroken else { return }
            switch action {
            case .persist(let state):
                do {
                    try store.saveFailoverState(state)
                    lastRole = state.role
                } catch {
                    storeBroken = true
                    logger.critical("cannot record role \(state.role.rawValue) at epoch \(state.epoch): \(error); the agent stops acting")
                }
            case .send(let message):
                guard message.kind == .ack, let ack = acknowledgement else {
                    outgoingQueue.yield(message.wire(configuredRole: failover.role))
                    continue
                }
                // The peer records the real author, comment and expiry, and stops its reminders too.
                var outgoing = message.wire(
                    configuredRole: failover.role, incidentID: ack.id.description,
                    detail: IncidentPeerDetail.ackDetail(expiresIn: ack.expiresAt.map { $0.timeIntervalSinceNow }))
                outgoing.payload.ackAuthor = IncidentPeerDetail.truncated(ack.author, bytes: PeerMessageLimits.maximumAuthorBytes)
                outgoing.payload.ackComment = ack.comment.map { IncidentPeerDetail.truncated($0, bytes: PeerMessageLimits.maximumTextBytes) }
                outgoingQueue.yield(outgoing)
            case .runStartActions(let context):
                runAction(.start, failover.start, context)
            case .runStopActions(let context):
                runAction(.stop, failover.stop, context)
            case .probeGuard(let request):
                let prober = prober
                Task {
                    let (report, detail) = await prober.probe(request)
                    self.guardAnswered(report, detail: detail)
                }
            case .fencePeer(let reason):
                fence(reason: reason)
            case .raiseIncident(let id, let kind, let reason):
                raise(id, kind, reason: reason, roleBefore: roleBefore)
            case .acknowledgeIncident(let id, let author, let comment):
                let pending = pendingAcknowledgement
                pendingAcknowledgement = nil
                acknowledgement = (id, author, comment, pending?.expiresAt)
                _ = try? store.acknowledgeIncident(id, author: author, comment: comment, at: Date(), expiresAt: pending?.expiresAt)
                reminders.acknowledged(id, expiresAt: pending?.expiresAt)
                let via = pending?.via.map { " on \($0)" } ?? ""
                let until = pending?.expiresAt.map { " until \(ISO8601DateFormatter().string(from: $0)), then reminders resume" }
                    ?? "; no reminders until it is closed"
                record(.incident, kind: .acknowledged, incident: id, reason: "incident \(id) acknowledged by \(author)\(via)\(until)", author: author)
            case .closeIncident(let id, let reason):
                _ = try? store.closeIncident(id, reason: reason, at: Date())
                reminders.closed(id)
                record(.incident, incident: id, reason: "incident \(id) closed: \(reason)")
            case .notify(let kind, let incident, let reason):
                // Some decisions (a guard refusal, an abandoned failback) exist only as a notification.
                logger.notice("\(kind.rawValue)\(incident.map { " (incident \($0))" } ?? ""): \(reason)",
                              metadata: decisionFields(kind.rawValue, incident: incident))
                record(.notify, kind: kind, incident: incident, reason: reason)
                let ack = kind == .acknowledged ? acknowledgement.map { (author: $0.author, comment: $0.comment) } : nil
                notifier.send(notifier.event(kind, incident: incident, reason: reason, ackAuthor: ack?.author, ackComment: ack?.comment))
            case .transition(let from, let to, let reason):
                logger.notice("\(from.rawValue) -> \(to.rawValue): \(reason)", metadata: decisionFields("transition", incident: nil))
                metrics.transitioned()
                record(.transition, reason: "\(from.rawValue) -> \(to.rawValue): \(reason)")
            case .answerAdmin(let accepted, let reason):
                logger.notice("admin command \(accepted ? "accepted" : "refused"): \(reason)")
            }
        }
    }

    func runAction(_ kind: ServiceActionKind, _ command: FailoverConfig.ActionCommand, _ context: ServiceActionContext) {
        let runner = runner
        logger.notice("running the \(kind.rawValue) action: \(context.reason)")
        Task {
            let report = await runner.run(kind, command, context: context)
            self.actionFinished(kind, report)
        }
    }

    func fence(reason: String) {
        guard let fence = failover.fence else {
            apply(machine.fenceFinished(succeeded: false, detail: "no fence command configured", now: now()))
            return
        }
        let runner = runner
        let context = ServiceActionContext(role: machine.role, epoch: machine.epoch, event: nil, incident: nil, reason: reason)
        logger.notice("fencing \(failover.peer.name): \(reason)")
        Task {
            let report = await runner.run(fence, label: "fence", context: context)
            self.fenceFinished(report)
        }
    }

    /// After a restart, the incidents still open in the store go on: the machine closes them
    /// at failback, unacknowledged ones are reminded of again, and an acknowledgement with
    /// an expiry still ends when it said.
    func restoreIncidents() {
        guard let open = try? store.openIncidents(), !open.isEmpty else { return }
        machine.restore(openIncidents: open.map(\.id))
        for incident in open {
            reminders.opened(incident.id, kind: incident.kind, reason: incident.reason, openedAt: incident.openedAt, pagedHere: true, now: Date())
            if let acknowledgement = incident.acknowledgement {
                reminders.acknowledged(incident.id, expiresAt: acknowledgement.expiresAt)
            }
        }
        let ids = open.map { $0.id.description + ($0.acknowledgement == nil ? "" : " (acknowledged)") }
        logger.notice("open incidents from before the restart: \(ids.joined(separator: ", "))")
    }

    /// Records the incident and pages about it. A role change is paged by the node that
    /// ends up serving (both nodes raise the same incident id); the other only records it.
    func raise(_ id: IncidentID, _ kind: EventKind, reason: String, roleBefore: ServiceRole) {
        _ = try? store.openIncident(id, kind: kind, reason: reason, at: Date())
        logger.notice("incident \(id) (\(kind.rawValue)) opened: \(reason)", metadata: decisionFields(kind.rawValue, incident: id))
        record(.incident, kind: kind, incident: id, reason: "incident \(id) opened: \(reason)")
        let serving = [.active, .takingOver].contains(machine.stateName)
        let pagedHere = id.topic != .roleChange || serving
        reminders.opened(id, kind: kind, reason: reason, openedAt: Date(), pagedHere: pagedHere, now: Date())
        if !pagedHere {
            let line = "incident \(id) (\(kind.rawValue)) is paged by \(failover.peer.name), which takes over; "
                + "\(config.node.name) pages it if \(failover.peer.name) does not confirm delivering it within \(config.incidents.confirmTimeout)"
            logger.info("\(line)")
            record(.notify, kind: kind, incident: id, reason: line)
            return
        }
        record(.notify, kind: kind, incident: id, reason: "incident \(id) (\(kind.rawValue)) paged by \(config.node.name)")
        let newRole: ServiceRole = machine.stateName == .takingOver ? .active : machine.role
        Task {
            let checks = await self.checkSummaries()
            self.notifier.send(self.notifier.event(
                kind, incident: id, reason: reason, oldRole: roleBefore, newRole: newRole, checks: checks
            ))
        }
    }

    /// Check changes page on their own for `warning` checks, and for `critical` checks on a
    /// standby (the pair lost or regained its spare). On a serving node the failover they
    /// cause is the page, with the checks in it; on a failed node the admin is at work.
    func notifyCheck(_ transition: CheckTransition) {
        guard transition.from != .pending || transition.to == .failing else { return }
        if transition.severity == .critical, machine.stateName != .standby { return }
        let kind: EventKind = transition.to == .failing ? .checkFailed : .checkRecovered
        let summary = NotifiableEvent.CheckSummary(
            name: transition.check, status: transition.result.status.rawValue.uppercased(), output: transition.result.message
        )
        notifier.send(notifier.event(
            kind, incident: nil, reason: "check \(transition.check) is \(transition.to.rawValue): \(transition.result.message)",
            checks: [summary]
        ))
    }

    func sendQueued() async {
        for await message in outgoing {
            await link.send(kind: message.kind, epoch: message.epoch, requestID: message.requestID, payload: message.payload)
        }
    }

    // MARK: - Helpers

    var tickPeriod: Duration {
        let heartbeat = failover.heartbeatInterval.seconds
        return .milliseconds(Int64(min(250, max(10, heartbeat * 1000 / 4))))
    }

    func now() -> MonotonicInstant {
        let elapsed = ContinuousClock.now - origin
        let (seconds, attoseconds) = elapsed.components
        return MonotonicInstant(nanoseconds: UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds / 1_000_000_000)))
    }

    /// The state machine's verdict from the scheduler's: failing and pending critical
    /// checks with their last output.
    func healthVerdict(_ verdict: CheckVerdict) async -> HealthVerdict {
        let latest = Dictionary(await scheduler.snapshot().map { ($0.name, $0.latest?.message) }) { first, _ in first }
        let failing = verdict.failing.map { FailingCheck(name: $0, output: (latest[$0] ?? nil) ?? "failing") }
            + verdict.pending.map { FailingCheck(name: $0, output: "no result yet") }
        return HealthVerdict(healthy: verdict.healthy, failing: failing)
    }

    func checkSummaries() async -> [NotifiableEvent.CheckSummary] {
        await scheduler.snapshot().map { snapshot in
            NotifiableEvent.CheckSummary(
                name: snapshot.name, status: snapshot.latest?.status.rawValue.uppercased() ?? "PENDING",
                output: snapshot.latest?.message ?? "no result yet"
            )
        }
    }

    func record(
        _ category: EventRecord.Category, kind: EventKind? = nil, incident: IncidentID? = nil, reason: String,
        detail: String? = nil, author: String? = nil
    ) {
        do {
            _ = try store.appendEvent(EventRecord(
                time: Date(), category: category, kind: kind, incident: incident, reason: reason, detail: detail, author: author
            ))
        } catch {
            logger.error("cannot record an event in \(store.path): \(error)")
        }
    }
}

/// Why the agent could not start, in one sentence naming the file or setting at fault.
public struct AgentStartError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
