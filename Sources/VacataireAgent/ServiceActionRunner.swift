import Foundation
import VacataireChecks
import Subprocess
import VacataireCore

/// Runs the `start`, `stop` and `fence` actions of the failover configuration: shell
/// commands, OCF resource agents, and the ordered resources of `failover.resources`.
///
/// A command runs as `/bin/sh -c COMMAND`, an agent as `AGENT start` (or `stop`) with the
/// OCF environment (Docs/ocf.md); either through `ProgramRun`: in a process group of its
/// own, with the agent's environment plus `VACATAIRE_*` variables describing the
/// transition (Docs/failover.md, "Action environment"). At its timeout the whole group is
/// killed with SIGKILL, background children included. Only the tail of its output is
/// kept, so a command that prints megabytes costs a few KiB. Running never throws: a
/// command that fails, hangs or cannot start is a report that says so.
///
/// Resources run one after the other in the order `ResourceSequence` decides (started in
/// order, stopped in reverse, a failed start undone), each with its own timeout.
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
        if case .resources(let resources) = command.program {
            return await run(kind, resources, context: context)
        }
        switch kind {
        case .start:
            return await runOnce(command, label: kind.rawValue, agentAction: .start, context: context, started: startedService.started)
        case .stop:
            let timeout = command.timeout.duration
            let deadline = clock.now + timeout
            var report = await runOnce(command, label: kind.rawValue, agentAction: .stop, context: context)
            var attempt = 1
            while case .notStarted = report.termination {
                switch StopEscalation.after(attempt: attempt, left: deadline.since(clock.now), timeout: timeout) {
                case .retry(let pause):
                    try? await clock.sleep(for: pause)
                    attempt += 1
                    report = await runOnce(command, label: kind.rawValue, agentAction: .stop, context: context)
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
    /// Without a context (the fence) only the node, peer and action variables are set. An
    /// agent (the status action) is asked `monitor`, and resources each in turn.
    public func run(
        _ command: FailoverConfig.ActionCommand, label: String, context: ServiceActionContext?,
        started: @Sendable (pid_t) -> Void = { _ in }
    ) async -> ServiceActionReport {
        await runOnce(command, label: label, agentAction: .monitor, context: context, started: started)
    }

    /// One command or one agent call.
    func runOnce(
        _ command: FailoverConfig.ActionCommand, label: String, agentAction: OCFAction, context: ServiceActionContext?,
        started: @Sendable (pid_t) -> Void = { _ in }
    ) async -> ServiceActionReport {
        let timeout = command.timeout.duration
        switch command.program {
        case .shell(let text):
            let run = await ProgramRun.run(
                shell, arguments: ["-c", text], environment: environment(label: label, context: context), timeout: timeout,
                clock: clock, started: started)
            return ServiceActionReport(label: label, run: run, timeout: timeout)
        case .ocf(let resource):
            return await call(resource, agentAction, label: label, timeout: timeout, context: context, started: started)
        case .resources(let resources) where agentAction == .start || agentAction == .stop:
            return await run(agentAction == .start ? .start : .stop, resources, context: context)
        case .resources(let resources):
            var last: ServiceActionReport?
            for resource in resources {
                let report = await call(resource.ocf, agentAction, label: label, timeout: timeout, context: context, started: { _ in })
                if !report.succeeded { return report }
                last = report
            }
            return last ?? ServiceActionReport(
                label: label, termination: .exited(0), succeeded: true, duration: .zero, tail: OutputTail(), summary: "\(label): no resources", agentCalled: true)
        }
    }

    /// Starts resources in order or stops them in reverse, as `ResourceSequence` plans it;
    /// one report for the whole sequence.
    func run(_ kind: ServiceActionKind, _ resources: [FailoverConfig.Resource], context: ServiceActionContext?) async -> ServiceActionReport {
        let began = clock.now
        let planned = kind == .start ? ResourceSequence.start(count: resources.count) : ResourceSequence.stop(count: resources.count)
        var sequence = planned.sequence
        var step = planned.first
        var steps: [(resource: Int, report: ServiceActionReport)] = []
        var combined = OutputTail()
        while case .run(let action, let index) = step {
            let resource = resources[index]
            let timeout = (action == .start ? resource.startTimeout : resource.stopTimeout).duration
            let group = startedService
            let isStart = action == .start
            let started: @Sendable (pid_t) -> Void = { pid in if isStart { group.started(pid) } }
            let report = await call(resource.ocf, action, label: kind.rawValue, timeout: timeout, context: context, started: started)
            combined.append(Array(report.outputTail.utf8))
            steps.append((index, report))
            step = sequence.finished(succeeded: report.succeeded)
        }
        let duration = clock.now.since(began)
        let names = resources.map(\.ocf.instance)
        switch step {
        case .failed(let failure):
            // The first failed step is the one the failure names; the stops after it undid.
            let failed = steps.first { !$0.report.succeeded }?.report
            var summary = failed?.summary ?? "\(kind.rawValue): \(failure.action.rawValue) of \(names[failure.resource]) failed"
            if !failure.stopped.isEmpty { summary += "; stopped again: " + failure.stopped.map { names[$0] }.joined(separator: ", ") }
            if let undo = failure.undoFailure, let report = steps.last(where: { $0.resource == undo && !$0.report.succeeded })?.report {
                summary += "; then \(report.summary)"
            }
            if !failure.untouched.isEmpty {
                summary += "; left as they are (below a resource that did not stop): " + failure.untouched.map { names[$0] }.joined(separator: ", ")
            }
            var tail = OutputTail()
            tail.append(Array((failed?.outputTail ?? "").utf8))
            return ServiceActionReport(
                label: kind.rawValue, termination: failed?.termination ?? .exited(OCFExitCode.generic.rawValue), succeeded: false, duration: duration,
                tail: tail, summary: summary, agentCalled: true)
        case .succeeded, .run:
            break
        }
        let order = kind == .start ? "started in order" : "stopped in reverse order"
        let listed = steps.map { names[$0.resource] }.joined(separator: ", ")
        return ServiceActionReport(
            label: kind.rawValue, termination: steps.last?.report.termination ?? .exited(0), succeeded: true, duration: duration,
            tail: combined, summary: "\(kind.rawValue): \(steps.count) resource(s) \(order) (\(listed)) after \(duration.secondsText)", agentCalled: true)
    }

    /// One call of an OCF agent, with the transition's variables beside the OCF ones.
    func call(
        _ resource: OCFResource, _ action: OCFAction, label: String, timeout: Duration, context: ServiceActionContext?,
        started: @Sendable (pid_t) -> Void
    ) async -> ServiceActionReport {
        let run = await resource.call(action, timeout: timeout, extra: environment(label: label, context: context), clock: clock, started: started)
        return ServiceActionReport(label: label, agent: resource, action: action, run: run, timeout: timeout)
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
}
