import Foundation
import VacataireCore

/// What the OCF resource agents of a configuration say of their own settings: each agent
/// that offers `validate-all` (its meta-data lists the action) is asked once, with the
/// parameters it would run with. `vacataire check-config` and `vacataire run` both call
/// `of(_:)`, so `run` refuses whatever `check-config` refuses.
///
/// What each exit code means is `OCFValidationVerdict`'s: a refusal is located at the key
/// that names the agent and carries the agent's own reason; an undecided answer (or a
/// hang) is a warning.
public enum OCFValidation {
    /// The refusals and the warnings, located at the key that names each agent.
    public struct Findings: Sendable, Equatable {
        public var refusals: [ConfigProblem] = []
        public var warnings: [ConfigProblem] = []

        public init(refusals: [ConfigProblem] = [], warnings: [ConfigProblem] = []) {
            self.refusals = refusals
            self.warnings = warnings
        }
    }

    /// How long `meta-data` may take (Pacemaker's agents declare 5 s).
    public static let metaDataTimeout = Duration.seconds(5)
    /// How long `validate-all` may take (Pacemaker's default operation timeout).
    public static let validateTimeout = Duration.seconds(20)

    /// Asks every distinct agent of `config` (actions, resources, `ocf` checks).
    public static func of(_ config: Config) async -> Findings {
        var findings = Findings()
        for resource in agents(of: config) {
            await validate(resource, file: config.file, into: &findings)
        }
        return findings
    }

    /// Every agent the configuration calls, each instance with its parameters once.
    public static func agents(of config: Config) -> [OCFResource] {
        var all: [OCFResource] = []
        if let failover = config.failover {
            all += failover.start.agents + failover.stop.agents + (failover.status?.agents ?? [])
        }
        for check in config.checks {
            if case .ocf(let settings) = check.kind { all.append(settings.resource) }
        }
        var distinct: [OCFResource] = []
        for resource in all where !distinct.contains(resource) { distinct.append(resource) }
        return distinct
    }

    static func validate(_ resource: OCFResource, file: String, into findings: inout Findings) async {
        func problem(_ message: String) -> ConfigProblem {
            ConfigProblem(file: file, line: resource.origin.line, key: resource.origin.key, message: message)
        }
        // The whole meta-data (a few KiB of XML): the actions are listed near its end.
        let metaData = await resource.call(.metaData, timeout: metaDataTimeout, keeping: OutputTail(byteLimit: 1 << 20, lineLimit: .max))
        guard case .exited(0) = metaData.termination else {
            let ended = describe(metaData, timeout: metaDataTimeout)
            findings.warnings.append(problem("\(resource) meta-data \(ended); its settings were not validated"))
            return
        }
        guard offersValidation(metaData.tail.text) else { return }
        let run = await resource.call(.validateAll, timeout: validateTimeout)
        let said = OCFExitCode.agentSays(run.tail.text).map { ": \($0)" } ?? ""
        switch run.termination {
        case .exited(let code) where OCFValidationVerdict(exitCode: code) == .valid:
            return
        case .exited(let code) where OCFValidationVerdict(exitCode: code) == .refused:
            findings.refusals.append(problem("\(resource) validate-all exited \(OCFExitCode.describe(code))\(said); fix its `params` or what they name"))
        default:
            findings.warnings.append(problem("\(resource) validate-all \(describe(run, timeout: validateTimeout))\(said); it could not say whether its settings are valid"))
        }
    }

    /// Whether the agent's meta-data lists `<action name="validate-all" .../>`. The meta-data
    /// is read as text: this one attribute needs no XML parser.
    static func offersValidation(_ metaData: String) -> Bool {
        metaData.contains(/<action\s+name\s*=\s*["']validate-all["']/)
    }

    static func describe(_ run: ProgramRun, timeout: Duration) -> String {
        switch run.termination {
        case .exited(let code): return "exited \(OCFExitCode.describe(code))"
        case .signaled(let signal): return "was killed by signal \(signal)"
        case .timedOut: return "timed out after \(timeout.shortText)"
        case .cancelled: return "was abandoned"
        case .notStarted(let reason): return "could not be started: \(reason)"
        }
    }
}
