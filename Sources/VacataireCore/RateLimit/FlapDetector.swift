import Foundation

/// Nagios-style flap detection for one check, with hysteresis: the times of its latest
/// `history` state changes are kept; the percent state change is how many of them fall
/// inside `window`, over `history`. Above `high` the check starts flapping; it stops only
/// below `low`, so a check near one threshold does not start and stop over and over.
///
/// While it flaps, its check-failed and check-recovered notices are held back and counted
/// here (the episode), to be told in full when it stops.
struct FlapDetector: Sendable, Equatable {
    private(set) var changes: [MonotonicInstant] = []
    private(set) var isFlapping = false
    /// Notices held back since the check started flapping.
    private(set) var episode = SuppressedTally()
    /// The kind of the latest change: the check's state when it stops flapping.
    private(set) var latest: EventKind?

    enum Outcome: Equatable {
        /// Not flapping: the notice takes its chances with the bucket.
        case steady
        /// This change made the check start flapping: the notice is held, the start told.
        case started(percent: Double, changes: Int)
        /// Flapping already: the notice is held and counted.
        case held
    }

    /// Percent state change at `now`.
    func percent(now: MonotonicInstant, settings: RateLimitConfig.Flapping) -> Double {
        Double(inWindow(now: now, settings: settings)) * 100 / Double(settings.history)
    }

    func inWindow(now: MonotonicInstant, settings: RateLimitConfig.Flapping) -> Int {
        changes.filter { now.since($0) < settings.window.duration }.count
    }

    /// Records one state change of the check (`kind` is check-failed or check-recovered).
    mutating func record(_ kind: EventKind, check: String, now: MonotonicInstant, settings: RateLimitConfig.Flapping) -> Outcome {
        changes.append(now)
        if changes.count > settings.history {
            changes.removeFirst(changes.count - settings.history)
        }
        latest = kind
        if isFlapping {
            episode.add(kind, subject: check)
            return .held
        }
        let percent = percent(now: now, settings: settings)
        guard percent > settings.highPercent else { return .steady }
        isFlapping = true
        episode = SuppressedTally()
        episode.add(kind, subject: check)
        return .started(percent: percent, changes: inWindow(now: now, settings: settings))
    }

    /// Whether the check, flapping, has settled below `low` at `now`; if so it stops
    /// flapping and returns what it held back.
    mutating func settle(now: MonotonicInstant, settings: RateLimitConfig.Flapping) -> (percent: Double, held: SuppressedTally)? {
        guard isFlapping else { return nil }
        let percent = percent(now: now, settings: settings)
        guard percent < settings.lowPercent else { return nil }
        isFlapping = false
        let held = episode
        episode = SuppressedTally()
        return (percent, held)
    }
}
