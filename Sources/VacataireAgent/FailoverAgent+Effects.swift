import VacataireCore
import VacataireNotify

/// Work that takes time, started by `apply` for one of the machine's actions (a start or
/// stop command, a guard probe, a fence) or by a reload; it reports back to the agent as
/// a new input when it ends.
struct Effect: Sendable {
    let work: @Sendable () async -> Void
    /// Whether `settle()` waits for it (a drill, which waits for the machine itself, is not).
    var counted = true
}

/// The effects executor (Docs/architecture.md, "Effects"): `apply` runs the machine's
/// actions in the order returned; the quick ones (persist, send, record, notify) run
/// there and then, and a notification is journaled before `apply` returns; the slow ones
/// start here, in the same order, as children of `run()`: none outlives the agent, and
/// none holds the actor while it runs.
extension FailoverAgent {
    /// Starts `work` as a child of `run()`, after every effect started before it.
    func startEffect(_ work: @escaping @Sendable () async -> Void) {
        effectsInFlight += 1
        effectQueue.yield(Effect(work: work))
    }

    /// Starts `work` as a child of `run()` that nothing waits for but its caller: it runs on
    /// when the task that asked for it is cancelled (a client that hangs up). False when the
    /// agent stops and runs nothing more.
    func startAside(_ work: @escaping @Sendable () async -> Void) -> Bool {
        if case .enqueued = effectQueue.yield(Effect(work: work, counted: false)) { return true }
        return false
    }

    /// Runs the effects as they come, each on its own child task, until the agent stops.
    nonisolated func runEffects() async {
        await withDiscardingTaskGroup { group in
            for await effect in effects {
                group.addTask {
                    await effect.work()
                    if effect.counted { await self.effectFinished() }
                }
            }
        }
    }

    func effectFinished() {
        effectsInFlight -= 1
        progressBell.ring()
    }

    /// Hands `notification` to the outbox's ordered queue, journaled first (`AgentNotifier`).
    func queueNotification(_ notification: NotifiableEvent) {
        queueNotifications([notification])
    }

    /// Hands `notifications` to the outbox's ordered queue, journaled first in one transaction.
    func queueNotifications(_ notifications: [NotifiableEvent]) {
        notificationsQueued += notifications.count
        activity.ring()
        notifier.journalAndQueue(notifications)
    }

    func notificationsTaken(_ count: Int) {
        notificationsQueued -= count
        progressBell.ring()
    }

    /// Returns once nothing the agent started is still under way: no effect running, every
    /// decided notification committed to the outbox, no delivery being tried. Tests on a
    /// manual clock call it after each `advance` to see the whole outcome of that time.
    public func settle() async {
        while true {
            if effectsInFlight == 0, notificationsQueued == 0, pendingCheckChanges.isEmpty, !weighingCheckChanges,
               pendingStart == nil, storeThread.progress.isIdle || storeThread.progress.refused != nil,
               await outbox.isIdle { return }
            // Effects are real work (processes, sockets): wait until one of them ends, never
            // polling (a ring while nobody waits lets the next wait through).
            await progressBell.wait()
            if Task.isCancelled { return }
        }
    }
}
