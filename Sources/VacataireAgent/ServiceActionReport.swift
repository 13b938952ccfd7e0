import Foundation
import VacataireCore

/// How one run of a start, stop or fence command ended, for the log, the event history,
/// the notification and the state machine (`outcome`).
public struct ServiceActionReport: Sendable, Equatable {
    /// How the command ended.
    public enum Termination: Sendable, Equatable {
        /// It exited with this status.
        case exited(Int32)
        /// A signal killed it (not ours: ours is `timedOut` or `cancelled`).
        case signaled(Int32)
        /// It outlived its timeout; its process group was killed.
        case timedOut
        /// The agent stopped waiting (shutting down); its process group was killed.
        case cancelled
        /// It could not be started at all (no shell, fork failed...).
        case notStarted(String)
    }

    /// What ran: `start`, `stop`, `fence`.
    public var label: String
    public var termination: Termination
    /// From the launch until the command and everything holding its output had ended.
    public var duration: Duration
    /// The last lines of stdout and stderr together (at most 20 lines, 2 KiB), valid UTF-8.
    public var outputTail: String
    /// How many bytes the command wrote in all.
    public var outputBytes: Int
    /// One line: "start exited 0 after 0.2 s", "stop timed out after 10 s; its process group was killed".
    public var summary: String

    public var succeeded: Bool { termination == .exited(0) }
    public var timedOut: Bool { termination == .timedOut }

    /// The report as the state machine takes it (`actionFinished`): the summary and the
    /// last line of output.
    public var outcome: ActionOutcome {
        if succeeded { return .succeeded }
        let lastLine = outputTail.split(whereSeparator: \.isNewline).last.map(String.init)
        guard let lastLine, !lastLine.trimmingCharacters(in: .whitespaces).isEmpty else { return .failed(summary) }
        return .failed("\(summary): \(lastLine)")
    }

    init(label: String, termination: Termination, duration: Duration, timeout: Duration, tail: OutputTail) {
        self.label = label
        self.termination = termination
        self.duration = duration
        self.outputTail = tail.text
        self.outputBytes = tail.totalBytes
        self.summary = Self.summarize(label, termination, duration: duration, timeout: timeout)
    }

    static func summarize(_ label: String, _ termination: Termination, duration: Duration, timeout: Duration) -> String {
        switch termination {
        case .exited(let status):
            return "\(label) exited \(status) after \(duration.secondsText)"
        case .signaled(let signal):
            return "\(label) was killed by signal \(signal)\(signalName(signal).map { " (\($0))" } ?? "") after \(duration.secondsText)"
        case .timedOut:
            return "\(label) timed out after \(timeout.secondsText); its process group was killed"
        case .cancelled:
            return "\(label) was abandoned after \(duration.secondsText) (the agent is stopping); its process group was killed"
        case .notStarted(let reason):
            return "\(label) could not be started: \(reason)"
        }
    }

    static func signalName(_ signal: Int32) -> String? {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGABRT: "SIGABRT", SIGKILL: "SIGKILL",
            SIGSEGV: "SIGSEGV", SIGPIPE: "SIGPIPE", SIGTERM: "SIGTERM", SIGBUS: "SIGBUS",
        ]
        return names[signal]
    }
}
