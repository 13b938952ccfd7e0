import Foundation
import Synchronization
import VacataireCore

/// Why a command's process group was killed before it finished on its own.
public enum ProcessGroupKill: Sendable, Equatable {
    /// Its deadline passed.
    case timedOut
    /// The task waiting for it was cancelled (the agent is stopping).
    case cancelled
}

/// A running command's process group, killed with SIGKILL at its deadline or on
/// cancellation: exactly once, and never after the command has been reaped.
///
/// The command must run in a new process group (`PlatformOptions.processGroupID = 0`), so
/// the group id is its pid and the kill reaches whatever it started in the background.
/// Exec checks (plugins) and the agent's start, stop and fence commands both run this way.
public final class ProcessGroupDeadline: Sendable {
    private struct State {
        var leader: pid_t?
        var done = false
        var kill: ProcessGroupKill?
    }

    private let state = Mutex(State())

    /// Why the group was killed, if it was.
    public var kill: ProcessGroupKill? { state.withLock { $0.kill } }

    /// Runs `body` (which starts the command and calls `started` with its pid) with a timer
    /// on `clock` that kills the group after `timeout`, and kills it too if the task is
    /// cancelled. The timer is a child task, cancelled once the command is reaped.
    public static func run<T: Sendable>(
        timeout: Duration, clock: any AgentClock, _ body: (ProcessGroupDeadline) async throws -> T
    ) async -> (result: Result<T, any Error>, kill: ProcessGroupKill?) {
        let group = ProcessGroupDeadline()
        let result = await withTaskGroup(of: Void.self) { timers -> Result<T, any Error> in
            timers.addTask {
                if (try? await clock.sleep(for: timeout)) != nil { group.killGroup(.timedOut) }
            }
            let result: Result<T, any Error>
            do {
                let value = try await withTaskCancellationHandler {
                    try await body(group)
                } onCancel: {
                    group.killGroup(.cancelled)
                }
                result = .success(value)
            } catch {
                result = .failure(error)
            }
            // The command has been reaped: its pid may be reused from here on.
            group.state.withLock { $0.done = true }
            timers.cancelAll()
            return result
        }
        return (result, group.kill)
    }

    /// The command started; its pid is its process group's id.
    public func started(_ pid: pid_t) {
        let killNow = state.withLock { state -> Bool in
            state.leader = pid
            return state.kill != nil
        }
        if killNow { _ = Glibc.kill(-pid, SIGKILL) }
    }

    private func killGroup(_ reason: ProcessGroupKill) {
        state.withLock { state in
            guard !state.done, state.kill == nil else { return }
            state.kill = reason
            if let leader = state.leader { _ = Glibc.kill(-leader, SIGKILL) }
        }
    }
}
