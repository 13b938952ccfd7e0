import Foundation
import Subprocess
import VacataireCore

extension OCFResource {
    /// Calls the agent with `action` as its only argument and the OCF environment
    /// (`environment(for:timeout:interval:)`) plus `extra`; `OCF_*` variables of the
    /// caller's own environment are removed, so that nothing reaches the agent as a
    /// parameter by mistake. Runs as `ProgramRun` does: its own process group, killed at
    /// `timeout`.
    public func call(
        _ action: OCFAction, timeout: Duration, interval: Duration? = nil, extra: [Environment.Key: String?] = [:],
        keeping empty: OutputTail = OutputTail(), clock: any AgentClock = SystemClock(), started: @Sendable (pid_t) -> Void = { _ in }
    ) async -> ProgramRun {
        var variables: [Environment.Key: String?] = [:]
        for name in ProcessInfo.processInfo.environment.keys where name.hasPrefix("OCF_") {
            if let key = Environment.Key(rawValue: name) { variables[key] = .some(nil) }
        }
        for (name, value) in environment(for: action, timeout: timeout, interval: interval) {
            if let key = Environment.Key(rawValue: name) { variables[key] = value }
        }
        variables.merge(extra) { _, added in added }
        return await ProgramRun.run(agentPath, arguments: [action.rawValue], environment: variables, timeout: timeout, keeping: empty, clock: clock, started: started)
    }
}
