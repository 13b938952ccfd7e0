import Foundation
import VacataireChecks
import Subprocess
import VacataireCore

/// Runs the `start`, `stop` and `fence` commands of the failover configuration.
///
/// Each command runs as `/bin/sh -c COMMAND` through swift-subprocess, in a process group
/// of its own, with the agent's environment plus `VACATAIRE_*` variables describing the
/// transition (Docs/failover.md, "Action environment"). At its timeout the whole group is
/// killed with SIGKILL, background children included. Only the tail of its output is
/// kept, so a command that prints megabytes costs a few KiB. Running never throws: a
/// command that fails, hangs or cannot start is a report that says so.
///
/// A command that leaves a process running in the background must redirect that process's
/// output (`daemon >/dev/null 2>&1 &`): the run lasts until its output is closed.
public struct ServiceActionRunner: Sendable {
    /// This node's name (`VACATAIRE_NODE`).
    public var node: String
    /// The peer's name (`VACATAIRE_PEER`).
    public var peer: String
    /// The shell commands run through; only tests change it.
    public var shell: String
    /// The process group of the last start action, stopped by signals when the stop
    /// action cannot be started at all.
    public let startedService: StartedServiceGroup
    /// The commands are real processes: their timeouts and pauses are real time, whatever
    /// clock drives the agent (a test's manual clock must not kill a start it outran).
    let clock: any AgentClock = SystemClock()

    public init(node: String, peer: String, shell: String = "/bin/sh", startedService: StartedServiceGroup = StartedServiceGroup()) {
        self.node = node
        self.peer = peer
        self.shell = shell
        self.startedService = startedService
    }

    /// Runs a start or stop action (`.runStartActions`/`.runStopActions`).
    ///
    /// A stop action that cannot be started (no descriptor, no memory, no shell) is tried
    /// again and then escalated as `StopEscalation` says: the start action's process group
    /// gets SIGTERM, then SIGKILL. The report stays a failure either way (its summary says
    /// what the signals did): the service may have left that group, so only the stop
    /// command itself can say it is stopped.
    public func run(_ kind: ServiceActionKind, _ command: FailoverConfig.ActionCommand, context: ServiceActionContext) async -> ServiceActionReport {
        switch kind {
        case .start:
            return await run(command, label: kind.rawValue, context: context, started: startedService.started)
        case .stop:
            let timeout = command.timeout.duration
            let deadline = clock.now + timeout
            var report = await run(command, label: kind.rawValue, context: context)
            var attempt = 1
            while case .notStarted = report.termination {
                switch StopEscalation.after(attempt: attempt, left: deadline.since(clock.now), timeout: timeout) {
                case .retry(let pause):
                    try? await clock.sleep(for: pause)
                    attempt += 1
                    report = await run(command, label: kind.rawValue, context: context)
                case .signalStartedGroup(let grace):
                    let outcome = await startedService.terminate(clock: clock, grace: grace)
                    report.summary += " (\(attempt) tries); \(outcome)"
                    return report
                }
            }
            return report
        }
    }

    /// Runs any action command; `label` names it in the summary and in `VACATAIRE_ACTION`.
    /// Without a context (the fence) only the node, peer and action variables are set.
    public func run(
        _ command: FailoverConfig.ActionCommand, label: String, context: ServiceActionContext?,
        started: @Sendable (pid_t) -> Void = { _ in }
    ) async -> ServiceActionReport {
        let timeout = command.timeout.duration
        let start = clock.now
        var options = PlatformOptions()
        options.processGroupID = 0  // a new group whose id is the shell's pid
        let environment = Environment.inherit.updating(environment(label: label, context: context))
        let (result, kill) = await ProcessGroupDeadline.run(timeout: timeout, clock: clock) { group in
            try await Subprocess.run(
                .path(.init(shell)), arguments: ["-c", command.command], environment: environment,
                platformOptions: options, input: .none, output: .sequence, error: .combinedWithOutput
            ) { execution in
                group.started(execution.processIdentifier.value)
                started(execution.processIdentifier.value)
                var tail = OutputTail()
                for try await chunk in execution.standardOutput {
                    chunk.withUnsafeBytes { tail.append($0) }
                }
                return tail
            }
        }
        let duration = clock.now.since(start)
        let termination: ServiceActionReport.Termination
        var tail = OutputTail()
        switch (result, kill) {
        case (_, .timedOut?):
            termination = .timedOut
            if case .success(let run) = result { tail = run.closureResult }
        case (_, .cancelled?):
            termination = .cancelled
            if case .success(let run) = result { tail = run.closureResult }
        case (.success(let run), nil):
            tail = run.closureResult
            switch run.terminationStatus {
            case .exited(let status): termination = .exited(status)
            case .signaled(let signal): termination = .signaled(signal)
            }
        case (.failure(let error), nil):
            termination = .notStarted(Self.describe(error, shell: shell))
        }
        return ServiceActionReport(label: label, termination: termination, duration: duration, timeout: timeout, tail: tail)
    }

    /// The variables added to the agent's environment; unknown ones are removed so that
    /// nothing is inherited from the agent's own environment by mistake.
    func environment(label: String, context: ServiceActionContext?) -> [Environment.Key: String?] {
        [
            "VACATAIRE_ACTION": label,
            "VACATAIRE_NODE": node,
            "VACATAIRE_PEER": peer,
            "VACATAIRE_ROLE": context?.role.rawValue,
            "VACATAIRE_EPOCH": context.map { String($0.epoch) },
            "VACATAIRE_EVENT": context?.event?.rawValue,
            "VACATAIRE_INCIDENT": context?.incident?.description,
            "VACATAIRE_REASON": context?.reason,
        ]
    }

    static func describe(_ error: any Error, shell: String) -> String {
        if let error = error as? SubprocessError {
            switch error.code {
            case .executableNotFound: return "\(shell) not found or not executable"
            case .spawnFailed: return "cannot start \(shell): \(error.underlyingError.map { "\($0)" } ?? "\(error)")"
            default: break
            }
        }
        return "\(error)"
    }
}
