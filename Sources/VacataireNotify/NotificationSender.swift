import Foundation
import VacataireCore

/// The channels a notification can go through.
public enum NotifyChannel: String, CaseIterable, Sendable {
    case email, snmp
}

/// The outcome of one delivery to one destination, as `notify-test` prints it.
public struct DeliveryOutcome: Sendable {
    public var channel: NotifyChannel
    public var destination: String
    /// `email:NAME` or `snmp:NAME`: the destination as the outbox names it.
    public var key: String = ""
    public var error: DeliveryError?
    /// The server that accepted the message, when the destination has several.
    public var deliveredBy: String?
    /// Why the servers tried before `deliveredBy` did not take the message.
    public var earlierFailures: [DeliveryError] = []

    public var succeeded: Bool { error == nil }

    /// `email ops (127.0.0.1:2525): ok`, `email ops (127.0.0.1:2525): failed: ...`, or with
    /// several servers `email ops (A, B): ok via B (after: connection refused by A)`.
    public var line: String {
        if let error { return "\(channel.rawValue) \(destination): failed: \(error.message)" }
        var line = "\(channel.rawValue) \(destination): ok"
        if let deliveredBy { line += " via \(deliveredBy)" }
        if !earlierFailures.isEmpty {
            line += " (after: " + earlierFailures.map(\.message).joined(separator: "; ") + ")"
        }
        return line
    }
}

/// Sends one notification to every configured destination of the chosen channels,
/// concurrently, each on its own thread, and reports one outcome per destination.
public struct NotificationSender: Sendable {
    public let config: Config
    public let templates: TemplateSet
    public let snmp: SNMPChannel?
    private let snmpSetupError: DeliveryError?
    /// The agent's clock: SNMP uptimes, test notifications' times, Message-IDs.
    let clock: any AgentClock

    public init(config: Config, templates: TemplateSet, clock: any AgentClock = SystemClock()) {
        self.config = config
        self.templates = templates
        self.clock = clock
        let startTime = clock.date
        do throws(DeliveryError) {
            let engine = try SNMPEngineIdentity.load(config)
            snmp = try SNMPChannel(
                persistentDirectory: SNMPEngineIdentity.directory(stateDirectory: config.stateDirectory),
                engine: engine, startTime: startTime
            )
            snmpSetupError = nil
        } catch {
            snmp = nil
            snmpSetupError = error
        }
    }

    /// A `test` notification from this node, naming who asked for it.
    public func testNotification(requestedBy user: String) -> NotifiableEvent {
        NotifiableEvent(
            kind: .test, node: config.node.name, cluster: config.node.cluster,
            reason: "notification test requested by \(user)", time: clock.date
        )
    }

    /// Every destination's outbox key (`email:NAME`, `snmp:NAME`).
    public var destinationKeys: [String] {
        config.notify.email.map { "email:\($0.name)" } + config.notify.snmp.map { "snmp:\($0.name)" }
    }

    /// Sends to every destination of `channels`, or only to those whose key is in `only`.
    public func send(_ notification: NotifiableEvent, channels: Set<NotifyChannel>, only: Set<String>? = nil) async -> [DeliveryOutcome] {
        let rendered = templates.render(notification)
        var jobs: [@Sendable () -> DeliveryOutcome] = []
        if channels.contains(.email) {
            for destination in config.notify.email where only?.contains("email:\(destination.name)") ?? true {
                let message = email(rendered, notification, to: destination)
                jobs.append {
                    var outcome = DeliveryOutcome(channel: .email, destination: "\(destination.name) (\(destination.endpoints))")
                    outcome.key = "email:\(destination.name)"
                    do throws(DeliveryError) {
                        let delivery = try SMTPChannel().deliver(message, to: destination)
                        if destination.servers.count > 1 {
                            outcome.deliveredBy = delivery.server
                            outcome.earlierFailures = delivery.earlierFailures
                        }
                    } catch {
                        outcome.error = error
                    }
                    return outcome
                }
            }
        }
        if channels.contains(.snmp) {
            let values = SNMPChannel.values(for: notification, message: rendered.snmp)
            for target in config.notify.snmp where only?.contains("snmp:\(target.name)") ?? true {
                jobs.append { [snmp, snmpSetupError] in
                    var outcome = DeliveryOutcome(channel: .snmp, destination: "\(target.name) (\(target.endpoint))")
                    outcome.key = "snmp:\(target.name)"
                    do throws(DeliveryError) {
                        guard let snmp else {
                            throw snmpSetupError ?? DeliveryError(.internalError, "SNMP is not set up")
                        }
                        try snmp.send(notification.kind, values: values, to: target, now: clock.date)
                    } catch {
                        outcome.error = error
                    }
                    return outcome
                }
            }
        }
        return await withTaskGroup(of: (Int, DeliveryOutcome).self) { group in
            for (index, job) in jobs.enumerated() {
                group.addTask { (index, await BlockingThread.run(name: "vacataire-delivery", job)) }
            }
            var outcomes: [(Int, DeliveryOutcome)] = []
            for await outcome in group {
                outcomes.append(outcome)
            }
            return outcomes.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// A check's change outside an incident threads with that check's other changes.
    private func checkThread(_ notification: NotifiableEvent) -> String? {
        guard [.checkFailed, .checkRecovered].contains(notification.kind), notification.checks.count == 1,
              let check = notification.checks.first?.name else { return nil }
        return EmailMessage.checkThreadID(check: check, node: notification.node, cluster: config.node.cluster)
    }

    private func email(_ rendered: TemplateSet.Rendered, _ notification: NotifiableEvent, to destination: EmailDestination) -> EmailMessage {
        var headers: [(name: String, value: String)] = [
            ("X-Vacataire-Event", notification.kind.rawValue),
            ("X-Vacataire-Node", notification.node),
        ]
        if let incident = notification.incidentID {
            headers.append(("X-Vacataire-Incident", incident))
        }
        return EmailMessage(
            from: destination.from, to: destination.to, subject: rendered.subject, body: rendered.body, date: notification.time,
            messageID: notification.messageID ?? EmailMessage.makeMessageID(node: config.node.name, cluster: config.node.cluster, at: clock.date),
            threadID: notification.incidentID.map { EmailMessage.incidentThreadID(incident: $0, cluster: config.node.cluster) }
                ?? checkThread(notification),
            extraHeaders: headers
        )
    }
}
