import Foundation
import Logging
import NIOCore
import NIOPosix
import VacataireAddress
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
/// commands, guard probes, fencing) run as children of `run()`, started in the order the
/// machine returned them, and come back as new inputs, so nothing slow ever holds the
/// actor while a heartbeat is due (`FailoverAgent+Effects`). Peer messages leave through
/// one ordered queue, so a `.persist` always precedes the send after it; notifications
/// through another, into the outbox. Time comes from one injected `AgentClock`.
public actor FailoverAgent {
    /// Decides who serves (the pair's `FailoverMachine`): fed every input, its actions executed in order.
    var coordinator: any Coordinator
    var config: Config
    var failover: FailoverConfig
    let store: AgentStore
    /// The one thread that touches the store once the agent runs (writes, status reads,
    /// the outbox), so that a stalled disk never stalls the agent.
    let storeThread: StoreThread
    /// The pair's peer link (mode pair), or the lease's way to etcd (mode etcd): one of them.
    let link: PeerLink?
    let leaseLink: LeaseLink?
    /// The floating addresses' executor (`failover.addresses`), if configured.
    let addresses: AddressKeeper?
    let scheduler: CheckScheduler
    let notifier: AgentNotifier
    let outbox: NotificationOutbox
    let runner: ServiceActionRunner
    var prober: GuardProber
    /// The Prometheus metrics of `/metrics`; counted here and in the outbox.
    let metrics: AgentMetrics
    /// What the AgentX subagent answers (`snmp_agent:`), published after every change.
    let snmpStatus = SNMPStatusBoard()
    let logger: Logger
    /// The one source of time (a manual clock in tests).
    let clock: any AgentClock
    /// Rung at each transition and each notification decided or delivered, so that the
    /// pages an incident touched are released once it is over (`StartupPages`).
    let activity = Doorbell()
    let outgoing: AsyncStream<PeerOutgoingMessage>
    let outgoingQueue: AsyncStream<PeerOutgoingMessage>.Continuation
    /// Whether the service checks run, as last told to the scheduler (in order, through
    /// `serviceCheckModes`), following the machine's `runsServiceChecks`.
    var serviceChecksRunning: Bool
    /// Every check's last result, as a page lists them: refreshed with each check change.
    var checkSummaryCache: [NotifiableEvent.CheckSummary] = []
    let serviceCheckModes: AsyncStream<Bool>
    let serviceCheckModeQueue: AsyncStream<Bool>.Continuation
    /// The role before the latest role-changing action list, for notifications.
    var lastRole: PersistedRole
    /// Why the store takes no writes now (refused, stalled, or could not be opened).
    var stateNotWritable: String?
    /// What the configuration leaves unsafe (`ConfigWarnings`): logged at start, in status.
    var configWarnings: [ConfigWarning]
    /// Reminders of open incidents and the peer's delivery confirmations (`incidents:`).
    var reminders: IncidentReminders
    /// When `tick` last ran the machine: systemd's watchdog is pinged only while it moves.
    var lastTick = MonotonicInstant(nanoseconds: 0)
    /// `tick()` runs: what it applies needs no new plan (the tick loop plans after it).
    var ticking = false
    /// The split-brain guard's last answer, to log only a different one.
    var lastGuardReport: GuardReport?
    /// A start waiting for its role (write `number`) to be in the store.
    var pendingStart: (number: UInt64, context: ServiceActionContext)?
    /// The store call seen running, and since when (a stall beyond `storeDeadline` is a
    /// state directory that takes no writes).
    var stallWatch: (number: UInt64, since: MonotonicInstant)?
    /// When the store was last tried (`probeStateDirectory`).
    var lastStateProbe = MonotonicInstant(nanoseconds: 0)
    /// The state directory's health changed and the machine has not heard it yet.
    var stateCheckChanged = false
    /// The real store, which could not be opened at start, opens now (said once).
    var realStoreOpensAgain = false
    /// Why the role before this start is unknown although the store opened (its database
    /// was deleted while the node had run before), or nil.
    var roleUnknownAtStart: String?
    /// What the peer link says an operator must fix about the peer's refused datagrams.
    let refusals: AsyncStream<String>
    /// Effects started and not finished (`startEffect`), for `settle()`.
    var effectsInFlight = 0
    let effects: AsyncStream<Effect>
    let effectQueue: AsyncStream<Effect>.Continuation
    /// Notifications decided and not yet taken by the outbox, for `settle()`.
    var notificationsQueued = 0
    /// When the tick loop will next run the machine's `tick` (`FailoverMachine.nextTick`).
    var plannedTick = MonotonicInstant(nanoseconds: 0)
    /// Rung when an input makes the machine want its tick sooner than planned.
    let tickBell = Doorbell()
    /// Check changes not yet weighed (`checkChanged`), and the bell that says some came.
    var pendingCheckChanges: [CheckTransition] = []
    let checkChangesBell = Doorbell()
    var weighingCheckChanges = false
    /// A drill runs (`vacataire drill`): another is refused until it reports.
    var drillRunning = false
    /// Rung after every `apply`: an admin command waiting for its outcome looks again.
    let changeBell = Doorbell()
    /// Rung whenever something `settle()` waits for may have ended (an effect, a
    /// notification taken, a batch of check changes weighed, a store call, a delivery).
    let progressBell = Doorbell()

    /// Opens the store, the peer link (its sockets on `eventLoopGroup`) and the checks for
    /// `config`; `run()` starts them.
    public static func start(
        config: Config, templates: TemplateSet, logger: Logger, clock: any AgentClock = SystemClock(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> FailoverAgent {
        guard let failover = config.failover else {
            throw AgentStartError("\(config.file): no `failover:` section; `vacataire run` needs one (Docs/failover.md)")
        }
        // A database that is gone while the boot generation beside it says this node ran
        // before: whatever role it had is unknown.
        let databaseLost = !FileManager.default.fileExists(atPath: config.stateDirectory + "/" + AgentStore.fileName)
            && FileManager.default.fileExists(atPath: config.stateDirectory + "/" + BootGeneration.defaultFileName)
        let (store, persisted, notWritableAtStart) = try openStore(config, clock: clock)
        var notWritable = notWritableAtStart
        let bootID: UInt64
        do {
            bootID = try BootGeneration.next(stateDirectory: config.stateDirectory, clock: clock.unixMilliseconds)
        } catch {
            notWritable = notWritable ?? error.description
            bootID = BootGeneration.standIn(stateDirectory: config.stateDirectory, clock: clock.unixMilliseconds)
        }
        if failover.floating != nil, let problem = NetworkCapabilities.problem() {
            throw AgentStartError(problem)
        }
        // The newest hint only: the peer may send twenty datagrams a second.
        let (refusals, refusalQueue) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        if let etcd = failover.etcd {
            let gateway = EtcdGateway(EtcdGateway.Settings(etcd, cluster: config.node.cluster))
            let leaseLink = LeaseLink(gateway: gateway, clock: clock, ttl: etcd.ttl.duration, retryPause: etcd.renewInterval.duration)
            refusalQueue.finish()
            let agent = FailoverAgent(
                config: config, failover: failover, store: store, link: nil, leaseLink: leaseLink, refusals: refusals, templates: templates,
                persisted: persisted, bootID: bootID, logger: logger, clock: clock)
            if let notWritable { await agent.startedWithoutWritableState(notWritable) }
            if databaseLost { await agent.startedWithoutItsDatabase() }
            return agent
        }
        let keyring: PeerKeyring
        do {
            keyring = try PeerKeyring.load(failover)
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
                validator: PeerMessageValidator(identity: identity, peers: [failover.peer.name], keyring: keyring),
                eventLoopGroup: eventLoopGroup, clock: clock,
                rejectionLog: { logger.warning("\($0)") },
                refusalHint: { refusalQueue.yield($0) }
            )
        } catch {
            throw AgentStartError(error.description)
        }
        let agent = FailoverAgent(
            config: config, failover: failover, store: store, link: link, leaseLink: nil, refusals: refusals, templates: templates,
            persisted: persisted, bootID: bootID, logger: logger, clock: clock
        )
        if let notWritable { await agent.startedWithoutWritableState(notWritable) }
        if databaseLost { await agent.startedWithoutItsDatabase() }
        return agent
    }

    private init(
        config: Config, failover: FailoverConfig, store: AgentStore, link: PeerLink?, leaseLink: LeaseLink?, refusals: AsyncStream<String>,
        templates: TemplateSet, persisted: PersistedFailoverState?, bootID: UInt64, logger: Logger, clock: any AgentClock
    ) {
        self.refusals = refusals
        self.clock = clock
        self.config = config
        self.failover = failover
        self.store = store
        let storeThread = StoreThread(store: store, limit: Self.pendingWriteLimit)
        self.storeThread = storeThread
        self.link = link
        self.leaseLink = leaseLink
        addresses = failover.floating.map { floating in
            // The peer's own addresses and its service probe's host: where its hardware address is learnt.
            let peerHosts = failover.peer.addresses.map(\.host.host) + [failover.serviceProbe?.host].compactMap { $0 }
            return AddressKeeper(config: floating, peerHosts: peerHosts, clock: clock)
        }
        self.logger = logger
        // A node that was active may still run its service: check it from the start.
        serviceChecksRunning = persisted?.role == .active
        scheduler = CheckScheduler(configs: config.checks, serviceChecksRun: serviceChecksRunning, clock: clock)
        (serviceCheckModes, serviceCheckModeQueue) = AsyncStream.makeStream(of: Bool.self)
        metrics = AgentMetrics(checks: config.checks.map(\.name), addresses: failover.floating?.addresses.map(\.address.description) ?? [])
        outbox = NotificationOutbox(
            sender: NotificationSender(config: config, templates: templates, clock: clock), settings: config.outbox, storeThread: storeThread,
            progress: progressBell, metrics: metrics, logger: logger, clock: clock)
        notifier = AgentNotifier(node: config.node, peer: failover.peer.name, storeThread: storeThread, clock: clock)
        runner = ServiceActionRunner(node: config.node.name, peer: failover.peer.name)
        let settings = failover.settings(nodeName: config.node.name)
        prober = GuardProber(failover, settings: settings)
        if let etcd = failover.etcd {
            var lease = failover.leaseSettings(nodeName: config.node.name, etcd: etcd)
            lease.version = VacataireCore.version
            lease.endpoint = config.loadBalancer.http.map { "http://\($0)/" }
            coordinator = LeaseMachine(settings: lease, persisted: persisted, now: clock.now)
        } else {
            coordinator = FailoverMachine(settings: settings, persisted: persisted, requestIDSeed: bootID << 32, now: clock.now)
        }
        lastRole = persisted?.role ?? .standby
        reminders = Self.reminders(config)
        configWarnings = Self.warnings(config)
        (outgoing, outgoingQueue) = AsyncStream.makeStream(of: PeerOutgoingMessage.self)
        (effects, effectQueue) = AsyncStream.makeStream(of: Effect.self)
    }

    /// Runs the checks, the peer link and the timer until the task is cancelled; then
    /// closes the link and records the stop (`closeStore` writes it). The service keeps whatever state it is in: stopping
    /// the agent (an upgrade, a restart) never stops the service.
    public func run() async {
        let transitions = scheduler.transitions()
        let coordination = failover.etcd.map { "mode etcd at \($0.endpoints.joined(separator: ", ")), priority \($0.priority)" }
            ?? "configured \(failover.role.rawValue), peer \(failover.peer.name)"
        record(.agent, reason: "agent started: \(config.node.name) in cluster \(config.node.cluster), \(coordination)")
        for warning in configWarnings { logger.warning("configuration warning: \(warning)") }
        restoreIncidents()
        stopServiceOfUnknownRole()
        apply(coordinator.boot(now: now()))
        // The first verdict: node checks with no result yet, service checks idle where the
        // service is off (they may never change, and the machine never decides without one).
        apply(coordinator.handle(.health(await healthVerdict(scheduler.verdict())), now: now()))
        // Every loop below ends when the task running the agent is cancelled (SIGTERM).
        // Priorities: the peer link and the timer first, the checks and what they feed
        // after, so that a storm of check results never delays a heartbeat.
        await withDiscardingTaskGroup { group in
            group.addTask(priority: .utility) { await self.scheduler.run() }
            group.addTask { await self.outbox.run() }
            group.addTask { await self.runEffects() }
            group.addTask(priority: .utility) { await self.runSNMPAgent() }
            group.addTask {
                // One consumer: the outbox commits notifications in the order they were decided.
                await self.outbox.takeDecidedBeforeRestart()
                for await decided in self.notifier.queued {
                    await self.outbox.enqueue(decided.map { ($0.notification, $0.journal) })
                    await self.notificationsTaken(decided.count)
                }
            }
            group.addTask {
                for await page in self.outbox.deliveredPages { await self.pageDelivered(page) }
            }
            group.addTask(priority: .utility) {
                for await transition in transitions { await self.queueCheckChange(transition) }
            }
            group.addTask(priority: .utility) {
                // Check changes are weighed in batches: one while the last batch was being
                // recorded (a storm of flapping checks) costs one transaction, not one each.
                while !Task.isCancelled {
                    await self.checkChangesBell.wait()
                    await self.checkChanged()
                }
            }
            if let link = self.link {
                group.addTask(priority: .high) { await link.run() }
                group.addTask(priority: .high) { await self.receive(link.incoming) }
                group.addTask {
                    // Why the peer's datagrams are refused, for the machine to tell a silence with it.
                    for await hint in self.refusals { await self.peerDatagramRefused(hint) }
                }
                group.addTask(priority: .high) { await link.sendEach(self.outgoing) }
            }
            if let addresses = self.addresses {
                group.addTask { await addresses.runAnnouncements() }
            }
            if let leaseLink = self.leaseLink {
                leaseLink.startWatching()
                group.addTask(priority: .high) {
                    for await event in leaseLink.events { await self.leaseEvent(event) }
                }
                group.addTask {
                    // The events end when the link closes: close it when the agent stops
                    // (a bell nobody rings: the wait ends when the task is cancelled).
                    await Doorbell().wait()
                    leaseLink.close()
                }
            }
            group.addTask {
                for await running in self.serviceCheckModes { await self.scheduler.setServiceChecks(running: running) }
            }
            group.addTask(priority: .high) {
                // The store thread's news: a write done (a start may wait for it), refused.
                while !Task.isCancelled {
                    await self.storeThread.bell.wait()
                    await self.storeProgressed(self.clock.now)
                }
            }
            group.addTask(priority: .high) {
                // The machine's timer: at the instant it asks for, or sooner when an input asks.
                while !Task.isCancelled {
                    await self.sleep(until: await self.planTick())
                    if Task.isCancelled { break }
                    await self.tickIfDue()
                }
            }
        }
        outgoingQueue.finish()
        serviceCheckModeQueue.finish()
        effectQueue.finish()
        await link?.close()
        leaseLink?.close()
        if let addresses, SystemShutdown.inProgress {
            // The machine goes down: its addresses must not outlive it on the wire (a
            // restart of the agent alone keeps them, as it keeps the service).
            let failure = addresses.release()
            logger.notice("the system shuts down: floating addresses let go\(failure.map { " (\($0))" } ?? "")")
        }
        let stopped = "agent stopped in state \(coordinator.stateName.rawValue) (role \(coordinator.role.rawValue), epoch \(coordinator.epoch)); the service is left as it is"
        logger.notice("\(stopped)")
        record(.agent, reason: stopped)
    }

    /// After `run()`: the last writes reach the store, which is closed on its thread (SQLite
    /// checkpoints its log, so a restart on a full disk finds one file to open). Called from
    /// a task that is not cancelled, since the wait is bounded on the clock: a frozen disk
    /// holds the exit `storeDeadline` at most, and what it still holds is lost.
    public func closeStore() async {
        if !(await storeThread.drain(within: Self.storeDeadline, clock: clock, then: { try? $0.close() })) {
            logger.error("the store did not take the last writes within \(Self.storeDeadline.humanSeconds); exiting without them")
        }
    }

    // MARK: - Inputs

    func tick() async {
        lastTick = clock.now
        ticking = true
        defer { ticking = false }
        probeStateDirectory(lastTick)
        apply(coordinator.handle(.tick, now: now()))
        sendDueIncidentNotices()
        await stateCheckFollowUp()
    }

    /// Ticks when the coordinator's tick is due; woken by the bell only to plan again, the
    /// loop returns to sleep.
    func tickIfDue() async {
        guard coordinator.nextTick(after: clock.now) <= clock.now else { return }
        await tick()
    }

    func peerDatagramRefused(_ hint: String) {
        apply(coordinator.handle(.peerRefused(hint), now: now()))
    }

    func queueCheckChange(_ transition: CheckTransition) {
        pendingCheckChanges.append(transition)
        checkChangesBell.ring()
    }

    /// Weighs the check changes that came since the last call, oldest first: each is logged
    /// and recorded (in one transaction), the machine is told the newest verdict, and the
    /// changes that page are journaled (in one transaction) for the outbox.
    func checkChanged() async {
        let batch = pendingCheckChanges
        pendingCheckChanges = []
        guard let newest = batch.last else { return }
        weighingCheckChanges = true
        defer {
            weighingCheckChanges = false
            progressBell.ring()
        }
        // Recorded in one write, queued before the verdict's consequences (their order kept).
        for transition in batch { logger.info("\(transition.reason)") }
        record(batch.map { EventRecord(time: clock.date, category: .check, kind: $0.event, reason: $0.reason) })
        let verdict = await healthVerdict(newest.verdict)
        checkSummaryCache = await checkSummaries()
        apply(coordinator.handle(.health(verdict), now: now()))
        notifyChecks(batch)
    }

    /// The answer to `.claimAddresses`.
    func addressesClaimed(_ conflict: String?) {
        if let conflict {
            logger.critical("floating address(es) not taken: \(conflict)")
        } else {
            logger.notice("floating address(es) taken and announced: \(failover.floating?.addresses.map(\.description).joined(separator: ", ") ?? "")")
        }
        apply(coordinator.handle(.addressesClaimed(conflict: conflict), now: now()))
    }

    /// What etcd answered or showed (mode etcd), for the lease coordinator.
    func leaseEvent(_ event: LeaseEvent) {
        switch event {
        case .failed(let request, let why, let storeAnswered):
            logger.warning("etcd: \(request.name) failed (\(storeAnswered ? "etcd answered" : "no etcd host answered")): \(why)")
        case .granted(let lease, _):
            logger.info("etcd: lease \(String(lease, radix: 16)) granted")
        default:
            logger.debug("etcd: \(event)")
        }
        apply(coordinator.handle(.lease(event), now: now()))
    }

    /// Hands each valid message from the peer link to `peerMessage`. The loop runs on the
    /// agent's isolation, so that a message costs one resumption and no hop into the agent.
    func receive(_ messages: AsyncStream<ReceivedPeerMessage>) async {
        for await received in messages { peerMessage(received) }
    }

    func peerMessage(_ received: ReceivedPeerMessage) {
        let message: FailoverMessage
        do {
            message = try FailoverMessage(wire: received.message)
        } catch {
            logger.warning("\(error.description) (from \(received.source))")
            return
        }
        apply(coordinator.handle(.peerMessage(message), now: now()))
    }

    func actionFinished(_ kind: ServiceActionKind, _ report: ServiceActionReport) {
        record(.action, reason: report.summary, detail: report.outputTail.isEmpty ? nil : report.outputTail)
        if report.succeeded {
            logger.info("\(report.summary)")
        } else {
            logger.error("\(report.summary)\(report.outputTail.isEmpty ? "" : "; output: \(report.outputTail)")")
        }
        apply(coordinator.handle(.actionFinished(kind, report.outcome), now: now()))
    }

    func guardAnswered(_ report: GuardReport, detail: String) {
        // Probed up to twice a second while the peer is away: logged when the answer changes.
        if report != lastGuardReport {
            lastGuardReport = report
            logger.info("split-brain guard: \(detail)")
        }
        apply(coordinator.handle(.guardAnswered(report), now: now()))
    }

    func fenceFinished(_ report: ServiceActionReport) {
        record(.action, reason: report.summary, detail: report.outputTail.isEmpty ? nil : report.outputTail)
        apply(coordinator.handle(.fenceFinished(succeeded: report.succeeded, detail: report.summary), now: now()))
    }

    // MARK: - Actions

    /// Executes the machine's actions in order. A role or epoch that cannot be written never
    /// blocks a step towards safety (stopping, staying off): it goes ahead in memory and is
    /// written as soon as the store takes writes again. A step that would start the service
    /// is refused instead: its start actions do not run and the machine hears that the start
    /// failed, so it stops what may have started and its peer keeps serving.
    func apply(_ actions: [FailoverAction]) {
        let roleBefore = lastRole
        var acknowledgement: (id: IncidentID, author: String, comment: String?, expiresAt: Date?)?
        var refusedStart: String?
        var recordedActive: UInt64?
        for action in actions {
            switch action {
            case .persist(let state):
                let number = persist(state)
                if state.role == .active { recordedActive = number }
            case .runStartActions(let context):
                refusedStart = startOnceRecorded(recordedActive, context)
                if let refusedStart { logger.critical("\(refusedStart)") }
            case .send(let message):
                outgoingQueue.yield(message.wire(configuredRole: failover.role))
            case .runStopActions(let context):
                if let pending = pendingStart {
                    pendingStart = nil  // never ran: nothing to stop but what the stop stops anyway
                    logger.notice("start at epoch \(pending.context.epoch) not run: a stop came before its role was recorded")
                }
                runAction(.stop, failover.stop, context)
            case .probeGuard(let request):
                let prober = prober
                startEffect {
                    let (report, detail) = await prober.probe(request)
                    await self.guardAnswered(report, detail: detail)
                }
            case .fencePeer(let reason):
                fence(reason: reason)
            case .raiseIncident(let id, let kind, let reason, let paged, let failing):
                openIncident(id, kind, reason: reason, paged: paged, failing: failing, roleBefore: roleBefore)
            case .acknowledgeIncident(let id, let author, let comment, let expiresIn, let via):
                let at = clock.date
                let expiresAt = expiresIn.map { at.adding($0) }
                acknowledgement = (id, author, comment, expiresAt)
                storeWrite("record the acknowledgement of \(id)") { _ = try $0.acknowledgeIncident(id, author: author, comment: comment, at: at, expiresAt: expiresAt) }
                reminders.acknowledged(id, expiresIn: expiresIn, now: clock.now)
                let via = via.map { " on \($0)" } ?? ""
                let until = expiresAt.map { " until \(DateText.iso8601($0)), then reminders resume" }
                    ?? "; no reminders until it is closed"
                record(.incident, kind: .acknowledged, incident: id, reason: "incident \(id) acknowledged by \(author)\(via)\(until)", author: author)
            case .closeIncident(let id, let reason):
                let at = clock.date
                storeWrite("record the closing of \(id)") { _ = try $0.closeIncident(id, reason: reason, at: at) }
                reminders.closed(id)
                record(.incident, incident: id, reason: "incident \(id) closed: \(reason)")
            case .notify(let kind, let incident, let reason):
                // Some decisions (a guard refusal, an abandoned failback) exist only as a notification.
                logger.notice("\(kind.rawValue)\(incident.map { " (incident \($0))" } ?? ""): \(reason)",
                              metadata: decisionFields(kind.rawValue, incident: incident))
                record(.notify, kind: kind, incident: incident, reason: reason)
                let ack = kind == .acknowledged ? acknowledgement.map { (author: $0.author, comment: $0.comment) } : nil
                if let incident { reminders.pagedHere(incident) }  // its news goes out from here, so do its reminders
                queueNotification(notifier.event(kind, incident: incident, reason: reason, ackAuthor: ack?.author, ackComment: ack?.comment))
            case .foldUndelivered(let kind, let incident, let because):
                record(.notify, kind: kind, incident: incident, reason: "undelivered \(kind.rawValue) page(s) of \(incident) from \(config.node.name) are no longer news (\(because)): not sent; the incident's next message from here tells them")
                let outbox = outbox
                startEffect { await outbox.fold(kind, incident: incident.description, because: because) }
            case .transition(let from, let to, let reason):
                logger.notice("\(from.rawValue) -> \(to.rawValue): \(reason)", metadata: decisionFields("transition", incident: nil))
                metrics.transitioned()
                activity.ring()
                record(.transition, reason: "\(from.rawValue) -> \(to.rawValue): \(reason)")
            case .peerDelivered(let incident):
                reminders.confirmed(incident)
                record(.notify, incident: incident, reason: "\(failover.peer.name) confirmed delivering a page of incident \(incident)")
            case .lease(let request):
                leaseLink?.execute(request)
            case .claimAddresses(let waitFree, let overPeer):
                guard let addresses else { break }
                logger.notice("taking the floating address(es): probing that no other host answers for them")
                startEffect {
                    let conflict = await addresses.claim(waitFree: waitFree, overPeer: overPeer)
                    await self.addressesClaimed(conflict)
                }
            case .releaseAddresses(let reason):
                guard let addresses else { break }
                let failure = addresses.release()
                logger.notice("floating address(es) let go (\(reason))\(failure.map { "; could not remove: \($0)" } ?? "")")
                record(.agent, reason: "floating address(es) let go: \(reason)")
            case .answerAdmin(let accepted, let reason):
                logger.notice("admin command \(accepted ? "accepted" : "refused"): \(reason)")
            }
        }
        followServiceChecks()
        // The coordinator's next tick may have moved either way (a peer heard on time makes
        // its lateness tick needless): the tick loop plans again (after a tick, it does anyway).
        if !ticking, coordinator.nextTick(after: clock.now) != plannedTick {
            tickBell.ring()
        }
        changeBell.ring()
        publishSNMPStatus(after: actions)
        if let refusedStart {
            apply(coordinator.handle(.actionFinished(.start, .failed(refusedStart)), now: now()))
        }
    }

    /// Service checks run where the service runs (Docs/checks.md, "Scope"): tell the
    /// scheduler whenever the machine's answer changes, in order.
    func followServiceChecks() {
        let running = coordinator.runsServiceChecks
        guard running != serviceChecksRunning else { return }
        serviceChecksRunning = running
        logger.info("service checks \(running ? "start: the service runs here" : "go idle: the service is off here")")
        serviceCheckModeQueue.yield(running)
    }

    /// The warnings of `config`, from its file as it is now.
    static func warnings(_ config: Config) -> [ConfigWarning] {
        ConfigWarnings.of(config, yaml: (try? String(contentsOfFile: config.file, encoding: .utf8)) ?? "")
    }

    func runAction(_ kind: ServiceActionKind, _ command: FailoverConfig.ActionCommand, _ context: ServiceActionContext) {
        let runner = runner
        logger.notice("running the \(kind.rawValue) action: \(context.reason)")
        startEffect {
            let report = await runner.run(kind, command, context: context)
            await self.actionFinished(kind, report)
        }
    }

    func fence(reason: String) {
        guard let fence = failover.fence else {
            apply(coordinator.handle(.fenceFinished(succeeded: false, detail: "no fence command configured"), now: now()))
            return
        }
        let runner = runner
        let context = ServiceActionContext(role: coordinator.role.told, epoch: coordinator.epoch, event: nil, incident: nil, reason: reason)
        logger.notice("fencing \(failover.peer.name): \(reason)")
        startEffect {
            let report = await runner.run(fence, label: "fence", context: context)
            await self.fenceFinished(report)
        }
    }

    /// After a restart, the incidents still open in the store go on: the machine closes them
    /// at failback, unacknowledged ones are reminded of again, and an acknowledgement with
    /// an expiry still ends when it said.
    func restoreIncidents() {
        // Ids already used in the last epochs are never given to a new incident.
        let used = (try? store.incidentIDs(fromEpoch: coordinator.epoch > 2 ? coordinator.epoch - 2 : 0)) ?? []
        let open = (try? store.openIncidents()) ?? []
        coordinator.restore(openIncidents: open.map(\.id), used: used)
        guard !open.isEmpty else { return }
        for incident in open {
            // The store's dates become spans once, here; the schedule runs on the monotonic clock.
            let openFor = Duration.clamped(seconds: clock.date.timeIntervalSince(incident.openedAt))
            reminders.opened(incident.id, kind: incident.kind, reason: incident.reason, openFor: openFor, pagedHere: true, now: clock.now)
            if let acknowledgement = incident.acknowledgement {
                let expiresIn = acknowledgement.expiresAt.map { Duration.clamped(seconds: $0.timeIntervalSince(clock.date)) }
                reminders.acknowledged(incident.id, expiresIn: expiresIn, now: clock.now)
            }
        }
        let ids = open.map { $0.id.description + ($0.acknowledgement == nil ? "" : " (acknowledged)") }
        logger.notice("open incidents from before the restart: \(ids.joined(separator: ", "))")
    }

    /// Records the incident and, when the machine says this node pages it, pages about it
    /// with the failing node's checks (the peer's, carried in its handoff request, or this
    /// node's own). Otherwise the peer pages it; a role change it does not confirm
    /// delivering within `confirm_timeout` is paged from here after all.
    func openIncident(_ id: IncidentID, _ kind: EventKind, reason: String, paged: Bool, failing: [FailingCheck], roleBefore: PersistedRole) {
        let at = clock.date
        storeWrite("record incident \(id)") { _ = try $0.openIncident(id, kind: kind, reason: reason, at: at) }
        logger.notice("incident \(id) (\(kind.rawValue)) opened: \(reason)", metadata: decisionFields(kind.rawValue, incident: id))
        record(.incident, kind: kind, incident: id, reason: "incident \(id) opened: \(reason)")
        reminders.opened(id, kind: kind, reason: reason, pagedHere: paged, now: clock.now)
        guard paged else {
            let line = failover.etcd != nil
                ? "incident \(id) (\(kind.rawValue)) recorded, not paged: the cluster's first election (nobody served before)"
                : id.topic == .roleChange
                ? "incident \(id) (\(kind.rawValue)) is paged by \(failover.peer.name), which serves; \(config.node.name) pages it if "
                    + "\(failover.peer.name) does not confirm delivering it within \(config.incidents.confirmTimeout)"
                : coordinator.peerStatus(at: now()).heardRole == .active
                    ? "incident \(id) (\(kind.rawValue)) recorded, not paged from \(config.node.name): \(failover.peer.name) serves and pages it"
                    : "incident \(id) (\(kind.rawValue)) recorded, not paged yet: \(failover.peer.name) pages it if it takes over; "
                        + "\(config.node.name) pages it if nobody serves"
            logger.info("\(line)")
            record(.notify, kind: kind, incident: id, reason: line)
            return
        }
        record(.notify, kind: kind, incident: id, reason: "incident \(id) (\(kind.rawValue)) paged by \(config.node.name)")
        let newRole = coordinator.announcedRole
        let checks = failing.map { NotifiableEvent.CheckSummary(name: $0.name, status: "CRITICAL", output: $0.output) }
        queueNotification(notifier.event(
            kind, incident: id, reason: reason, oldRole: roleBefore.told, newRole: newRole, checks: checks.isEmpty ? checkSummaryCache : checks
        ))
    }

    /// Pages a check's change when `CheckChangePolicy` says it is news.
    func notifyChecks(_ transitions: [CheckTransition]) {
        let notifications = transitions.compactMap { transition -> NotifiableEvent? in
            guard CheckChangePolicy.pages(transition.change, severity: transition.severity, state: coordinator.stateName) else { return nil }
            let kind: EventKind = transition.to == .failing ? .checkFailed : .checkRecovered
            let summary = NotifiableEvent.CheckSummary(
                name: transition.check, status: transition.result.status.rawValue.uppercased(), output: transition.result.message
            )
            return notifier.event(
                kind, incident: nil, reason: "check \(transition.check) is \(transition.to.rawValue): \(transition.result.message)",
                checks: [summary]
            )
        }
        queueNotifications(notifications)
    }

    // MARK: - Helpers

    /// The instant of the next tick, as the machine asks for it now.
    func planTick() -> MonotonicInstant {
        plannedTick = coordinator.nextTick(after: clock.now)
        return plannedTick
    }

    /// Returns at `wake`, or as soon as `bell` rings (the tick bell unless told), or when
    /// the task is cancelled.
    nonisolated func sleep(until wake: MonotonicInstant, orWhen bell: Doorbell? = nil) async {
        await (bell ?? tickBell).wait(until: wake, on: clock)
    }

    func now() -> MonotonicInstant {
        clock.now
    }

    /// The state machine's verdict from the scheduler's: failing and pending critical
    /// checks with their last output.
    func healthVerdict(_ verdict: CheckVerdict) async -> HealthVerdict {
        let latest = Dictionary(await scheduler.snapshot().map { ($0.name, $0.latest?.message) }) { first, _ in first }
        let failing = verdict.failing.map { FailingCheck(name: $0, output: (latest[$0] ?? nil) ?? "failing") }
            + verdict.pending.map { FailingCheck(name: $0, output: FailingCheck.noResultYet) }
        let service: HealthVerdict.ServiceHealth
        let serviceFailing = failing.filter { verdict.serviceChecks.contains($0.name) }
        if verdict.serviceChecks.isEmpty {
            service = .unchecked
        } else if !verdict.idle.isEmpty {
            service = .idle
        } else {
            service = serviceFailing.isEmpty ? .healthy : .failing(serviceFailing)
        }
        return HealthVerdict(
            nodeFailing: failing.filter { !verdict.serviceChecks.contains($0.name) } + (stateCheck.map { [$0] } ?? []), service: service,
            pending: !verdict.pending.isEmpty)
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
        record([EventRecord(time: clock.date, category: category, kind: kind, incident: incident, reason: reason, detail: detail, author: author)])
    }

    /// Appends `events` to the history in one transaction.
    func record(_ events: [EventRecord]) {
        guard !events.isEmpty else { return }
        storeWrite(events.count == 1 ? "record an event" : "record \(events.count) events") { try $0.appendEvents(events) }
    }
}

/// Why the agent could not start, in one sentence naming the file or setting at fault.
public struct AgentStartError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
