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
    /// At most this many writes wait in memory; beyond, the oldest are dropped and counted.
    static let pendingWriteLimit = 10_000

    /// One write the store refused, to try again in order.
    struct PendingWrite: Sendable {
        var what: String
        var write: @Sendable (AgentStore) throws -> Void
    }

    /// Writes the role and epoch; on failure keeps them to write later. Returns why the
    /// write failed, nil when it succeeded. A store standing in memory for one that could
    /// not be opened never counts as written.
    func persist(_ state: PersistedFailoverState) -> String? {
        lastRole = state.role  // the node acts on it; the store catches up
        do {
            if let why = store.standIn { throw AgentStartError(why) }
            try store.saveFailoverState(state)
            unwrittenState = nil
            storeTookWrite()
            return nil
        } catch {
            let why = "\(error)"
            let retry = unwrittenState == state
            unwrittenState = state
            guard !retry else { return why }  // said when it was first refused
            logger.critical("cannot record role \(state.role.rawValue) at epoch \(state.epoch) in \(store.path): \(why); going on in memory, stopping is still allowed, starting is not")
            storeRefusedWrite(why)
            return why
        }
    }

    /// Runs `write` now, or keeps it for later when the store refuses it (or earlier
    /// writes still wait: the order is kept).
    func storeWrite(_ what: String, _ write: @escaping @Sendable (AgentStore) throws -> Void) {
        if pendingWrites.isEmpty {
            do {
                try write(store)
                return
            } catch {
                logger.error("cannot \(what) in \(store.path): \(error); kept in memory until the store takes writes")
                // Kept first: the event that says so (`storeRefusedWrite`) then waits behind it
                // instead of being tried, and counted, as a second refused write.
                pendingWrites.append(PendingWrite(what: what, write: write))
                storeRefusedWrite("\(error)")
                return
            }
        }
        if pendingWrites.count >= Self.pendingWriteLimit {
            pendingWrites.removeFirst()
            droppedWrites += 1
        }
        pendingWrites.append(PendingWrite(what: what, write: write))
    }

    /// The store refused a write: from now on the node is not ready to start its service.
    func storeRefusedWrite(_ why: String) {
        metrics.stateWriteFailed()
        guard stateNotWritable == nil else { return }
        stateNotWritable = why
        stateCheckChanged = true
        record(.agent, kind: .checkFailed, reason: "state not writable: \(store.path): \(why); \(config.node.name) may stop its service but will not start it")
    }

    /// The store took a write: write what waits, then say so once.
    func storeTookWrite() {
        guard let why = stateNotWritable, store.standIn == nil else { return }
        while let first = pendingWrites.first {
            do {
                try first.write(store)
                pendingWrites.removeFirst()
            } catch {
                logger.error("cannot \(first.what) in \(store.path) yet: \(error)")
                return
            }
        }
        stateNotWritable = nil
        stateCheckChanged = true
        let lost = droppedWrites > 0 ? "; \(droppedWrites) older event(s) did not fit in memory and are lost" : ""
        droppedWrites = 0
        let line = "state writable again: \(store.path) takes writes (it did not: \(why)); role \(machine.role.rawValue) at epoch \(machine.epoch) recorded\(lost)"
        logger.notice("\(line)")
        record(.agent, kind: .checkRecovered, reason: line)
    }

    /// Opens the store and reads the role and epoch. A state directory that takes no writes
    /// leaves the agent running with its service off instead of exiting, so the pair still
    /// hears from it and the operator reads why: the store is opened as it is (the role is
    /// known), or held in memory when it cannot be opened at all. Returns why it takes no
    /// writes, nil when it does. Only a store that opens but holds what this version cannot
    /// read stops the start: a human must look at it.
    static func openStore(_ config: Config) throws -> (AgentStore, PersistedFailoverState?, notWritable: String?) {
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
                try store.probeWrite()
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
        let context = ServiceActionContext(role: .standby, epoch: machine.epoch, event: nil, incident: nil, reason: reason)
        logger.notice("running the stop action: \(reason)")
        startEffect {
            let report = await runner.run(.stop, command, context: context)
            await self.record(.action, reason: report.summary, detail: report.outputTail.isEmpty ? nil : report.outputTail)
            self.logger.notice("\(report.summary)")
        }
    }

    /// Tries the store now and then (see `stateProbePeriod`); called at every tick.
    func probeStateDirectory(_ now: MonotonicInstant) {
        let period = stateNotWritable == nil ? Self.stateProbePeriod : Self.stateRetryPeriod
        guard now.since(lastStateProbe) >= period else { return }
        lastStateProbe = now
        if let standIn = store.standIn {
            // Opening the real file again is for a restart: this run's state lives in memory.
            // Said once; then there is nothing more to learn here.
            guard !standInReopens else { return }
            if (try? AgentStore(path: store.path))?.path != nil {
                standInReopens = true
                logger.notice("the state directory can be opened again; restart the agent to use it (systemctl restart vacataire); until then the service stays off here (it could not: \(standIn))")
            }
            return
        }
        if let unwrittenState {
            _ = persist(unwrittenState)
            return
        }
        do {
            try store.probeWrite()
            storeTookWrite()
        } catch {
            if stateNotWritable == nil {
                logger.critical("the state directory takes no writes: \(store.path): \(error); stopping is still allowed, starting is not")
            }
            storeRefusedWrite("\(error)")
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
        guard stateCheckChanged, machine.stateName != .starting else { return }
        stateCheckChanged = false
        apply(machine.healthChanged(await healthVerdict(scheduler.verdict()), now: now()))
        let failing = stateNotWritable != nil
        guard CheckChangePolicy.pages(failing ? .failing : .recovered, severity: .critical, state: machine.stateName) else { return }
        let summary = NotifiableEvent.CheckSummary(
            name: Self.stateCheckName, status: failing ? "CRITICAL" : "OK",
            output: stateCheck?.output ?? "\(store.path) takes writes")
        let reason = failing
            ? "state not writable: \(config.node.name) cannot write its state (\(stateNotWritable ?? "")); it will not start its service until the state directory takes writes again"
            : "state writable again: \(config.node.name) writes its state; it may serve again"
        send(notifier.event(failing ? .checkFailed : .checkRecovered, incident: nil, reason: reason, checks: [summary]))
    }
}
