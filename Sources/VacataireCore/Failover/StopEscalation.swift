/// What follows a stop action that could not even be started (no descriptor, no memory,
/// no shell): it is tried again, `attempts` times in all within its timeout, with pauses
/// of 100 ms, 200 ms, ...; if it still cannot start, the start action's process group is
/// signalled (SIGTERM, then SIGKILL after `grace`). The agent's runner only executes this.
public enum StopEscalation {
    /// How often a stop action that cannot be started is tried before the signals.
    public static let attempts = 3

    public enum Step: Sendable, Equatable {
        /// Try the stop action again after this pause.
        case retry(after: Duration)
        /// Give up on the stop action: SIGTERM the started group, SIGKILL after `grace`.
        case signalStartedGroup(grace: Duration)
    }

    /// The step after `attempt` tries (the first is 1) that could not start, with `left`
    /// of the stop action's `timeout` remaining.
    public static func after(attempt: Int, left: Duration, timeout: Duration) -> Step {
        let pause = Duration.milliseconds(100) * (1 << min(max(0, attempt - 1), 20))
        if attempt < attempts, pause < left { return .retry(after: pause) }
        return .signalStartedGroup(grace: min(.seconds(5), max(.milliseconds(500), timeout / 2)))
    }
}
