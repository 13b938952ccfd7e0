import Foundation
import VacataireChecks
import VacataireCore

/// How one run of a start, stop or fence action ended, for the log, the event history,
/// the notification and the state machine (`outcome`).
public struct ServiceActionReport: Sendable, Equatable {
    /// How the command (or, for an agent, the agent) ended.
    public typealias Termination = ProgramRun.Termination

    /// What ran: `start`, `stop`, `fence`.
    public var label: String
    /// How the program that decided the outcome ended: the command, the agent, or in a
    /// sequence of resources the step that failed (the last one when all succeeded).
    public var termination: Termination
    /// Whether the action did what it was asked: exit 0 for a command; for an OCF agent,
    /// what the OCF contract says of its exit code (a stop that answers 7 succeeded).
    public var succeeded: Bool
    /// From the launch until the command and everything holding its output had ended.
    public var duration: Duration
    /// The last lines of stdout and stderr together (at most 20 lines, 2 KiB), valid UTF-8.
    public var outputTail: String
    /// How many bytes the command wrote in all.
    public var outputBytes: Int
    /// One line: "start exited 0 after 0.2 s", "stop timed out after 10 s; its process group
    /// was killed", "start: ocf:heartbeat:nginx (web) exited 6 (OCF_ERR_CONFIGURED: ...) after 0.1 s".
    public var summary: String

    public var timedOut: Bool { termination == .timedOut }

    /// Whether an OCF agent decided the outcome (its output is read as an agent's).
    public var agentCalled: Bool

    /// The report as the state machine takes it (`actionFinished`): the summary and the
    /// last line of output (an agent's: its exit reason, else its last line without the
    /// log timestamp).
    public var outcome: ActionOutcome {
        if succeeded { return .succeeded }
        let lastLine = agentCalled ? OCFExitCode.agentSays(outputTail) : outputTail.split(whereSeparator: \.isNewline).last.map(String.init)
        guard let lastLine, !lastLine.trimmingCharacters(in: .whitespaces).isEmpty else { return .failed(summary) }
        return .failed("\(summary): \(lastLine)")
    }

    /// A shell command's run: exit 0 succeeds.
    init(label: String, run: ProgramRun, timeout: Duration) {
        self.init(label: label, termination: run.termination, succeeded: run.termination == .exited(0), duration: run.duration,
                  tail: run.tail, summary: Self.summarize(label, run.termination, duration: run.duration, timeout: timeout), agentCalled: false)
    }

    /// An OCF agent's run of `action`, judged by the OCF contract.
    init(label: String, agent: OCFResource, action: OCFAction, run: ProgramRun, timeout: Duration) {
        var succeeded = false
        if case .exited(let code) = run.termination { succeeded = action.succeeded(code) }
        self.init(label: label, termination: run.termination, succeeded: succeeded, duration: run.duration, tail: run.tail,
                  summary: Self.summarize(agent: agent, action: action, run.termination, duration: run.duration, timeout: timeout), agentCalled: true)
    }

    init(label: String, termination: Termination, succeeded: Bool, duration: Duration, tail: OutputTail, summary: String, agentCalled: Bool) {
        self.label = label
        self.agentCalled = agentCalled
        self.termination = termination
        self.succeeded = succeeded
        self.duration = duration
        self.outputTail = tail.text
        self.outputBytes = tail.totalBytes
        self.summary = summary
    }

    static func summarize(_ label: String, _ termination: Termination, duration: Duration, timeout: Duration) -> String {
        "\(label) \(ended(termination, duration: duration, timeout: timeout))"
    }

    /// `start: ocf:heartbeat:nginx (web) exited 1 (OCF_ERR_GENERIC: generic error) after 0.3 s`.
    static func summarize(agent: OCFResource, action: OCFAction, _ termination: Termination, duration: Duration, timeout: Duration) -> String {
        if case .exited(let code) = termination {
            return "\(action.rawValue): \(agent) exited \(OCFExitCode.describe(code)) after \(duration.secondsText)"
        }
        return "\(action.rawValue): \(agent) \(ended(termination, duration: duration, timeout: timeout))"
    }

    /// How a run ended, after the name of what ran: "exited 3 after 0.2 s".
    static func ended(_ termination: Termination, duration: Duration, timeout: Duration) -> String {
        switch termination {
        case .exited(let status):
            return "exited \(status) after \(duration.secondsText)"
        case .signaled(let signal):
            return "was killed by signal \(signal)\(signalName(signal).map { " (\($0))" } ?? "") after \(duration.secondsText)"
        case .timedOut:
            return "timed out after \(timeout.secondsText); its process group was killed"
        case .cancelled:
            return "was abandoned after \(duration.secondsText) (the agent is stopping); its process group was killed"
        case .notStarted(let reason):
            return "could not be started: \(reason)"
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
