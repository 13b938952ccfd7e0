import Foundation
import VacataireCore

/// Runs every check at its interval, concurrently, each bounded by its timeout, and keeps
/// each check's health and the node's `CheckVerdict`.
///
/// It owns the rise/fall trackers and the latest results. The engine and the notifier each
/// call `transitions()` (before `run()`) for their own stream of health changes (a check
/// became failing, or recovered), and may ask `verdict()` or `snapshot()` at any time. A hung check never delays the others: each has its own
/// loop, blocking work runs on dedicated threads, and the scheduler stops waiting for a
/// run shortly after its timeout.
public actor CheckScheduler {
    private let subscribers = TransitionSubscribers()
    private let checks: [ScheduledCheck]
    private let grace: Duration
    private let clock: any AgentClock
    private var trackers: [String: RiseFallTracker] = [:]
    private var latest: [String: CheckResult] = [:]
    private var runs: [String: Int] = [:]
    /// Whether the service checks run (the service runs here) or are idle.
    public private(set) var serviceChecksRun: Bool
    /// Where the service checks' loops wait while the service is off here: open while it runs.
    private let serviceStarts: Doorbell

    /// - Parameters:
    ///   - grace: how long past a check's timeout the scheduler still waits for it.
    ///   - serviceChecksRun: whether the service runs here at start; if not, service
    ///     checks start idle.
    ///   - clock: when checks run (a manual clock in tests); a run's own timeout is real time.
    public init(checks: [ScheduledCheck], grace: Duration = .seconds(2), serviceChecksRun: Bool = true,
                clock: any AgentClock = SystemClock()) {
        self.clock = clock
        self.checks = checks
        self.grace = grace
        self.serviceChecksRun = serviceChecksRun
        serviceStarts = Doorbell(open: serviceChecksRun)
        for check in checks {
            var tracker = RiseFallTracker(rise: check.rise, fall: check.fall)
            if check.scope == .service, !serviceChecksRun { tracker.makeIdle() }
            trackers[check.name] = tracker
        }
    }

    /// A scheduler for the configured checks.
    public init(configs: [CheckConfig], serviceChecksRun: Bool = true, clock: any AgentClock = SystemClock()) {
        self.init(checks: configs.map(ScheduledCheck.init), serviceChecksRun: serviceChecksRun, clock: clock)
    }

    /// Starts or stops the service checks: the agent calls this as its service starts
    /// (they must then pass `rise` times) and stops (they go idle, with a transition each).
    public func setServiceChecks(running: Bool) {
        guard running != serviceChecksRun else { return }
        serviceChecksRun = running
        if running { serviceStarts.open() } else { serviceStarts.close() }
        for check in checks where check.scope == .service {
            guard var tracker = trackers[check.name] else { continue }
            let before = tracker.health
            tracker.makeIdle()
            trackers[check.name] = tracker
            latest[check.name] = nil
            if !running, before != .idle {
                subscribers.yield(CheckTransition(
                    check: check.name, severity: check.severity, from: before, to: .idle,
                    result: CheckResult(status: .ok, message: "idle: the service is off here"), at: clock.date, verdict: verdict()
                ))
            }
        }
    }

    /// A new stream of every change of a check's health from now on, in order; each caller
    /// gets all of them. It finishes when `run()` returns.
    public nonisolated func transitions() -> AsyncStream<CheckTransition> {
        subscribers.subscribe()
    }

    /// Runs every check until the calling task is cancelled, then finishes the streams.
    public func run() async {
        let grace = grace
        let pool = WorkPool()
        await withDiscardingTaskGroup { group in
            group.addTask { await pool.run() }
            await withDiscardingTaskGroup { loops in
                for check in checks {
                    loops.addTask { await self.loop(check, grace: grace, pool: pool) }
                }
            }
            pool.finish()  // the loops ended (cancelled): runs still under way end on their own
        }
        subscribers.finish()
    }

    private nonisolated func loop(_ check: ScheduledCheck, grace: Duration, pool: WorkPool) async {
        var next = clock.now
        while !Task.isCancelled {
            if check.scope == .service, !serviceStarts.isOpen {
                // The service is off here: wait (without waking) until it starts, then run at once.
                await serviceStarts.wait()
                next = clock.now
                continue
            }
            let result = await check.runBounded(grace: grace, pool: pool)
            if Task.isCancelled { break }
            await record(check, result)
            // Keep the rhythm; after a slow run, start again at once rather than catch up.
            next = max(next + check.interval, clock.now)
            do {
                try await clock.sleep(until: next)
            } catch {
                break
            }
        }
    }

    /// Records a result as if a run had produced it; the scheduler's loops call this.
    public func record(_ check: ScheduledCheck, _ result: CheckResult) {
        // A run that began before its service stopped says nothing about it now.
        if check.scope == .service, !serviceChecksRun { return }
        runs[check.name, default: 0] += 1
        latest[check.name] = result
        guard var tracker = trackers[check.name] else { return }
        let before = tracker.health
        let changed = tracker.record(passed: result.status.passed)
        trackers[check.name] = tracker
        guard let after = changed else { return }
        subscribers.yield(CheckTransition(
            check: check.name, severity: check.severity, from: before, to: after, result: result,
            at: clock.date, verdict: verdict()
        ))
    }

    /// May this node serve? Healthy when every critical check is healthy.
    public func verdict() -> CheckVerdict {
        var verdict = CheckVerdict()
        for check in checks {
            if check.severity == .critical, check.scope == .service { verdict.serviceChecks.insert(check.name) }
            let health = trackers[check.name]?.health ?? .pending
            switch (check.severity, health) {
            case (.critical, .failing): verdict.failing.append(check.name)
            case (.critical, .pending): verdict.pending.append(check.name)
            case (.critical, .idle) where serviceChecksRun: verdict.pending.append(check.name)  // started, not yet verified
            case (.critical, .idle): verdict.idle.append(check.name)
            case (.warning, .failing): verdict.warnings.append(check.name)
            default: break
            }
        }
        return verdict
    }

    /// Every check's current state, in configuration order, for `vacataire status`.
    public func snapshot() -> [CheckSnapshot] {
        checks.map { check in
            CheckSnapshot(
                name: check.name, severity: check.severity, scope: check.scope, health: trackers[check.name]?.health ?? .pending,
                runs: runs[check.name] ?? 0, latest: latest[check.name]
            )
        }
    }

    /// Runs each check once, all at the same time, each bounded by its timeout; results in
    /// the order given. For `vacataire check`.
    public static func runOnce(_ checks: [ScheduledCheck], grace: Duration = .seconds(2)) async -> [CheckResult] {
        let pool = WorkPool()
        return await withTaskGroup(of: [CheckResult]?.self) { outer in
            outer.addTask {
                await pool.run()
                return nil
            }
            let results = await withTaskGroup(of: (Int, CheckResult).self) { group in
                for (index, check) in checks.enumerated() {
                    group.addTask { (index, await check.runBounded(grace: grace, pool: pool)) }
                }
                var results = [CheckResult?](repeating: nil, count: checks.count)
                for await (index, result) in group {
                    results[index] = result
                }
                return results.map { $0 ?? CheckResult(status: .unknown, message: "not run") }
            }
            pool.finish()
            return results
        }
    }
}

/// One check's state as the scheduler sees it now.
public struct CheckSnapshot: Sendable, Equatable {
    public var name: String
    public var severity: CheckSeverity
    public var scope: CheckScope
    public var health: CheckHealth
    /// Runs since the scheduler started.
    public var runs: Int
    public var latest: CheckResult?
}
