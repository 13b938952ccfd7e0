import Foundation
import Subprocess
import Synchronization
import VacataireCore

/// Runs a Nagios/Monitoring plugin: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (anything
/// else UNKNOWN); the first output line is the message, perfdata after `|` is parsed.
///
/// The plugin runs in a process group of its own, through swift-subprocess, with no shell.
/// At the timeout the whole group is killed (a shell script's children too) and the run
/// counts as `on_timeout` (CRITICAL by default).
public struct ExecCheck: HealthCheck {
    public var settings: ExecCheckSettings
    /// The most output kept from each of stdout and stderr.
    public static let outputLimit = 64 * 1024

    public init(_ settings: ExecCheckSettings) {
        self.settings = settings
    }

    public func run(timeout: Duration) async -> CheckResult {
        let start = ContinuousClock.now
        guard let program = settings.command.first else {
            return CheckResult(status: .unknown, message: "no command to run")
        }
        let executable: Executable = program.contains("/") ? .path(.init(program)) : .name(program)
        var options = PlatformOptions()
        options.processGroupID = 0
        let arguments = Arguments(Array(settings.command.dropFirst()))
        // A plugin is a real process: its timeout is real time, whatever clock schedules it.
        let (outcome, kill) = await ProcessGroupDeadline.run(timeout: timeout, clock: SystemClock()) { group in
            let result = try await Subprocess.run(
                executable, arguments: arguments, platformOptions: options,
                input: .none, output: .bytes(limit: Self.outputLimit), error: .bytes(limit: Self.outputLimit)
            ) { execution in
                group.started(execution.processIdentifier.value)
            }
            return (result.terminationStatus, result.standardOutput, result.standardError)
        }
        var judged = judge(outcome, program: program, timedOut: kill == .timedOut, timeout: timeout)
        judged.duration = ContinuousClock.now - start
        return judged
    }

    func judge(
        _ outcome: Result<(TerminationStatus, [UInt8], [UInt8]), any Error>, program: String, timedOut: Bool,
        timeout: Duration
    ) -> CheckResult {
        let name = (program as NSString).lastPathComponent
        if timedOut {
            let status: CheckStatus = settings.onTimeout == .unknown ? .unknown : .critical
            return CheckResult(status: status, message: "\(name) timed out after \(timeout.shortText); its process group was killed")
        }
        switch outcome {
        case .failure(let error as SubprocessError) where error.code == .outputLimitExceeded:
            return CheckResult(status: .unknown, message: "\(name) wrote more than \(Self.outputLimit / 1024) KiB of output")
        case .failure(let error as SubprocessError) where error.code == .executableNotFound:
            return CheckResult(status: .unknown, message: "\(name): no such plugin (not found on PATH or not executable)")
        case .failure(let error):
            return CheckResult(status: .unknown, message: "cannot run \(name): \(error)")
        case .success(let (termination, stdout, stderr)):
            var text = String(decoding: stdout, as: UTF8.self)
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                text = String(decoding: stderr, as: UTF8.self)
            }
            let output = PluginOutput.parse(text)
            switch termination {
            case .exited(let code):
                let status = CheckStatus(exitCode: code)
                let message = (0...3).contains(code) ? output.message : "\(output.message) (exit code \(code))"
                return CheckResult(status: status, message: message, perfdata: output.perfdata, details: output.details)
            case .signaled(let signal):
                return CheckResult(status: .unknown, message: "\(name) was killed by signal \(signal)", details: output.message)
            }
        }
    }
}
