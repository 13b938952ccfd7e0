import Foundation
import Subprocess
import VacataireCore

/// One run of a program in a process group of its own, killed with its group at a
/// deadline, keeping only the tail of its output (stdout and stderr together).
///
/// The agent's start, stop and fence commands (through `/bin/sh -c`), OCF resource agents
/// (actions, `ocf` checks, `validate-all`) all run this way. Running never throws: a
/// program that fails, hangs or cannot start is a result that says so. The run lasts until
/// the program's output is closed, so a process it leaves in the background must not hold it.
public struct ProgramRun: Sendable {
    /// How a program ended.
    public enum Termination: Sendable, Equatable {
        /// It exited with this status.
        case exited(Int32)
        /// A signal killed it (not ours: ours is `timedOut` or `cancelled`).
        case signaled(Int32)
        /// It outlived its timeout; its process group was killed.
        case timedOut
        /// The caller stopped waiting (the agent is stopping); its process group was killed.
        case cancelled
        /// It could not be started at all (no such program, fork failed...).
        case notStarted(String)
    }

    public var termination: Termination
    /// The last lines of its output.
    public var tail: OutputTail
    /// From the launch until the program and everything holding its output had ended.
    public var duration: Duration

    /// Runs `executable` with `arguments` and the agent's environment updated by
    /// `environment` (a nil value removes the variable); `started` gets the pid, which is
    /// also the process group's id. `keeping` is the empty tail the output goes into
    /// (its limits say how much of it is kept).
    public static func run(
        _ executable: String, arguments: [String], environment: [Environment.Key: String?], timeout: Duration,
        keeping empty: OutputTail = OutputTail(), clock: any AgentClock = SystemClock(), started: @Sendable (pid_t) -> Void = { _ in }
    ) async -> ProgramRun {
        let start = clock.now
        var options = PlatformOptions()
        options.processGroupID = 0  // a new group whose id is the program's pid
        let environment = Environment.inherit.updating(environment)
        let (result, kill) = await ProcessGroupDeadline.run(timeout: timeout, clock: clock) { group in
            try await Subprocess.run(
                .path(.init(executable)), arguments: Arguments(arguments), environment: environment,
                platformOptions: options, input: .none, output: .sequence, error: .combinedWithOutput
            ) { execution in
                group.started(execution.processIdentifier.value)
                started(execution.processIdentifier.value)
                var tail = empty
                for try await chunk in execution.standardOutput {
                    chunk.withUnsafeBytes { tail.append($0) }
                }
                return tail
            }
        }
        let duration = clock.now.since(start)
        var tail = empty
        let termination: Termination
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
            termination = .notStarted(describe(error, program: executable))
        }
        return ProgramRun(termination: termination, tail: tail, duration: duration)
    }

    /// Why `program` could not be started, in a few words.
    static func describe(_ error: any Error, program: String) -> String {
        if let error = error as? SubprocessError {
            switch error.code {
            case .executableNotFound: return "\(program) not found or not executable"
            case .spawnFailed: return "cannot start \(program): \(error.underlyingError.map { "\($0)" } ?? "\(error)")"
            default: break
            }
        }
        return "\(error)"
    }
}
