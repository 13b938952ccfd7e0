import Foundation
import VacataireCore

/// `kind: ocf`: the resource agent's `monitor`, as Pacemaker runs a recurring monitor
/// (`OCF_RESKEY_CRM_meta_interval` the check's interval, `OCF_RESKEY_CRM_meta_timeout` its
/// timeout). Exit 0 is OK; 7 (not running) and every other code are CRITICAL, the message
/// naming the agent, the code and its meaning, and the agent's reason or last output line.
public struct OCFCheck: HealthCheck {
    public var settings: OCFCheckSettings
    /// The check's interval, passed to the agent.
    public var interval: Duration

    public init(_ settings: OCFCheckSettings, interval: Duration) {
        self.settings = settings
        self.interval = interval
    }

    public func run(timeout: Duration) async -> CheckResult {
        let run = await settings.resource.call(.monitor, timeout: timeout, interval: interval)
        var result = judge(run, timeout: timeout)
        result.duration = run.duration
        return result
    }

    func judge(_ run: ProgramRun, timeout: Duration) -> CheckResult {
        let agent = settings.resource.description
        let output = run.tail.text
        let detail = OCFExitCode.agentSays(output).map { ": \($0)" } ?? ""
        switch run.termination {
        case .exited(let code) where OCFAction.monitor.succeeded(code):
            return CheckResult(status: .ok, message: "\(agent) monitor: running", details: output)
        case .exited(let code):
            return CheckResult(status: .critical, message: "\(agent) monitor exited \(OCFExitCode.describe(code))\(detail)", details: output)
        case .signaled(let signal):
            return CheckResult(status: .critical, message: "\(agent) monitor was killed by signal \(signal)\(detail)", details: output)
        case .timedOut:
            return CheckResult(status: .critical, message: "\(agent) monitor timed out after \(timeout.shortText); its process group was killed", details: output)
        case .cancelled:
            return CheckResult(status: .unknown, message: "\(agent) monitor was abandoned (the agent is stopping)")
        case .notStarted(let reason):
            return CheckResult(status: .critical, message: "\(agent) monitor could not be started: \(reason)")
        }
    }
}
