import Foundation
import Synchronization
import Logging
import VacataireCore
import VacataireNotify
import VacataireStore

/// The durable outbox: every notification is committed to the store, one
/// delivery per destination, before any delivery is tried; a delivery is marked done only
/// when its server accepted it, and retried with exponential backoff while it is down.
/// Pending deliveries survive a restart or a kill -9 (at-least-once: the email keeps its
/// Message-ID, so a repeat is recognisable). A delivery failing for longer than `max_age`
/// is given up, logged and counted in `vacataire status`.
///
/// Deliveries run on their own child tasks of `run()`: a dead server delays nothing but
/// its own retries. Time (retries, give-up, the limiter) is the agent's `AgentClock`.
///
/// Before anything is committed, the rate limiter (`NotificationLimiter`, `rate_limit:`)
/// decides which destinations get a notification; only those get a delivery row.
///
/// The outbox runs on the store thread (`StoreThread`, its executor): its store calls are
/// synchronous there, in order with the agent's writes, and a stalled disk holds the outbox
/// without holding a thread of the cooperative pool. What status reads of it is copied
/// out (`shown`), so status never waits for a stalled outbox.
actor NotificationOutbox {
    private var sender: NotificationSender
    private var settings: OutboxConfig
    private let store: AgentStore
    private let storeThread: StoreThread
    /// Rung when a delivery ends (the agent's `settle()` waits on it).
    private let progress: Doorbell?
    private let metrics: AgentMetrics
    private let logger: Logger
    private let clock: any AgentClock
    /// Deliveries started and not finished, as children of `run()`.
    private let deliveries: AsyncStream<@Sendable () async -> Void>
    private let deliveryQueue: AsyncStream<@Sendable () async -> Void>.Continuation
    /// Deliveries queued or being tried (stored and in memory), for `isIdle`.
    private var deliveriesUnderWay = 0
    /// When the earliest retry (stored or in memory) is due; nil when none waits.
    private var nextRetry: Date?
    /// Deliveries being tried right now, so that a slow one is not started twice.
    private var inFlight: Set<Int64> = []
    /// Pages about an incident that at least one destination accepted, for the agent to
    /// confirm to its peer (one page per incident, Docs/notifications.md).
    nonisolated let deliveredPages: AsyncStream<NotifiableEvent>
    private let deliveredPagesQueue: AsyncStream<NotifiableEvent>.Continuation
    /// Rate limit, de-duplication and flapping, per destination (Docs/notifications.md).
    private var limiter: NotificationLimiter
    /// Notifications the store could not take (a full disk, Docs/persistence.md), oldest
    /// first: delivered from memory with retries, and committed once the store takes writes.
    private var inMemory: [MemoryDelivery] = []
    private var lastMemoryID = 0
    /// At most this many notifications wait in memory; beyond, the oldest notice goes.
    static let memoryLimit = 1_000
    /// By incident: what `fold` withdrew, for the incident's next notification to tell.
    private var folded: [String: [String]] = [:]

    private struct MemoryDelivery {
        let id: Int
        var notification: NotifiableEvent
        var destinations: [String]
        var attempts = 0
        var nextTry: Date
        var inFlight = false
    }

    /// What status and `notify-test` read, copied out of the actor.
    private struct Shown {
        var sender: NotificationSender
        var deliveriesInMemory = 0
        var heldBack = 0
    }

    private nonisolated let shown: Mutex<Shown>

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        storeThread.asUnownedSerialExecutor()
    }

    init(sender: NotificationSender, settings: OutboxConfig, storeThread: StoreThread, progress: Doorbell? = nil, metrics: AgentMetrics,
         logger: Logger, clock: any AgentClock) {
        self.progress = progress
        self.clock = clock
        (deliveries, deliveryQueue) = AsyncStream.makeStream()
        self.sender = sender
        self.settings = settings
        self.storeThread = storeThread
        store = storeThread.store
        shown = Mutex(Shown(sender: sender))
        self.metrics = metrics
        self.logger = logger
        (deliveredPages, deliveredPagesQueue) = AsyncStream.makeStream(of: NotifiableEvent.self, bufferingPolicy: .bufferingNewest(64))
        limiter = NotificationLimiter(settings: sender.config.rateLimit)
    }

    /// New destinations, templates or retry settings (SIGHUP). Pending deliveries to a
    /// destination that no longer exists fail on their next try and expire.
    func replace(sender: NotificationSender, settings: OutboxConfig) {
        self.sender = sender
        self.settings = settings
        limiter.reconfigure(sender.config.rateLimit)
        shown.withLock { $0.sender = sender }
    }

    /// The sender with the running configuration's destinations and templates.
    nonisolated func currentSender() -> NotificationSender {
        shown.withLock { $0.sender }
    }

    /// Copies what status reads out of the actor; called where it may have changed.
    private func show() {
        let deliveriesInMemory = inMemory.reduce(0) { $0 + $1.destinations.count }
        let heldBack = limiter.heldBack
        shown.withLock {
            $0.deliveriesInMemory = deliveriesInMemory
            $0.heldBack = heldBack
        }
    }

    /// Offers `notification` to the rate limiter, commits it for every destination the
    /// limiter lets it through to (with what was held back for it), then starts delivering.
    func enqueue(_ notification: NotifiableEvent, journal: JournalEntry? = nil) {
        enqueue([(notification, journal)])
    }

    /// Offers each notification of a batch decided together, in order, then clears them
    /// from the journal in one transaction.
    func enqueue(_ batch: [(notification: NotifiableEvent, journal: JournalEntry?)]) {
        for (notification, _) in batch { offer(notification) }
        // Committed, held back or kept in memory: the journal need not keep them.
        for entry in batch { entry.journal?.rows.taken = true }
        let taken = batch.compactMap { $0.journal?.id }
        if !taken.isEmpty { try? store.forgetDecided(taken) }
        show()
    }

    private func offer(_ notification: NotifiableEvent) {
        let destinations = sender.destinationKeys
        guard !destinations.isEmpty else {
            logger.warning("notification \(notification.kind.rawValue) not sent: no destination is configured (notify.email, notify.snmp)")
            return
        }
        // Rate limiting: held-back notices are counted by the limiter and told later; the
        // event itself is already in the event history (FailoverAgent.record).
        let decision = limiter.admit(Self.limiterEvent(notification), to: destinations, now: clock.now)
        if let why = decision.why, !decision.suppressed.isEmpty {
            logger.info("notification \(notification.kind.rawValue) held back for \(decision.suppressed.joined(separator: ", ")): \(why)")
        }
        commit(decision.sends, offered: notification)
    }

    /// The limiter's view of a notification: what it is about is its check or incident.
    static func limiterEvent(_ notification: NotifiableEvent) -> LimiterEvent {
        let isCheck = [.checkFailed, .checkRecovered].contains(notification.kind)
        let subject = (isCheck ? notification.checks.first?.name : notification.incidentID) ?? ""
        return LimiterEvent(kind: notification.kind, subject: subject, reason: notification.reason)
    }

    /// Withdraws the notifications of `kind` about `incident` not delivered yet (stored or
    /// in memory, and not being tried right now): they are no longer news (`because`). The
    /// incident's next notification from this node tells what they said, one line each.
    func fold(_ kind: EventKind, incident: String, because: String) {
        var lines: [String] = []
        var withdrawn: [Int64] = []
        var told = Set<Int64>()
        for delivery in (try? store.pendingDeliveries(kind: kind.rawValue)) ?? [] where !inFlight.contains(delivery.id) {
            guard let notification = try? JSONDecoder().decode(NotifiableEvent.self, from: delivery.event),
                  notification.incidentID == incident else { continue }
            withdrawn.append(delivery.id)
            if told.insert(delivery.outboxID).inserted { lines.append(Self.foldedLine(notification)) }
        }
        do {
            try store.markWithdrawn(withdrawn, why: "not sent, no longer news: \(because)", at: clock.date)
        } catch {
            logger.error("cannot withdraw the undelivered \(kind.rawValue) notification(s) of \(incident): \(error); they will be sent late")
            return
        }
        let foldable = { (entry: MemoryDelivery) in
            !entry.inFlight && entry.notification.kind == kind && entry.notification.incidentID == incident
        }
        lines += inMemory.filter(foldable).map { Self.foldedLine($0.notification) }
        inMemory.removeAll(where: foldable)
        show()
        guard !lines.isEmpty else { return }
        logger.notice("\(lines.count) undelivered \(kind.rawValue) notification(s) of \(incident) withdrawn (\(because)); the incident's next notification from here tells them")
        folded[incident, default: []] += lines
    }

    /// How a withdrawn notification is told in the next one.
    static func foldedLine(_ notification: NotifiableEvent) -> String {
        "\(notification.kind.rawValue.uppercased()) at \(DateText.iso8601(notification.time)): \(notification.reason)"
    }

    /// Takes the notifications decided before a crash and never committed (the journal of
    /// `AgentNotifier.send`), oldest first.
    func takeDecidedBeforeRestart() {
        let decided = (try? store.decidedNotifications()) ?? []
        for (id, event) in decided {
            guard let notification = try? JSONDecoder().decode(NotifiableEvent.self, from: event) else {
                logger.error("a decided notification in the journal cannot be read; dropped")
                try? store.forgetDecided(id)
                continue
            }
            logger.notice("notification \(notification.kind.rawValue) decided before the agent stopped, never committed: committing it now")
            enqueue(notification, journal: JournalEntry(rows: JournalRows(ids: [id]), index: 0))
        }
    }

    /// Turns the limiter's sends into notifications and commits each.
    private func commit(_ sends: [LimiterSend], offered: NotifiableEvent?) {
        let config = sender.config
        for send in sends {
            var notification: NotifiableEvent
            switch send.content {
            case .offered:
                guard let offered else { continue }
                notification = offered
            case .notice(let kind, let subject, let reason):
                notification = NotifiableEvent(
                    kind: kind, node: config.node.name, cluster: config.node.cluster, peer: config.failover?.peer.name,
                    reason: reason, checks: subject.isEmpty ? [] : [.init(name: subject, status: kind.rawValue.uppercased(), output: reason)],
                    time: clock.date)
                logger.notice("\(kind.rawValue): \(reason)")
            }
            notification.suppressedCount = send.suppressed.total
            notification.suppressedSummary = send.suppressed.summary
            commit(notification, destinations: send.destinations)
        }
        if !sends.isEmpty {
            deliverDue()
        }
    }

    /// Commits `notification` for `destinations`; delivery starts with the next `deliverDue`.
    private func commit(_ notification: NotifiableEvent, destinations: [String]) {
        var notification = notification
        if let incident = notification.incidentID, let lines = folded.removeValue(forKey: incident) {
            notification.folded = (notification.folded ?? []) + lines
        }
        let config = sender.config
        notification.messageID = EmailMessage.makeMessageID(node: config.node.name, cluster: config.node.cluster, at: clock.date)
        do {
            try write(notification, for: destinations, at: clock.date)
        } catch {
            // The store is the outbox; without it, keep the notification in memory rather than lose it.
            logger.error("cannot commit notification \(notification.kind.rawValue) to the outbox (\(error)); keeping it in memory and delivering it from there until the store takes writes")
            keepInMemory(notification, destinations: destinations)
        }
    }

    /// Writes `notification` to the store's outbox, one delivery per destination, due now.
    private func write(_ notification: NotifiableEvent, for destinations: [String], at time: Date) throws {
        let event = try JSONEncoder().encode(notification)
        let (_, evicted) = try store.enqueue(
            messageID: notification.messageID ?? "", kind: notification.kind.rawValue, priority: Self.priority(of: notification.kind),
            event: event, destinations: destinations, at: time, limit: settings.maxEntries)
        if evicted > 0 {
            logger.warning("outbox full (\(settings.maxEntries) notifications): the \(evicted) oldest notice(s) were dropped")
        }
    }

    /// Keeps a notification the store refused; the oldest notice makes room at the limit.
    private func keepInMemory(_ notification: NotifiableEvent, destinations: [String]) {
        if inMemory.count >= Self.memoryLimit {
            let victim = inMemory.firstIndex { !$0.inFlight && Self.priority(of: $0.notification.kind) == .notice } ?? inMemory.firstIndex { !$0.inFlight }
            if let victim {
                logger.warning("notification \(inMemory[victim].notification.kind.rawValue) dropped from memory: \(Self.memoryLimit) wait for the store")
                inMemory.remove(at: victim)
            }
        }
        lastMemoryID += 1
        inMemory.append(MemoryDelivery(id: lastMemoryID, notification: notification, destinations: destinations, nextTry: clock.date))
        deliverFromMemory()
        show()
    }

    /// Commits what waits in memory once the store takes it; delivers it directly meanwhile.
    private func deliverFromMemory() {
        let now = clock.date
        for entry in inMemory where !entry.inFlight && settings.isDue(entry.nextTry, at: now) {
            let notification = entry.notification
            do {
                try write(notification, for: entry.destinations, at: notification.time)
                inMemory.removeAll { $0.id == entry.id }
                logger.notice("notification \(notification.kind.rawValue) kept in memory is now in the outbox")
                continue
            } catch {}
            guard let index = inMemory.firstIndex(where: { $0.id == entry.id }) else { continue }
            inMemory[index].inFlight = true
            let sender = sender
            let only = Set(entry.destinations)
            startDelivery {
                let outcomes = await sender.send(notification, channels: Set(NotifyChannel.allCases), only: only)
                await self.memoryTryFinished(entry.id, outcomes: outcomes)
            }
        }
    }

    /// A try from memory ended: judged like a stored delivery (`judge`); what is left is
    /// kept in memory for its next try.
    private func memoryTryFinished(_ id: Int, outcomes: [DeliveryOutcome]) {
        guard let index = inMemory.firstIndex(where: { $0.id == id }) else { return }
        var entry = inMemory[index]
        let now = clock.date
        entry.attempts += 1
        let byKey = Dictionary(outcomes.map { ($0.key, $0) }) { first, _ in first }
        var wait: Double?
        var lost: [(destination: String, why: String)] = []
        for destination in entry.destinations {
            let verdict = judge(entry.notification, to: destination, byKey[destination], attempt: entry.attempts,
                                age: now.timeIntervalSince(entry.notification.time), place: "in memory")
            switch verdict {
            case .retry(let after):
                wait = min(wait ?? after, after)
                continue
            case .givenUp(let why):
                lost.append((destination, why))
            case .delivered, .noLongerConfigured:
                break
            }
            entry.destinations.removeAll { $0 == destination }
        }
        entry.inFlight = false
        entry.nextTry = now.addingTimeInterval(wait ?? settings.backoff(attempt: entry.attempts))
        retryAt(entry.nextTry)
        if entry.destinations.isEmpty {
            inMemory.remove(at: index)
        } else {
            inMemory[index] = entry
        }
        // After `inMemory` is updated: a report kept in memory may change it.
        settled(entry.notification, outcomes: outcomes, lost: lost)
        show()
    }

    /// What a try came to for one destination.
    enum TryVerdict: Equatable {
        case delivered
        /// Failed; try again after this many seconds.
        case retry(after: Double)
        /// Failed, and no more tries: why.
        case givenUp(why: String)
        /// The destination left the configuration (a reload): nothing to try.
        case noLongerConfigured
    }

    /// The one retry and give-up policy of every delivery, stored or kept in memory
    /// (`OutboxConfig.afterFailedTry`: backoff, given up after `max_age` or when refused
    /// for good), with its log line and its count. `place` says where the delivery waits.
    private func judge(
        _ notification: NotifiableEvent, to destination: String, _ outcome: DeliveryOutcome?, attempt: Int, age: TimeInterval, place: String
    ) -> TryVerdict {
        let kind = notification.kind.rawValue
        let from = place.isEmpty ? "" : " (\(place))"
        guard let outcome else {
            metrics.notification(succeeded: false, destination: destination)
            logger.warning("notification \(kind)\(from) to \(destination) given up: no longer configured")
            return .noLongerConfigured
        }
        metrics.notification(succeeded: outcome.succeeded, destination: destination)
        guard let error = outcome.error else {
            logger.info("notification \(kind) sent\(place.isEmpty ? "" : " from memory"): \(outcome.line)\(attempt > 1 ? " (after \(attempt) tries)" : "")")
            return .delivered
        }
        switch settings.afterFailedTry(attempt, age: age, error: error.message, permanent: error.isPermanent) {
        case .retry(let after):
            logger.error("notification \(kind)\(from) not delivered (try \(attempt)), retrying in \(Duration.span(seconds: after)): \(outcome.line)")
            return .retry(after: after)
        case .giveUp(let why):
            logger.critical("notification \(kind)\(from) to \(outcome.destination) given up, not retried: \(why)")
            return .givenUp(why: why)
        }
    }

    /// After a try is recorded: a page of an incident that reached someone is told to the
    /// peer (through the agent), and each destination given up is reported to the others.
    private func settled(_ notification: NotifiableEvent, outcomes: [DeliveryOutcome], lost: [(destination: String, why: String)]) {
        if notification.incidentID != nil, Self.priority(of: notification.kind) == .page, outcomes.contains(where: \.succeeded) {
            deliveredPagesQueue.yield(notification)
        }
        for (destination, why) in lost {
            reportLost(notification, to: destination, why: why)
        }
    }

    /// Until the task is cancelled, looks every `lookInterval`: commits what the rate
    /// limiter owes (a check stopped flapping, digests) and, when the earliest retry's time
    /// has come, starts the retries due, each delivery on its own child task. A retry
    /// therefore starts at the first look at or after its time; a new notification does
    /// not wait for a look: `enqueue` starts its deliveries at once. A look reads the
    /// store only when a retry is due.
    nonisolated func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                await self.loadNextRetry()
                var next = self.clock.now
                while true {
                    await self.checkTimers()
                    next = max(next + Self.lookInterval, self.clock.now)
                    do { try await self.clock.sleep(until: next) } catch { break }
                }
                self.deliveryQueue.finish()
            }
            for await delivery in deliveries {
                group.addTask { await delivery() }
            }
        }
    }

    /// How often the outbox looks at the rate limiter and at the retries' times.
    static let lookInterval: Duration = .milliseconds(250)

    private func checkTimers() {
        tickLimiter()
        retryDue()
        show()
    }

    private func tickLimiter() {
        commit(limiter.tick(now: clock.now, destinations: sender.destinationKeys), offered: nil)
    }

    /// The store's earliest pending delivery (from before a restart, or the first run).
    private func loadNextRetry() {
        retryAt((try? store.nextAttempt()) ?? nil)
    }

    /// Notes a delivery that waits until `date`.
    private func retryAt(_ date: Date?) {
        guard let date else { return }
        nextRetry = min(nextRetry ?? date, date)
    }

    /// Starts what is due when the earliest retry's time has come (or lies further ahead
    /// than any backoff: the wall clock went back, and the retry must not wait for it).
    private func retryDue() {
        guard let nextRetry, settings.isDue(nextRetry, at: clock.date) else { return }
        self.nextRetry = nil
        deliverFromMemory()
        deliverDue()
        // The retries whose time has not come yet: without this, one due after the retry
        // just started would wait for an unrelated failure to be looked at again. (Those
        // being tried now set their next time when they end.)
        retryAt((try? store.nextAttempt(after: clock.date)) ?? nil)
    }

    private func startDelivery(_ delivery: @escaping @Sendable () async -> Void) {
        deliveriesUnderWay += 1
        deliveryQueue.yield {
            await delivery()
            await self.deliveryEnded()
        }
    }

    private func deliveryEnded() {
        deliveriesUnderWay -= 1
        progress?.ring()
    }

    /// At most this many deliveries start at once; the rest at the next look.
    static let deliveriesPerRound = 100

    /// Deliveries owed from memory (the store did not take them), as last shown.
    nonisolated var deliveriesInMemory: Int {
        shown.withLock { $0.deliveriesInMemory }
    }

    /// Notices the rate limiter holds back, to be told in a digest, as last shown.
    nonisolated var heldBack: Int {
        shown.withLock { $0.heldBack }
    }

    /// Whether no delivery is queued or being tried now.
    var isIdle: Bool {
        deliveriesUnderWay == 0
    }

    /// Starts every due delivery that is not already being tried, one task per notification.
    func deliverDue() {
        let due: [OutboxDelivery]
        do {
            let found = try store.dueDeliveries(now: clock.date, horizon: settings.retryMax.seconds, limit: Self.deliveriesPerRound)
            if found.count == Self.deliveriesPerRound { retryAt(clock.date) }  // more are due: look again at once
            due = found.filter { !inFlight.contains($0.id) }
        } catch {
            logger.error("cannot read the outbox: \(error)")
            return
        }
        let sender = sender
        for (_, deliveries) in Dictionary(grouping: due, by: \.outboxID) {
            guard let first = deliveries.first else { continue }
            guard var notification = try? JSONDecoder().decode(NotifiableEvent.self, from: first.event) else {
                for delivery in deliveries {
                    try? store.markFailed(delivery.id, error: "the stored notification cannot be read", retryAt: nil, at: clock.date)
                }
                continue
            }
            inFlight.formUnion(deliveries.map(\.id))
            notification.deliveredAt = clock.date
            let keys = Set(deliveries.map(\.destination))
            startDelivery { [notification] in
                let outcomes = await sender.send(notification, channels: Set(NotifyChannel.allCases), only: keys)
                await self.finished(deliveries, notification: notification, outcomes: outcomes)
            }
        }
    }

    /// A stored try ended: each delivery judged (`judge`) and its verdict recorded.
    private func finished(_ deliveries: [OutboxDelivery], notification: NotifiableEvent, outcomes: [DeliveryOutcome]) {
        let now = clock.date
        let byKey = Dictionary(outcomes.map { ($0.key, $0) }) { first, _ in first }
        var lost: [(destination: String, why: String)] = []
        for delivery in deliveries {
            inFlight.remove(delivery.id)
            let outcome = byKey[delivery.destination]
            let verdict = judge(notification, to: delivery.destination, outcome, attempt: delivery.attempts + 1,
                                age: now.timeIntervalSince(delivery.createdAt), place: "")
            do {
                switch verdict {
                case .delivered:
                    try store.markDelivered(delivery.id, at: now)
                case .retry(let wait):
                    try store.markFailed(delivery.id, error: outcome?.error?.message ?? "", retryAt: now.addingTimeInterval(wait), at: now)
                    retryAt(now.addingTimeInterval(wait))
                case .givenUp(let why):
                    try store.markFailed(delivery.id, error: outcome?.error?.message ?? why, retryAt: nil, at: now)
                    lost.append((delivery.destination, why))
                case .noLongerConfigured:
                    try store.markFailed(delivery.id, error: "\(delivery.destination) is no longer configured", retryAt: nil, at: now)
                }
            } catch {
                logger.error("cannot record the delivery of \(notification.kind.rawValue) to \(delivery.destination): \(error)")
            }
        }
        settled(notification, outcomes: outcomes, lost: lost)
        try? store.pruneOutbox(finishedBefore: now.addingTimeInterval(-settings.maxAge.seconds))
    }

    /// Tells the other destinations that `notification` could not reach `destination`:
    /// a broken mail path then shows at the NMS, and a broken NMS path in the mailbox. A
    /// lost `delivery-failed` notice is not reported again (no echo between two broken paths).
    private func reportLost(_ notification: NotifiableEvent, to destination: String, why: String) {
        guard notification.kind != .deliveryFailed else { return }
        let others = sender.destinationKeys.filter { $0 != destination }
        guard !others.isEmpty else { return }
        let config = sender.config
        let report = NotifiableEvent(
            kind: .deliveryFailed, node: config.node.name, cluster: config.node.cluster, peer: config.failover?.peer.name,
            incidentID: notification.incidentID,
            reason: "the \(notification.kind.rawValue) notification of \(Self.timestamp(notification.time)) did not reach \(destination): \(why)",
            time: clock.date)
        commit(report, destinations: others)
        deliverDue()
    }

    private static func timestamp(_ date: Date) -> String {
        DateText.iso8601(date)
    }

    /// Pages (role changes and their incidents) are never dropped to make room.
    static func priority(of kind: EventKind) -> OutboxPriority {
        NotificationLimiter.isPage(kind) ? .page : .notice
    }
}
