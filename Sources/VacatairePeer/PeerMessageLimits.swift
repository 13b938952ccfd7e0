import VacataireCore

/// The bounds every peer message respects, checked when encoding and again when decoding.
///
/// Lengths are in UTF-8 bytes. Identifiers (cluster, node, incident) follow the
/// configuration's rule: 1 to 64 ASCII letters, digits, `-`, `_` or `.`. Free text (ack
/// author, ack comment, detail) may be any Unicode except control characters (the comment
/// and detail may hold newlines and tabs). With every field at its maximum a message can
/// still exceed one datagram once JSON-escaped; `PeerSender` then refuses it.
public enum PeerMessageLimits {
    /// The largest datagram sent or accepted, in bytes; larger ones are dropped unread.
    public static let maximumDatagramBytes = 1_500
    /// Cluster name, node name and incident id.
    public static let maximumIdentifierBytes = 64
    /// Role and state names.
    public static let maximumRoleBytes = 32
    /// The ack author.
    public static let maximumAuthorBytes = 64
    /// The ack comment and the detail text.
    public static let maximumTextBytes = 256

    /// `text` cut to at most `bytes` UTF-8 bytes on a character boundary, so that a long
    /// text shortens the message instead of making the send fail.
    public static func truncated(_ text: String, bytes: Int) -> String {
        var result = text
        while result.utf8.count > bytes { result.removeLast() }
        return result
    }
}

/// Which field of a peer message breaks a bound of `PeerMessageLimits`, and how.
public struct PeerFieldProblem: Sendable, Equatable, CustomStringConvertible {
    /// The field's name on the wire, such as `cluster` or `ack_comment`.
    public var field: String
    /// What is wrong, such as "longer than 256 bytes".
    public var problem: String

    public var description: String { "field `\(field)`: \(problem)" }
}

extension PeerMessage {
    /// The first field that breaks a bound, or nil when the message may go on the wire.
    public func firstInvalidField() -> PeerFieldProblem? {
        if protocolVersion != VacatairePeer.protocolVersion {
            return PeerFieldProblem(field: "version", problem: "version \(protocolVersion) is not \(VacatairePeer.protocolVersion), the one this build speaks")
        }
        if epoch > Epoch.largest {
            return PeerFieldProblem(field: "epoch", problem: "\(epoch) is beyond the largest epoch, 2^62")
        }
        let checks: [(String, String?, FieldRule)] = [
            ("cluster", cluster, .identifier),
            ("node", sender, .identifier),
            ("role", payload.role, .role),
            ("state", payload.state, .role),
            ("incident", payload.incidentID, .identifier),
            ("ack_author", payload.ackAuthor, .text(PeerMessageLimits.maximumAuthorBytes, multiline: false)),
            ("ack_comment", payload.ackComment, .text(PeerMessageLimits.maximumTextBytes, multiline: true)),
            ("detail", payload.detail, .text(PeerMessageLimits.maximumTextBytes, multiline: true)),
        ]
        for (field, value, rule) in checks {
            if let value, let problem = rule.problem(with: value) {
                return PeerFieldProblem(field: field, problem: problem)
            }
        }
        if kind.isRequest, requestID == nil {
            return PeerFieldProblem(field: "request", problem: "a \(kind.rawValue) needs a request id")
        }
        return nil
    }
}

/// How one string field is bounded.
enum FieldRule {
    case identifier
    case role
    case text(Int, multiline: Bool)

    func problem(with value: String) -> String? {
        let bytes = value.utf8.count
        switch self {
        case .identifier, .role:
            let maximum = if case .role = self { PeerMessageLimits.maximumRoleBytes } else { PeerMessageLimits.maximumIdentifierBytes }
            guard (1...maximum).contains(bytes), value.utf8.allSatisfy(Self.isIdentifierByte) else {
                return "expected 1 to \(maximum) ASCII letters, digits, `-`, `_` or `.`"
            }
            return nil
        case let .text(maximum, multiline):
            if bytes > maximum {
                return "longer than \(maximum) bytes"
            }
            let allowedControls: Set<Unicode.Scalar> = multiline ? ["\n", "\t"] : []
            if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !allowedControls.contains($0) }) {
                return multiline ? "contains a control character other than newline or tab" : "contains a control character"
            }
            return nil
        }
    }

    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }
}
