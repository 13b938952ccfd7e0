import Foundation
import VacataireCore
import VacataireNotify
import VacataireStore

/// When the state directory takes no writes (a full disk, a read-only file system, a lock
/// held by another process, a store that cannot be opened): stopping is always allowed,
/// starting never is (Docs/persistence.md, "When the state cannot be written").
///
/// The agent treats it as a failing node check named `state-directory`: the machine hears
/// it in the health verdict, so a standby is not ready to take over and an active node
/// hands its service to a ready peer, whose page lists the check. It is paged on its own
/// only where no role change follows (a standby, as any critical node check). What the
/// store refuses waits in memory, in order, and is written when the store takes writes
/// again.
extension FailoverAgent {
    /// The name pages and status use for the state directory's health.
    static let stateCheckName = "state-directory"
    /// How often the store is tried while it takes writes (to learn it stopped before a
    /// role change needs it) and while it does not (to catch up).
    static let stateProbePeriod: Duration = .seconds(5)
    static let stateRetryPeriod: Duration = .seconds(1)
    /// A store call that has not returned after this long (a frozen file system, a dying
    /// disk) makes the state directory a failing check, as a refused write does. The
    /// agent itself never waits for the store: only the start of its service does.
    static let storeDeadline: Duration = .seconds(5)
    /// How long `vacataire status` and `/metrics` wait for what only the store knows.
    static let storeAnswerDeadline: Duration = .milliseconds(500)
    /// At most this many writes wait in memory; beyond, the oldest events are dropped and counted.
    static let pendingWriteLimit = 10_000

    /// Queues the role and epoch for the store (`.persist`); returns the write's number,
    /// which a start waits for. A store standing in memory for one that could not be
    /// opened records nothing: the start refuses to run on it (`startOnceRecorded`).
    func persist(_ state: PersistedFailoverState) -> UInt64 {
        lastRole = state.role  // the node acts on it; the store catches up
        let at = clock.date
        return storeThread.write("record role \(state.role.rawValue) at epoch \(state.epoch)", keep: .always) { store in
            guard store.standIn == nil else { return }
            try store.saveFailoverState(state, at: at)
        }
    }

    /// Queues `write` for the store thread, after every write queued before it. A write the
    /// store refuses waits there, in order with the ones behind it, until it takes writes.
    func storeWrite(_ what: String, keep: StoreThread.Keep = .always, _ write: @escaping @Sendable (AgentStore) throws -> Void) {
        storeThread.write(what, keep: keep, write)
    }

    /// `.runStartActions` after `.persist` of role active (number `recorded`): the start
    /// runs once that write is in the store, and is refused (the machine hears a failed
    /// start) when the state directory takes no writes: a node that cannot record that it
    /// serves must not serve, or a restart could start it beside its peer.
    func startOnceRecorded(_ recorded: UInt64?, _ context: ServiceActionContext) -> String? {
        if let why = store.standIn ?? stateNotWritable {
            return Self.startRefusal(epoch: context.epoch, why: why)
        }
        guard let recorded, storeThread.progress.writtenThrough < recorded else {
            runAction(.start, failover.start, context)
            return nil
        }
        pendingStart = (recorded, context)
        return nil
    }

    /// The store thread rang (a write ended) or a tick came: start what waited for its
    /// role to be recorded, and learn whether the store refuses, stalls or takes writes.
    func storeProgressed(_ now: MonotonicInstant) {
        defer { progressBell.ring() }
        let progress = storeThread.progress
        if let pending = pendingStart, progress.writtenThrough >= pending.number {
            pendingStart = nil
            if coordinator.stateName == .takingOver {
                runAction(.start, failover.start, pending.context)
            } else {
                logger.notice("start at epoch \(pending.context.epoch) not run: the machine moved on (\(coordinator.stateName.rawValue)) while its role was being recorded")
            }
        }
        if let refused = progress.refused {
            stallWatch = nil
            storeRefusedWrite(refused)
            return
        }
        if let running = progress.running {
            guard let watch = stallWatch, watch.number == running.number else {
                stallWatch = (running.number, now)
                return storeCaughtUp(progress, now)
            }
            let stalled = now.since(watch.since)
            if stalled >= Self.storeDeadline {
                storeRefusedWrite("the store has not returned for \(stalled.humanSeconds) (\(running.what)): is the disk under \(config.stateDirectory) frozen or failing?")
                return
            }
        } else {
            stallWatch = nil
        }
        storeCaughtUp(progress, now)
    }

    /// Why a start does not run: its role cannot be recorded (`why`).
    static func startRefusal(epoch: UInt64, why: String) -> String {
        "cannot record role active at epoch \(epoch) (\(why)); not starting while the state directory cannot be written"
    }

    /// The store refused a write or stalled: from now on the node is not ready to start its
    /// service, and a start waiting for its role to be recorded is refused.
    func storeRefusedWrite(_ why: String) {
        if let pending = pendingStart {
            pendingStart = nil
            let refusal = Self.startRefusal(epoch: pending.context.epoch, why: why)
            logger.critical("\(refusal)")
            apply(coordinator.handle(.actionFinished(.start, .failed(refusal)), now: now()))
        }
        guard stateNotWritable == nil else { return }
        metrics.stateWriteFailed()
        logger.critical("the state directory takes no writes: \(store.path): \(why); going on in memory, stopping is still allowed, starting is not")
        stateNotWritable = why
        stateCheckChanged = true
        record(.agent, kind: .checkFailed, reason: "state not writable: \(store.path): \(why); \(config.node.name) may stop its service but will not start it")
    }

    /// Every write that waited is in the store: say once that it takes writes again.
    func storeCaughtUp(_ progress: StoreThread.Progress, _ now: MonotonicInstant) {
        guard let why = stateNotWritable, store.standIn == nil, progress.refused == nil, progress.waitingWrites == 0,
              stallWatch.map({ now.since($0.since) < Self.storeDeadline }) ?? true else { return }
        stateNotWritable = nil
        stateCheckChanged = true
        let dropped = storeThread.takeDropped()
        let lost = dropped > 0 ? "; \(dropped) older event(s) did not fit in memory and are lost" : ""
        let line = "state writable again: \(store.path) takes writes (it did not: \(why)); role \(coordinator.role.rawValue) at epoch \(coordinator.epoch) recorded\(lost)"
        logger.notice("\(line)")
        record(.agent, kind: .checkRecovered, reason: line)
    }

    /// What only the store knows, for status and metrics: nil when it does not answer
    /// within `storeAnswerDeadline` (a stalled disk) or fails.
    func storeAnswer<T: Sendable>(_ what: String, _ read: @escaping @Sendable (AgentStore) throws -> T) async -> T? {
        try? await storeThread.answer(what, within: Self.storeAnswerDeadline, clock: clock, read)?.get()
    }

    /// Opens the store and reads the role and epoch. A state directory that takes no writes
    /// leaves the agent running with its service off instead of exiting, so the pair still
    /// hears from it and the operator reads why: the store is opened as it is (the role is
    /// known), or held in memory when it cannot be opened at all. Returns why it takes no
    /// writes, nil when it does. Only a store that opens but holds what this version cannot
    /// read stops the start: a human must look at it.
    static func openStore(_ config: Config, clock: any AgentClock) throws -> (AgentStore, PersistedFailoverState?, notWritable: String?) {
        var createFailure: String?
        do {
            try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            createFailure = "cannot create the state directory \(config.stateDirectory): \(error.localizedDescription)"
        }
        do {
            let store = try AgentStore(stateDirectory: config.stateDirectory)
            let persisted = try store.loadFailoverState()
            do {
                try store.probeWrite(at: clock.date)
                return (store, persisted, createFailure)
            } catch {
                return (store, persisted, "\(error)")  // readable, not writable: the role is known
            }
        } catch let error as StoreError where error.isUnreadable {
            throw AgentStartError(error.description)
        } catch {
            let why = createFailure ?? "\(error)"
            let store = try AgentStore.inMemory(
                standingInFor: config.stateDirectory + "/" + AgentStore.fileName,
                because: "\(why); the store is held in memory and the role before the restart is unknown")
            return (store, nil, store.standIn)
        }
    }

    /// The agent started with a state directory that takes no writes: it runs, is not
    /// ready to serve, and tells why. A store held in memory does not know the role before
    /// the restart, so the service is stopped in case it runs (`run` does it).
    func startedWithoutWritableState(_ why: String) {
        metrics.stateWriteFailed()
        stateNotWritable = why
        stateCheckChanged = true
        logger.critical("the state directory takes no writes: \(why); starting with the service off: stopping is allowed, starting is not")
    }

    /// The node ran before (its boot generation says so) but its database is gone: it
    /// starts anew, and the role, incidents and outbox it had are lost. Said loudly; the
    /// service it may still run is stopped (`stopServiceOfUnknownRole`).
    func startedWithoutItsDatabase() {
        let why = "its database \(store.path) was missing although this node ran before (deleted?)"
        roleUnknownAtStart = why
        logger.critical("\(why): starting anew as on a first start; the role, incidents and undelivered notifications it held are lost")
        record(.agent, kind: .checkFailed, reason: "state lost: \(why); role, incidents and undelivered notifications from before are gone")
    }

    /// At boot on a store held in memory, or on a new database where an old one was lost:
    /// the service may run from before the restart and nothing says whether it should, so
    /// it is stopped.
    func stopServiceOfUnknownRole() {
        let cause = store.standIn.map { _ in "the state directory cannot be opened" } ?? roleUnknownAtStart
        guard let cause else { return }
        let reason = "the role before the restart is unknown (\(cause)): stopping the service so that it never runs on both nodes"
        record(.action, reason: reason)
        let runner = runner
        let command = failover.stop
        let context = ServiceActionContext(role: .standby, epoch: coordinator.epoch, event: nil, incident: nil, reason: reason)
        logger.notice("running the stop action: \(reason)")
        startEffect {
            let report = await runner.run(.stop, command, context: context)
            await self.record(.action, reason: report.summary, detail: report.outputTail.isEmpty ? nil : report.outputTail)
            self.logger.notice("\(report.summary)")
        }
    }

    /// Tries the store now and then (see `stateProbePeriod`); called at every tick. A
    /// refused write is asked again; a store taking writes gets a probe write when nothing
    /// else was written lately, so a store that stopped is known before a role change.
    func probeStateDirectory(_ now: MonotonicInstant) {
        storeProgressed(now)
        let period = stateNotWritable == nil ? Self.stateProbePeriod : Self.stateRetryPeriod
        guard now.since(lastStateProbe) >= period else { return }
        lastStateProbe = now
        if let standIn = store.standIn {
            // Opening the real file again is for a restart: this run's state lives in memory.
            // Said once; then there is nothing more to learn here.
            guard !realStoreOpensAgain else { return }
            if (try? AgentStore(path: store.path))?.path != nil {
                realStoreOpensAgain = true
                logger.notice("the state directory can be opened again; restart the agent to use it (systemctl restart vacataire); until then the service stays off here (it could not: \(standIn))")
            }
            return
        }
        let progress = storeThread.progress
        if progress.refused != nil {
            storeThread.retry()
        } else if progress.isIdle {
            let at = clock.date
            storeThread.write("test a write", keep: .history) { try $0.probeWrite(at: at) }
        }
    }

    /// The state directory's health as a node check the machine weighs.
    var stateCheck: FailingCheck? {
        stateNotWritable.map { FailingCheck(name: Self.stateCheckName, output: "cannot write \(store.path): \($0)") }
    }

    /// At a tick after the state directory's health changed: the machine hears it, and it
    /// is paged where no role change pages it (as `CheckChangePolicy` says for any critical
    /// check).
    func stateCheckFollowUp() async {
        guard stateCheckChanged, coordinator.stateName != .starting else { return }
        stateCheckChanged = false
        apply(coordinator.handle(.health(await healthVerdict(scheduler.verdict())), now: now()))
        let failing = stateNotWritable != nil
        guard CheckChangePolicy.pages(failing ? .failing : .recovered, severity: .critical, state: coordinator.stateName) else { return }
        let summary = NotifiableEvent.CheckSummary(
            name: Self.stateCheckName, status: failing ? "CRITICAL" : "OK",
            output: stateCheck?.output ?? "\(store.path) takes writes")
        let reason = failing
            ? "state not writable: \(config.node.name) cannot write its state (\(stateNotWritable ?? "")); it will not start its service until the state directory takes writes again"
            : "state writable again: \(config.node.name) writes its state; it may serve again"
        queueNotification(notifier.event(failing ? .checkFailed : .checkRecovered, incident: nil, reason: reason, checks: [summary]))
    }
}
