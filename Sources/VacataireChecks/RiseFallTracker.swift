/// Whether a check is currently considered healthy, after rise/fall smoothing.
public enum CheckHealth: String, Sendable, Codable {
    /// No result yet since the agent started.
    case pending
    case healthy
    case failing
    /// A service check where the service is off: not run, judged neither way. Once it
    /// runs again it becomes healthy only after `rise` passes in a row (a fresh start
    /// must prove itself), failing after `fall` failures.
    case idle
}

/// Turns a check's results, one by one, into its health: `fall` failures in a row make a
/// healthy check failing, `rise` passes in a row make a failing one healthy again.
///
/// A pure value: no clock, no I/O. The first result after start decides at once (a node
/// must know quickly whether it may serve); only later changes are smoothed.
public struct RiseFallTracker: Sendable, Equatable {
    public let rise: Int
    public let fall: Int
    public private(set) var health: CheckHealth = .pending
    public private(set) var passesInARow = 0
    public private(set) var failuresInARow = 0

    public init(rise: Int, fall: Int) {
        self.rise = max(1, rise)
        self.fall = max(1, fall)
    }

    /// The check stops running here (the service is off); its counts start again.
    public mutating func makeIdle() {
        health = .idle
        passesInARow = 0
        failuresInARow = 0
    }

    /// Records one result and returns the new health when it changed, nil otherwise.
    public mutating func record(passed: Bool) -> CheckHealth? {
        if passed {
            passesInARow += 1
            failuresInARow = 0
        } else {
            failuresInARow += 1
            passesInARow = 0
        }
        let next: CheckHealth
        switch health {
        case .pending:
            // The first result decides: no history to smooth yet.
            next = passed ? .healthy : .failing
        case .healthy:
            // One bad result is noise; `fall` in a row is a failure.
            next = failuresInARow >= fall ? .failing : .healthy
        case .failing:
            // Recovery needs `rise` good results in a row, so a flapping check stays failing.
            next = passesInARow >= rise ? .healthy : .failing
        case .idle:
            // A service just started: `rise` passes verify it, `fall` failures condemn it.
            next = passesInARow >= rise ? .healthy : (failuresInARow >= fall ? .failing : .idle)
        }
        guard next != health else { return nil }
        health = next
        return next
    }
}
