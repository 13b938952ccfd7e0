import ArgumentParser
import Foundation
import VacataireAgent
import VacataireCore

/// `vacataire status`: everything about this node and its peer, from the running daemon.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the role, the peer, the checks and the open incidents.")

    @OptionGroup var daemon: DaemonOptions
    @Flag(help: "Print the status as JSON.") var json = false

    func run() throws {
        let reply = try daemon.send(ControlRequest(command: .status))
        guard reply.outcome == .done, let status = reply.status else { return try reply.finish() }
        if json {
            let encoder = JSONEncoder.control
            encoder.outputFormatting.insert(.prettyPrinted)
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
        } else {
            print(StatusText(status).lines.joined(separator: "\n"))
        }
    }
}

/// The human form of a status: one screen, the most urgent first.
struct StatusText {
    let status: AgentStatus

    init(_ status: AgentStatus) {
        self.status = status
    }

    var lines: [String] {
        var lines: [String] = []
        let health = status.healthy.map { $0 ? "healthy" : "NOT healthy" } ?? "health unknown"
        lines.append("\(status.node) (\(status.cluster), configured \(status.configuredRole)): \(status.state.uppercased()), epoch \(status.epoch), \(health)")
        lines.append("  why: \(status.lastReason)")
        if status.state == FailoverStateName.failed.rawValue {
            let back = status.configuredRole == ConfiguredRole.master.rawValue ? ", or `vacataire failback` to take the service back" : ""
            lines.append("  next: repair this node; once its checks pass, `vacataire ready` makes it standby again (the service stays where it is)\(back)")
        }
        let peer = status.peer
        var peerLine = "peer \(peer.name): "
        let said = peer.role.map { "\($0), \(peer.healthy == true ? "healthy" : "NOT healthy"), epoch \(peer.epoch.map(String.init) ?? "?")" }
        if peer.silent == true, let age = peer.lastHeardSeconds, let said {
            // What a silent peer last said is history, not its state.
            peerLine += "SILENT for \(Duration.clamped(seconds: age).humanSeconds) (last seen \(said))"
        } else if let said {
            peerLine += said + (peer.lastHeardSeconds.map { ", heard \(Duration.clamped(seconds: $0).humanSeconds) ago" } ?? "")
        } else {
            peerLine += "not heard since start"
        }
        if let addresses = status.addresses {
            let held = addresses.filter(\.held).map { "\($0.address) on \($0.interface)" }
            let away = addresses.filter { !$0.held }.map { "\($0.address) on \($0.interface)" }
            lines.append("floating addresses: " + (held.isEmpty ? "none held here" : "held here: " + held.joined(separator: ", "))
                + (away.isEmpty ? "" : (held.isEmpty ? " (" : "; not here: ") + away.joined(separator: ", ") + (held.isEmpty ? ")" : ""))
                + (status.addressesLastChange.map { "; \($0)" } ?? ""))
        }
        if let store = status.store {
            // Mode etcd: the cluster's members instead of one peer.
            lines.append("members (from etcd):")
            for member in status.members ?? [] {
                let lease = member.leaseSecondsLeft.map { "lease \($0)s left" } ?? "lease ?"
                let role = member.leader ? "LEADER" : member.role ?? "?"
                lines.append("  \(member.name): \(role), \(member.ready ? "ready" : "NOT ready"), priority \(member.priority), \(lease)"
                    + (member.endpoint.map { ", \($0)" } ?? "") + (member.version.map { ", version \($0)" } ?? ""))
            }
            if let problem = status.storeProblem { lines.append("  \(problem)") }
            lines.append("etcd endpoints:")
            for endpoint in store {
                lines.append("  \(endpoint.url): \(endpoint.detail)")
            }
        } else {
            lines.append(peerLine + " (\(peer.addresses.joined(separator: ", ")))")
        }
        if !status.peerRejections.isEmpty {
            let counts = status.peerRejections.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            lines.append("  rejected datagrams: \(counts.joined(separator: ", "))")
        }
        lines.append("checks:")
        if status.checks.isEmpty { lines.append("  (none configured)") }
        let width = status.checks.map(\.name.count).max() ?? 0
        for check in status.checks {
            let name = check.name.padding(toLength: width, withPad: " ", startingAt: 0)
            // A service check where the service is off is not run: saying "no result yet"
            // would have the operator wait for a result that never comes.
            let output = check.health == "idle" ? "not run: the service is off here (it is checked where it runs, and after a start)"
                : check.output ?? "no result yet"
            lines.append("  \(name)  \(check.health.padding(toLength: 8, withPad: " ", startingAt: 0)) \(check.status ?? "-")  \(output)")
        }
        if status.outboxPending > 0 || status.outboxExpired > 0 {
            var line = "notifications: \(status.outboxPending) delivery(ies) pending"
            if let oldest = status.outboxOldestPendingSeconds { line += " (oldest \(Int(oldest)) s)" }
            if status.outboxExpired > 0 { line += ", \(status.outboxExpired) GIVEN UP (see vacataire events and the log)" }
            lines.append(line)
        }
        if status.heldBackNotices > 0 {
            lines.append("notifications: \(status.heldBackNotices) notice(s) held back by the rate limit, told in the next digest")
        }
        if status.confirmationsAwaited > 0 {
            lines.append("notifications: \(status.confirmationsAwaited) page(s) left to \(status.peer.name); paged from here if it does not confirm delivering them")
        }
        if let engine = status.snmpEngine {
            lines.append(engine)
        }
        for warning in status.warnings ?? [] {
            lines.append("WARNING: \(warning)")
        }
        if let why = status.stateNotWritable {
            lines.append("STATE NOT WRITABLE: \(why); stopping is allowed, starting is not; what waits is written once the store takes writes again")
        }
        lines.append("incidents:")
        if status.incidents.isEmpty { lines.append("  none open") }
        for incident in status.incidents {
            let ack = incident.acknowledgedBy.map { "acknowledged by \($0)" + (incident.acknowledgeComment.map { ": \($0)" } ?? "") }
                ?? "NOT acknowledged (vacataire ack \(incident.id))"
            lines.append("  \(incident.id) \(incident.kind), opened \(Self.time(incident.openedAt)): \(incident.reason)")
            lines.append("    \(ack)")
        }
        return lines
    }

    static func time(_ date: Date) -> String {
        DateText.local(date, withZone: false)
    }
}

/// `vacataire failback`: the master takes its service back from the standby.
struct FailbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failback",
        abstract: "On the master: take the service back from the standby, once the master's checks pass.")

    @OptionGroup var daemon: DaemonOptions
    @Flag(help: "Fail back even though the master's checks do not pass (recorded in the incident).") var force = false
    @Option(help: "How long to wait for the outcome, in seconds (default: the handoff and start timeouts).") var wait: Double?

    func validate() throws {
        try validateWait(wait)
    }

    func run() throws {
        try daemon.send(ControlRequest(command: .failback, force: force, waitSeconds: wait)).finish()
    }
}

/// `vacataire ready`: a repaired failed node becomes standby again; the service stays.
struct ReadyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ready",
        abstract: "On a failed node, once repaired: become standby again without moving the service (its checks must pass).")

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        try daemon.send(ControlRequest(command: .ready)).finish()
    }
}

/// `vacataire switchover`: a planned move of the service to the other node.
struct SwitchoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchover", abstract: "Move the service to the other node, both being healthy.")

    @OptionGroup var daemon: DaemonOptions
    @Option(help: "The node that should serve afterwards (default: the one not serving now).") var to: String?
    @Option(help: "How long to wait for the outcome, in seconds.") var wait: Double?

    func validate() throws {
        try validateWait(wait)
    }

    func run() throws {
        try daemon.send(ControlRequest(command: .switchover, to: to, waitSeconds: wait)).finish()
    }
}

/// `vacataire maintenance on|off`.
struct MaintenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maintenance", abstract: "Pause (on) or resume (off) every automatic action on this node.")

    enum Switch: String, ExpressibleByArgument, CaseIterable {
        case on, off
    }

    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "on or off.") var state: Switch
    @Option(help: "Why, for the event history.") var comment: String?

    func run() throws {
        try daemon.send(ControlRequest(command: .maintenance, on: state == .on, comment: comment)).finish()
    }
}

/// `vacataire ack`: acknowledge an incident; reminders stop on both nodes.
struct AckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ack", abstract: "Acknowledge an incident (the latest open one by default).")

    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "The incident id, such as e7 or e7-peer-lost.") var incident: String?
    @Option(help: "A comment for the event history and the acknowledgement notice.") var comment: String?
    @Option(help: ArgumentHelp("Reminders resume after this long, such as 30m or 4h (default: when the incident closes).",
                               valueName: "DURATION")) var expires: String?

    func validate() throws {
        if let expires {
            guard case .success(let duration) = ConfigDuration.parse(expires), duration.seconds >= 1 else {
                throw ValidationError("--expires: expected a duration from 1s to 365d, such as 30m or 4h, found `\(expires)`")
            }
        }
    }

    func run() throws {
        let seconds = expires.flatMap { try? ConfigDuration.parse($0).get().seconds }
        try daemon.send(ControlRequest(command: .ack, comment: comment, incident: incident, expiresSeconds: seconds)).finish()
    }
}

/// `vacataire events`: the event history.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Show the event history: transitions, actions, checks, incidents, admin commands.")

    @OptionGroup var daemon: DaemonOptions
    @Option(help: ArgumentHelp("Only events this recent, such as 30m, 2h, 1d.", valueName: "DURATION")) var since: String?
    @Option(help: "Only events of this incident, such as e7.") var incident: String?
    @Option(help: ArgumentHelp("At most this many events, the newest (default 1000, at most 10000).", valueName: "N")) var limit: Int?
    @Flag(help: "Print the events as JSON.") var json = false

    func validate() throws {
        if let since, case .failure = ConfigDuration.parse(since) {
            throw ValidationError("--since: expected a duration up to 365d, such as 30m, 2h or 1d, found `\(since)`")
        }
        if let limit, !(1...ControlRequest.maximumEventLimit).contains(limit) {
            throw ValidationError("--limit: expected a number of events from 1 to \(ControlRequest.maximumEventLimit), found \(limit)")
        }
    }

    func run() throws {
        let seconds = since.flatMap { try? ConfigDuration.parse($0).get().seconds }
        let reply = try daemon.send(ControlRequest(command: .events, incident: incident, sinceSeconds: seconds, limit: limit))
        guard reply.outcome == .done, let events = reply.events else { return try reply.finish() }
        // Never cut the history silently: say so on standard error, where `--json` readers see it too.
        if reply.eventsLeftOut == true { StandardError.print(reply.message) }
        if json {
            let encoder = JSONEncoder.control
            encoder.outputFormatting.insert(.prettyPrinted)
            print(String(decoding: try encoder.encode(events), as: UTF8.self))
            return
        }
        for event in events {
            var line = "\(StatusText.time(event.time))  \(event.category.padding(toLength: 10, withPad: " ", startingAt: 0))"
            if let incident = event.incident { line += " [\(incident)]" }
            line += " \(event.reason)"
            if let author = event.author, !event.reason.contains(author) { line += " (by \(author))" }
            print(line)
        }
    }
}

/// `--wait SECONDS`: from 0 to 600, as the daemon grants at most that.
func validateWait(_ wait: Double?) throws {
    if let wait, !(wait.isFinite && wait >= 0 && wait <= ControlRequest.maximumWaitSeconds) {
        throw ValidationError("--wait: expected a number of seconds from 0 to \(Int(ControlRequest.maximumWaitSeconds)), found \(wait)")
    }
}
