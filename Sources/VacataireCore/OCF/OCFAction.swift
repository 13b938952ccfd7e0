import Foundation

/// The actions of the OCF resource agent API that the agent calls, and what their exit
/// codes mean for it.
///
/// A stop must leave the resource stopped: a stop of a resource that was not running
/// succeeds (0), and an agent that answers 7 (not running) to a stop has it stopped too.
public enum OCFAction: String, Sendable, Equatable, CaseIterable {
    case start
    case stop
    case monitor
    case validateAll = "validate-all"
    case metaData = "meta-data"

    /// Whether the agent's exit `code` means the action did what it was asked.
    public func succeeded(_ code: Int32) -> Bool {
        switch self {
        case .stop: return code == OCFExitCode.success.rawValue || code == OCFExitCode.notRunning.rawValue
        case .start, .monitor, .validateAll, .metaData: return code == OCFExitCode.success.rawValue
        }
    }
}

/// The exit codes of the OCF resource agent API (0 to 9), with their names and meanings.
public enum OCFExitCode: Int32, Sendable, Equatable, CaseIterable {
    case success = 0
    case generic = 1
    case arguments = 2
    case unimplemented = 3
    case permission = 4
    case notInstalled = 5
    case notConfigured = 6
    case notRunning = 7
    case runningPromoted = 8
    case failedPromoted = 9

    /// The name agents and Pacemaker use: `OCF_ERR_CONFIGURED`.
    public var name: String {
        switch self {
        case .success: return "OCF_SUCCESS"
        case .generic: return "OCF_ERR_GENERIC"
        case .arguments: return "OCF_ERR_ARGS"
        case .unimplemented: return "OCF_ERR_UNIMPLEMENTED"
        case .permission: return "OCF_ERR_PERM"
        case .notInstalled: return "OCF_ERR_INSTALLED"
        case .notConfigured: return "OCF_ERR_CONFIGURED"
        case .notRunning: return "OCF_NOT_RUNNING"
        case .runningPromoted: return "OCF_RUNNING_PROMOTED"
        case .failedPromoted: return "OCF_FAILED_PROMOTED"
        }
    }

    /// What the code says, in a few words an operator reads in a page.
    public var meaning: String {
        switch self {
        case .success: return "success"
        case .generic: return "generic error"
        case .arguments: return "invalid arguments or parameters on this node"
        case .unimplemented: return "action not implemented by the agent"
        case .permission: return "insufficient permission"
        case .notInstalled: return "a required component is not installed"
        case .notConfigured: return "not configured: the resource's configuration is invalid (fatal)"
        case .notRunning: return "not running"
        case .runningPromoted: return "running promoted"
        case .failedPromoted: return "failed while promoted"
        }
    }

    /// `1 (OCF_ERR_GENERIC: generic error)`, or `42 (not an OCF exit code)`.
    public static func describe(_ code: Int32) -> String {
        guard let known = OCFExitCode(rawValue: code) else { return "\(code) (not an OCF exit code)" }
        return "\(code) (\(known.name): \(known.meaning))"
    }

    /// What the agent said of its exit, in one line: its exit reason, or else its last
    /// line of output without the timestamp its log lines start with
    /// (`Dec 07 09:31:08 INFO: nginx not running` reads `INFO: nginx not running`); nil
    /// when it printed nothing.
    public static func agentSays(_ output: String) -> String? {
        if let reason = exitReason(in: output) { return reason }
        guard let last = output.split(whereSeparator: \.isNewline).last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
            return nil
        }
        let line = String(last).replacing(#/^[A-Z][a-z]{2} [ 0-3]?\d \d\d:\d\d:\d\d /#, with: "")
        return line.trimmingCharacters(in: .whitespaces)
    }

    /// The agent's own reason for its exit: the last line it marked `ocf-exit-reason:`
    /// (agents write it with `ocf_exit_reason`), or nil when it wrote none.
    public static func exitReason(in output: String) -> String? {
        let marker = "ocf-exit-reason:"
        let line = output.split(whereSeparator: \.isNewline).last { $0.contains(marker) }
        guard let line, let range = line.range(of: marker) else { return nil }
        let reason = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
        return reason.isEmpty ? nil : reason
    }
}

/// What an agent's `validate-all` says of a configuration, from its exit code.
///
/// 6 (not configured: invalid everywhere), 5 (a component missing on this node) and 2
/// (parameters not valid on this node) are the agent's verdict that the resource cannot
/// run with these settings: refused. 0 is valid, and so is 3 (the agent does not validate).
/// Any other code means the agent could not tell (a generic error, a permission): a
/// warning, not a verdict.
public enum OCFValidationVerdict: Sendable, Equatable {
    case valid
    case refused
    case undecided

    public init(exitCode code: Int32) {
        switch OCFExitCode(rawValue: code) {
        case .success?, .unimplemented?: self = .valid
        case .arguments?, .notInstalled?, .notConfigured?: self = .refused
        default: self = .undecided
        }
    }
}
