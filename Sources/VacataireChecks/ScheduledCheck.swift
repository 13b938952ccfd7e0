import Synchronization
import VacataireCore

/// A check with its schedule: how often, how long, rise/fall, severity.
public struct ScheduledCheck: Sendable {
    public var name: String
    public var severity: CheckSeverity
    /// Service checks run only where the service runs; node checks run everywhere.
    public var scope: CheckScope
    public var interval: Duration
    public var timeout: Duration
    public var rise: Int
    public var fall: Int
    public var check: any HealthCheck
    /// Whether a run of this check is still going (maybe past its timeout), so that a check
    /// that hangs is never started twice at once.
    let inFlight = InFlightFlag()

    public init(
        name: String, severity: CheckSeverity = .critical, scope: CheckScope = .node, interval: Duration, timeout: Duration,
        rise: Int = CheckConfig.defaultRise, fall: Int = CheckConfig.defaultFall, check: any HealthCheck
    ) {
        self.name = name
        self.severity = severity
        self.scope = scope
        self.interval = interval
        self.timeout = timeout
        self.rise = rise
        self.fall = fall
        self.check = check
    }

    /// The check a configuration entry describes, with its schedule.
    public init(_ config: CheckConfig) {
        self.init(
            name: config.name, severity: config.severity, scope: config.scope, interval: config.interval.duration,
            timeout: config.timeout.duration, rise: config.rise, fall: config.fall, check: config.makeCheck()
        )
    }

    /// Runs the check once, waiting no longer than its timeout plus `grace`: a check that
    /// does not stop by itself gives a CRITICAL result and keeps running in the background,
    /// and until it ends the check is not started again.
    public func runBounded(grace: Duration, pool: WorkPool) async -> CheckResult {
        let start = ContinuousClock.now
        guard inFlight.begin() else {
            return CheckResult(status: .critical, message: "the previous run has still not ended, long after its \(timeout.shortText) timeout")
        }
        let check = check, timeout = timeout, inFlight = inFlight
        let answer = await firstAnswer(within: timeout + grace, pool: pool) {
            let result = await check.run(timeout: timeout)
            inFlight.end()
            return result
        }
        guard let answer else {
            return CheckResult(
                status: .critical, message: "no result within the \(timeout.shortText) timeout (the check did not stop by itself)",
                duration: ContinuousClock.now - start
            )
        }
        return answer
    }
}

/// A flag shared between a check's runs: set while one runs.
final class InFlightFlag: Sendable {
    private let running = Mutex(false)

    /// Sets the flag; false when it was already set.
    func begin() -> Bool {
        running.withLock { running in
            if running { return false }
            running = true
            return true
        }
    }

    func end() {
        running.withLock { $0 = false }
    }
}
