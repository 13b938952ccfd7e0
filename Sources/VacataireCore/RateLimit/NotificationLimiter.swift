import Foundation

/// The notifier's rate limiter: decides, per destination, which
/// notifications go out now and which are held back, and never loses count of the latter.
///
/// A pure state machine: every input carries its `now` (monotonic: a wall clock step
/// neither empties nor refills a bucket, nor ends a duplicate window); it does no I/O and
/// reads no clock.
/// The outbox offers each notification with `admit`, calls `tick` every few hundred
/// milliseconds, and sends what they return.
///
/// - Pages (`failover`, `takeover`, `failback`, `switchover`, `peer-lost`, `acknowledged`,
///   `reminder`, `drill-failed`), `test` and `drill` always go out to every destination at once. They bypass the
///   bucket: they neither wait for a token nor take one, so a storm of notices never
///   delays a page and a page never starves the notices.
/// - A check that flaps (`FlapDetector`) is told once when it starts and once when it
///   stops; its check-failed/check-recovered notices in between are held and counted, and
///   the stop notice carries their count. These two notices bypass the bucket too:
///   hysteresis already bounds them.
/// - Any other notice identical (kind, subject, reason) to one sent within `dedupe_window`
///   is held back as a duplicate.
/// - Otherwise each destination spends one token of its bucket (`burst`, refilled at
///   `refill` per minute); a destination without a token has the notice held back.
///
/// Held-back notices are owed to their destination, counted by kind and subject, and the
/// count is attached to the next message that goes there, or to a `digest` that `tick`
/// sends once the destination's bucket has a token again.
public struct NotificationLimiter: Sendable {
    public private(set) var settings: RateLimitConfig
    private var buckets: [String: TokenBucket] = [:]
    /// What each destination is owed: held back and not told yet.
    private var owed: [String: SuppressedTally] = [:]
    /// When each (kind, subject, reason) last went out, for de-duplication.
    private var lastSent: [DuplicateKey: MonotonicInstant] = [:]
    private var flaps: [String: FlapDetector] = [:]

    private struct DuplicateKey: Hashable {
        var kind: EventKind
        var subject: String
        var reason: String
    }

    public init(settings: RateLimitConfig) {
        self.settings = settings
    }

    /// New limits (SIGHUP); buckets, counts owed and flapping state are kept.
    public mutating func reconfigure(_ settings: RateLimitConfig) {
        self.settings = settings
    }

    /// Kinds that are never held back: the pages, a test and a drill's report, which an
    /// administrator (or their timer) asked for.
    public static func bypasses(_ kind: EventKind) -> Bool {
        isPage(kind) || kind == .test || kind == .drill
    }

    /// Role changes and their incidents, and a lost delivery: never held back, never
    /// dropped from the outbox.
    public static func isPage(_ kind: EventKind) -> Bool {
        switch kind {
        case .failover, .takeover, .failback, .switchover, .peerLost, .acknowledged, .reminder, .deliveryFailed, .drillFailed:
            return true
        case .checkFailed, .checkRecovered, .peerFound, .test, .agentStarted, .agentStopped, .flapping, .digest, .drill:
            return false
        }
    }

    /// What the limiter has held back for `destination` and not told yet.
    public func owed(to destination: String) -> SuppressedTally {
        owed[destination] ?? SuppressedTally()
    }

    /// How many notices the limiter holds back, over every destination, to be told in a
    /// digest or with the next notification that goes out.
    public var heldBack: Int {
        owed.values.reduce(0) { $0 + $1.total }
    }

    /// Whether `check` is flapping now.
    public func isFlapping(_ check: String) -> Bool {
        flaps[check]?.isFlapping ?? false
    }

    /// Decides which of `destinations` get `event` now.
    public mutating func admit(_ event: LimiterEvent, to destinations: [String], now: MonotonicInstant) -> LimiterDecision {
        if Self.bypasses(event.kind) {
            // A page goes everywhere at once and tells what was owed; it takes no token.
            return LimiterDecision(sends: sends(.offered, to: destinations))
        }
        var before: [LimiterSend] = []
        if [.checkFailed, .checkRecovered].contains(event.kind), !event.subject.isEmpty {
            var detector = flaps[event.subject] ?? FlapDetector()
            let outcome = detector.record(event.kind, check: event.subject, now: now, settings: settings.flapping)
            flaps[event.subject] = detector
            switch outcome {
            case .started(let percent, let changes):
                // The start is told instead of this change; the change is counted in the episode.
                let reason = "check \(event.subject) is flapping: \(changes) state changes in the last "
                    + "\(settings.flapping.window) (\(Int(percent))% > \(Int(settings.flapping.highPercent))%); "
                    + "its notices are held back until it settles"
                return LimiterDecision(
                    sends: sends(.notice(.flapping, subject: event.subject, reason: reason), to: destinations),
                    suppressed: destinations, why: "check \(event.subject) started flapping")
            case .held:
                // Counted in the episode, told when the check stops flapping.
                return LimiterDecision(sends: [], suppressed: destinations, why: "check \(event.subject) is flapping")
            case .steady:
                // A change slow enough may end an episode that the ticks have not ended yet.
                before = settleFlapping(event.subject, now: now, destinations: destinations)
            }
        }
        let key = DuplicateKey(kind: event.kind, subject: event.subject, reason: event.reason)
        if let last = lastSent[key], now.since(last).seconds < settings.dedupeWindow.seconds {
            // The same notice went out moments ago: count it, do not repeat it.
            for destination in destinations {
                owed[destination, default: SuppressedTally()].add(event.kind, subject: event.subject)
            }
            let ago = max(0, Int(now.since(last).seconds.rounded()))
            return LimiterDecision(sends: before, suppressed: destinations, why: "duplicate of a notice sent \(ago) s ago")
        }
        var passing: [String] = []
        var held: [String] = []
        for destination in destinations {
            var bucket = refilledBucket(destination, now: now)
            if bucket.take() {
                passing.append(destination)
            } else {
                // No token left: owed, told in the next message or a digest.
                held.append(destination)
                owed[destination, default: SuppressedTally()].add(event.kind, subject: event.subject)
            }
            buckets[destination] = bucket
        }
        if !passing.isEmpty {
            lastSent[key] = now
        }
        let why = held.isEmpty ? nil
            : "rate limit: \(settings.burst) at once, then \(Self.rate(settings.refillPerMinute)) per minute"
        return LimiterDecision(sends: before + sends(.offered, to: passing), suppressed: held, why: why)
    }

    /// What is due at `now`: the stop of every check that settled, then a digest for every
    /// destination that is owed something and has a token again.
    public mutating func tick(now: MonotonicInstant, destinations: [String]) -> [LimiterSend] {
        var due: [LimiterSend] = []
        for check in flaps.keys.sorted() {
            due += settleFlapping(check, now: now, destinations: destinations)
        }
        for (key, sent) in lastSent where now.since(sent).seconds >= settings.dedupeWindow.seconds {
            lastSent[key] = nil
        }
        // Counts owed to a destination that is no longer configured cannot be told anywhere.
        for destination in owed.keys where !destinations.contains(destination) {
            owed[destination] = nil
        }
        var digestFor: [String] = []
        for destination in destinations where !(owed[destination]?.isEmpty ?? true) {
            var bucket = refilledBucket(destination, now: now)
            if bucket.take() {
                digestFor.append(destination)
            }
            buckets[destination] = bucket
        }
        for send in sends(.notice(.digest, subject: "", reason: ""), to: digestFor) {
            var digest = send
            let reason = "\(send.suppressed.total) notification(s) held back by the rate limit "
                + "(\(settings.burst) at once, then \(Self.rate(settings.refillPerMinute)) per minute)"
            digest.content = .notice(.digest, subject: "", reason: reason)
            due.append(digest)
        }
        return due
    }

    // MARK: - Helpers

    private mutating func settleFlapping(_ check: String, now: MonotonicInstant, destinations: [String]) -> [LimiterSend] {
        guard var detector = flaps[check], let (percent, held) = detector.settle(now: now, settings: settings.flapping) else {
            return []
        }
        flaps[check] = detector
        let state = detector.latest == .checkRecovered ? "passing" : "failing"
        let reason = "check \(check) stopped flapping (\(Int(percent))% state change, below "
            + "\(Int(settings.flapping.lowPercent))%); \(held.total) notice(s) were held back while it flapped; it is now \(state)"
        return sends(.notice(.flapping, subject: check, reason: reason), to: destinations, adding: held)
    }

    private mutating func refilledBucket(_ destination: String, now: MonotonicInstant) -> TokenBucket {
        var bucket = buckets[destination] ?? TokenBucket(burst: settings.burst, now: now)
        bucket.refill(now: now, burst: settings.burst, perMinute: settings.refillPerMinute)
        return bucket
    }

    /// `content` to `destinations`, each with what it is owed (plus `adding`), which is
    /// then told; destinations owed the same are grouped into one send.
    private mutating func sends(_ content: LimiterSend.Content, to destinations: [String], adding: SuppressedTally = SuppressedTally()) -> [LimiterSend] {
        var result: [LimiterSend] = []
        for destination in destinations {
            var tally = owed.removeValue(forKey: destination) ?? SuppressedTally()
            tally.merge(adding)
            if let index = result.firstIndex(where: { $0.suppressed == tally }) {
                result[index].destinations.append(destination)
            } else {
                result.append(LimiterSend(content: content, destinations: [destination], suppressed: tally))
            }
        }
        return result
    }

    static func rate(_ perMinute: Double) -> String {
        perMinute == perMinute.rounded() ? String(Int(perMinute)) : String(perMinute)
    }
}
