import Foundation

/// The `outbox:` section: how long and how often the durable outbox retries a delivery
/// whose server is down (Docs/notifications.md).
public struct OutboxConfig: Sendable, Equatable {
    /// The first retry comes this long after a failure; each next one waits twice as long...
    public var retryInitial: ConfigDuration
    /// ...up to this.
    public var retryMax: ConfigDuration
    /// A delivery still failing this long after its notification gives up (`expired`),
    /// is logged and shows in `vacataire status`.
    public var maxAge: ConfigDuration
    /// At most this many notifications are kept; beyond it the oldest notices go first,
    /// never a page.
    public var maxEntries: Int

    public init(
        retryInitial: ConfigDuration = ConfigDuration(seconds: 5), retryMax: ConfigDuration = ConfigDuration(seconds: 300),
        maxAge: ConfigDuration = ConfigDuration(seconds: 86_400), maxEntries: Int = 10_000
    ) {
        self.retryInitial = retryInitial
        self.retryMax = retryMax
        self.maxAge = maxAge
        self.maxEntries = maxEntries
    }

    /// The wait before retry number `attempt` (1 for the first retry).
    public func backoff(attempt: Int) -> Double {
        let doubled = retryInitial.seconds * pow(2, Double(max(0, min(attempt - 1, 30))))
        return min(retryMax.seconds, doubled)
    }

    /// Whether a try planned for `planned` is due at `now`: its time has come, or it lies
    /// further ahead than any backoff (`retry_max`): the wall clock went back since it was
    /// planned, and the try must not wait for the difference. (The store's
    /// `dueDeliveries(now:horizon:)` applies the same rule to stored retries.)
    public func isDue(_ planned: Date, at now: Date) -> Bool {
        planned <= now || planned > now.addingTimeInterval(retryMax.seconds)
    }

    /// What follows a failed try of a delivery (the outbox's schedule, Docs/notifications.md).
    public enum NextStep: Sendable, Equatable {
        /// Try again `after` seconds from now.
        case retry(after: Double)
        /// Stop trying; `why` says so in the log and the `delivery-failed` notice.
        case giveUp(why: String)
    }

    /// After try number `attempt` failed with `error`, `age` seconds after the notification
    /// was written: a refusal that trying again cannot cure (`permanent`) ends it at once, a
    /// delivery failing for `max_age` ends at its first failure past it, any other is
    /// retried after the backoff.
    public func afterFailedTry(_ attempt: Int, age: Double, error: String, permanent: Bool) -> NextStep {
        if permanent {
            return .giveUp(why: "refused for good: \(error)")
        }
        if age >= maxAge.seconds {
            return .giveUp(why: "still failing after \(attempt) tries over \(Int(age)) s: \(error)")
        }
        return .retry(after: backoff(attempt: attempt))
    }

    static func read(_ reader: ConfigReader) -> OutboxConfig {
        var outbox = OutboxConfig()
        outbox.retryInitial = reader.optional("retry_initial", ConfigDuration.self) ?? outbox.retryInitial
        outbox.retryMax = reader.optional("retry_max", ConfigDuration.self) ?? outbox.retryMax
        outbox.maxAge = reader.optional("max_age", ConfigDuration.self) ?? outbox.maxAge
        outbox.maxEntries = reader.optional("max_entries", Int.self) ?? outbox.maxEntries
        if outbox.retryInitial.seconds < 0.1 {
            reader.problem("retry_initial", "must be at least 100ms, found \(outbox.retryInitial)")
        }
        if outbox.retryMax < outbox.retryInitial {
            reader.problem("retry_max", "must not be shorter than retry_initial (\(outbox.retryInitial)), found \(outbox.retryMax)")
        }
        if outbox.maxAge < outbox.retryInitial {
            reader.problem("max_age", "must be longer than retry_initial (\(outbox.retryInitial)), found \(outbox.maxAge)")
        }
        if outbox.maxEntries < 10 {
            reader.problem("max_entries", "must be at least 10, found \(outbox.maxEntries)")
        }
        reader.finish()
        return outbox
    }
}
