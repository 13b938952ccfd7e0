import Foundation

/// A mail the namespace pair's SMTP server received, with what a person (or a mail client's
/// threading) goes by: subject, event kind, incident, thread headers.
public struct LabMail: Sendable, CustomStringConvertible {
    /// Its place in the order of arrival at the sink, from 1.
    public var index: Int
    public var received: SMTPSink.Received

    public var headers: [String: String] { received.headers }
    public var subject: String { headers["subject"] ?? "" }
    /// `X-Vacataire-Event`: failover, takeover, peer-lost, ...
    public var event: String { headers["x-vacataire-event"] ?? "" }
    /// `X-Vacataire-Incident`, if any.
    public var incident: String? { headers["x-vacataire-incident"] }
    /// `X-Vacataire-Node`: the node that sent it.
    public var node: String { headers["x-vacataire-node"] ?? "" }
    /// The thread root a mail client goes by: `References`' first id, else `In-Reply-To`.
    public var threadRoot: String? {
        let references = headers["references"]?.split(separator: " ").first.map(String.init)
        return references ?? headers["in-reply-to"]
    }
    public var body: String { received.body }
    public var isPage: Bool { PairFixture.pageKinds.contains(event) }

    public var description: String {
        "#\(index) [\(event) from \(node), incident \(incident ?? "none"), thread \(threadRoot ?? "none")] \(subject)"
    }
}

/// A notification the namespace pair's NMS (snmptrapd) logged.
public struct LabTrap: Sendable, CustomStringConvertible {
    /// Its place in the order of arrival at the receiver, from 1.
    public var index: Int
    public var received: TrapReceiver.Received

    /// The notification's name (`vacFailover`), from snmpTrapOID.0.
    public var name: String {
        let value = received.value("snmpTrapOID") ?? ""
        return value.components(separatedBy: "::").last ?? value
    }
    /// vacEventKind.0: failover, takeover, ...
    public var event: String { string("vacEventKind") }
    public var incident: String { string("vacIncidentId") }
    public var node: String { string("vacNodeName") }
    public var reason: String { string("vacReason") }
    public var isPage: Bool { PairFixture.pageKinds.contains(event) }

    /// A varbind's value without its `STRING: ` type and quotes.
    public func string(_ name: String) -> String {
        var value = received.value(name) ?? ""
        if value.hasPrefix("STRING: ") { value.removeFirst("STRING: ".count) }
        return value.trimmingCharacters(in: CharacterSet(charactersIn: "\"").union(.whitespaces))
    }

    public var description: String {
        "#\(index) \(name) [\(event) from \(node), incident \(incident.isEmpty ? "none" : incident)] \(received.security)"
    }
}

extension Array where Element == LabMail {
    /// One line per mail, for the test's output.
    public var listing: String { isEmpty ? "  (none)" : map { "  \($0)" }.joined(separator: "\n") }
    public var pages: [LabMail] { filter(\.isPage) }
}

extension Array where Element == LabTrap {
    public var listing: String { isEmpty ? "  (none)" : map { "  \($0)" }.joined(separator: "\n") }
    public var pages: [LabTrap] { filter(\.isPage) }
}

/// A point in a lab's run: what the SMTP sink and the trap receiver had received, and when.
public struct LabMark: Sendable {
    public var time: Date
    public var mails: Int
    public var traps: Int
}

/// A lab with the SMTP sink and the trap receiver every page goes to: marks, and what
/// arrived since one.
public protocol NotificationReceivers {
    var sink: SMTPSink { get }
    var traps: TrapReceiver { get }
}

extension NotificationReceivers {
    public func mark() -> LabMark {
        LabMark(time: Date(), mails: sink.messages().count, traps: traps.notifications().count)
    }

    /// The mails received after `mark`, in order of arrival.
    public func mails(since mark: LabMark) -> [LabMail] {
        sink.messages().enumerated().dropFirst(mark.mails).map { LabMail(index: $0.offset + 1, received: $0.element) }
    }

    /// The traps logged after `mark`, in order of arrival.
    public func trapsReceived(since mark: LabMark) -> [LabTrap] {
        traps.notifications().enumerated().dropFirst(mark.traps).map { LabTrap(index: $0.offset + 1, received: $0.element) }
    }
}
