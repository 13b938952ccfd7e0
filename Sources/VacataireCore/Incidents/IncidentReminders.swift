import Foundation

/// The repeat-until-acknowledged schedule of one node's open incidents, and the "one page
/// per incident" bookkeeping between the two nodes (Docs/notifications.md, "Incidents,
/// reminders and acknowledgements").
///
/// A pure value like `FailoverMachine`: the agent tells it what happened (an incident was
/// opened, acknowledged, closed; the peer confirmed delivering a page) and asks it with an
/// explicit `now` what is due; it returns `Action`s and never sends anything itself. Its
/// schedule is on the monotonic clock: a step of the wall clock (NTP, an admin's `date`)
/// neither fires a reminder early nor holds it back. What the store keeps in dates (when
/// an incident opened, when an acknowledgement expires) comes in as spans at a restart.
///
/// Who pages is the failover machine's decision (`FailoverAction.raiseIncident`'s `paged`):
/// the node that paged an incident reminds of it. A role change this node did not page
/// awaits the peer's delivery confirmation; without one within `confirmTimeout` this node
/// pages it itself and from then on also sends its reminders (until a confirmation arrives).
public struct IncidentReminders: Sendable {
    /// Something the agent must send now.
    public enum Action: Sendable, Equatable {
        /// Page `incident` again: it has been open `openFor` seconds; `count` is 1 for the first reminder.
        case remind(IncidentID, kind: EventKind, reason: String, openFor: TimeInterval, count: Int)
        /// The peer did not confirm delivering the page of `incident` in time: page it from here.
        case pageForPeer(IncidentID, kind: EventKind, reason: String)
        /// The acknowledgement of `incident` expired: reminders resume (log it).
        case acknowledgementExpired(IncidentID)
    }

    /// One open incident as the schedule sees it.
    struct Tracked: Sendable {
        var kind: EventKind
        var reason: String
        /// How long it had been open when this schedule began to follow it, at `followedSince`.
        var openBefore: Duration
        var followedSince: MonotonicInstant
        var nextReminder: MonotonicInstant
        var reminders = 0
        /// Acknowledged: no reminders until this instant (nil inside: until closed).
        var acknowledgedUntil: Acknowledged?
        /// The peer owes a delivery confirmation by then; nil when none is awaited.
        var confirmationDeadline: MonotonicInstant?
        /// This node paged for its peer, so it sends the reminders too.
        var pagedForPeer = false
        /// This node paged it (or sent its news), so it reminds of it.
        var pagedHere = false

        func openFor(at now: MonotonicInstant) -> Duration { openBefore + now.since(followedSince) }

        /// The first instant at which `due` has something to do for it; nil: none until
        /// it changes (acknowledged until closed, no confirmation awaited).
        var wakeUp: MonotonicInstant? {
            let reminder: MonotonicInstant?
            switch acknowledgedUntil {
            case .none: reminder = nextReminder
            case .until(let end): reminder = end
            case .closing: reminder = nil
            }
            return [reminder, confirmationDeadline].compactMap { $0 }.min()
        }
    }

    /// An acknowledgement: until an instant, or until the incident is closed.
    enum Acknowledged: Sendable {
        case until(MonotonicInstant)
        case closing

        func holds(at now: MonotonicInstant) -> Bool {
            if case .until(let end) = self { return now < end }
            return true
        }
    }

    public var repeatInterval: Duration
    public var confirmTimeout: Duration
    private(set) var tracked: [IncidentID: Tracked] = [:] {
        didSet { quiet = nil }
    }
    /// What the last `due` learned: nothing is due before `until` (nil: before something
    /// changes). The agent asks at every turn of its loop, and almost every time it is too
    /// early; forgotten whenever an incident changes.
    private var quiet: Quiet?
    private struct Quiet: Sendable {
        var until: MonotonicInstant?
    }
    /// Confirmations that came before this node opened the incident (a fast peer).
    private var earlyConfirmations: Set<IncidentID> = []

    public init(repeatInterval: Duration, confirmTimeout: Duration) {
        self.repeatInterval = repeatInterval
        self.confirmTimeout = confirmTimeout
    }

    /// The incidents this schedule follows, for tests and status.
    public var incidents: [IncidentID] { Array(tracked.keys) }

    /// How many of this node's incidents await the peer's delivery confirmation (each is
    /// paged from here if none comes within `confirmTimeout`).
    public var confirmationsAwaited: Int {
        tracked.values.filter { $0.confirmationDeadline != nil }.count
    }

    /// Whether `incident` is acknowledged at `now`.
    public func isAcknowledged(_ incident: IncidentID, now: MonotonicInstant) -> Bool {
        tracked[incident]?.acknowledgedUntil?.holds(at: now) ?? false
    }

    /// An incident was opened `openFor` ago (zero: now; a restart gives how long it has
    /// been open since the store's date). `pagedHere`: this node sent its page; otherwise
    /// the peer should, and for a role change (the page that matters most) a delivery
    /// confirmation is awaited for `confirmTimeout`, after which this node pages it itself.
    /// Opening an incident already followed changes nothing.
    public mutating func opened(
        _ incident: IncidentID, kind: EventKind, reason: String, openFor: Duration = .zero, pagedHere: Bool, now: MonotonicInstant
    ) {
        guard tracked[incident] == nil else { return }
        let firstReminder = repeatInterval > openFor ? now + (repeatInterval - openFor) : now
        var entry = Tracked(kind: kind, reason: reason, openBefore: openFor, followedSince: now, nextReminder: firstReminder)
        entry.pagedHere = pagedHere
        if !pagedHere, incident.topic == .roleChange, earlyConfirmations.remove(incident) == nil {
            entry.confirmationDeadline = now + confirmTimeout
        }
        tracked[incident] = entry
    }

    /// This node now sends the incident's news (it took over after a peer loss it had only
    /// recorded): it reminds of it from now on.
    public mutating func pagedHere(_ incident: IncidentID) {
        tracked[incident]?.pagedHere = true
        tracked[incident]?.confirmationDeadline = nil
    }

    /// Acknowledged (here or on the peer): no reminders for `expiresIn` from `now`, or until
    /// the incident is closed if nil. A later acknowledgement replaces an earlier one.
    public mutating func acknowledged(_ incident: IncidentID, expiresIn: Duration?, now: MonotonicInstant) {
        tracked[incident]?.acknowledgedUntil = expiresIn.map { .until(now + $0) } ?? .closing
    }

    /// Closed (failback, peer found...): nothing more is sent about it.
    public mutating func closed(_ incident: IncidentID) {
        tracked[incident] = nil
        earlyConfirmations.remove(incident)
    }

    /// The peer delivered a page of `incident`: it need not be paged from here.
    public mutating func confirmed(_ incident: IncidentID) {
        guard tracked[incident] != nil else {
            // Bounded: a confirmation only matters for an incident about to be opened.
            if earlyConfirmations.count >= 64 { earlyConfirmations.removeAll() }
            earlyConfirmations.insert(incident)
            return
        }
        tracked[incident]?.confirmationDeadline = nil
        tracked[incident]?.pagedForPeer = false
    }

    /// What is due at `now`. `serving`: this node serves, so it pages the role-change incidents.
    public mutating func due(now: MonotonicInstant, serving: Bool) -> [Action] {
        if let quiet, quiet.until.map({ now < $0 }) ?? true { return [] }
        var actions: [Action] = []
        for id in tracked.keys.sorted(by: { $0.description < $1.description }) {
            guard var entry = tracked[id] else { continue }
            if let deadline = entry.confirmationDeadline, now >= deadline {
                // The peer did not say it delivered the page: better two pages than none.
                entry.confirmationDeadline = nil
                entry.pagedForPeer = true
                actions.append(.pageForPeer(id, kind: entry.kind, reason: entry.reason))
            }
            if let acknowledged = entry.acknowledgedUntil {
                guard !acknowledged.holds(at: now) else {
                    tracked[id] = entry
                    continue
                }
                // The acknowledgement ran out: remind at once, then every interval.
                entry.acknowledgedUntil = nil
                entry.nextReminder = min(entry.nextReminder, now)
                actions.append(.acknowledgementExpired(id))
            }
            if now >= entry.nextReminder {
                // Skipped reminders are not made up: one now, the next an interval later.
                entry.nextReminder = now + repeatInterval
                let responsible = entry.pagedHere || entry.pagedForPeer || (id.topic == .roleChange && serving)
                if responsible {
                    entry.reminders += 1
                    actions.append(.remind(id, kind: entry.kind, reason: entry.reason,
                                           openFor: entry.openFor(at: now).seconds, count: entry.reminders))
                }
            }
            tracked[id] = entry
        }
        quiet = Quiet(until: tracked.values.compactMap(\.wakeUp).min())
        return actions
    }
}
