import Foundation

/// The JSON body of a datagram: every field of a `PeerMessage` but the version, which is in
/// the header. Decoding is strict: an unknown field, a missing one or a wrong type fails.
struct PeerMessageBody: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case cluster, node, boot, epoch, seq
        case sentMilliseconds = "sent_ms"
        case kind, request, role, state, healthy, incident
        case ackAuthor = "ack_author"
        case ackComment = "ack_comment"
        case detail
    }

    /// Any key, to list the ones present before decoding the known ones.
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Thrown when the body holds a field this version does not know.
    struct UnknownField: Error {
        var name: String
    }

    var message: PeerMessage

    init(_ message: PeerMessage) {
        self.message = message
    }

    init(from decoder: Decoder) throws {
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        let any = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = any.allKeys.first(where: { !known.contains($0.stringValue) }) {
            let printable = unknown.stringValue.utf8.prefix(32).map { FieldRule.isIdentifierByte($0) ? Character(Unicode.Scalar($0)) : "?" }
            throw UnknownField(name: String(printable))
        }
        let body = try decoder.container(keyedBy: CodingKeys.self)
        message = PeerMessage(
            cluster: try body.decode(String.self, forKey: .cluster),
            sender: try body.decode(String.self, forKey: .node),
            bootID: try body.decode(UInt64.self, forKey: .boot),
            epoch: try body.decode(UInt64.self, forKey: .epoch),
            sequence: try body.decode(UInt64.self, forKey: .seq),
            sentAtMilliseconds: try body.decode(UInt64.self, forKey: .sentMilliseconds),
            kind: try body.decode(PeerMessageKind.self, forKey: .kind),
            requestID: try body.decodeIfPresent(UInt64.self, forKey: .request),
            payload: PeerPayload(
                role: try body.decode(String.self, forKey: .role),
                state: try body.decode(String.self, forKey: .state),
                healthy: try body.decode(Bool.self, forKey: .healthy),
                incidentID: try body.decodeIfPresent(String.self, forKey: .incident),
                ackAuthor: try body.decodeIfPresent(String.self, forKey: .ackAuthor),
                ackComment: try body.decodeIfPresent(String.self, forKey: .ackComment),
                detail: try body.decodeIfPresent(String.self, forKey: .detail)
            )
        )
    }

    func encode(to encoder: Encoder) throws {
        var body = encoder.container(keyedBy: CodingKeys.self)
        try body.encode(message.cluster, forKey: .cluster)
        try body.encode(message.sender, forKey: .node)
        try body.encode(message.bootID, forKey: .boot)
        try body.encode(message.epoch, forKey: .epoch)
        try body.encode(message.sequence, forKey: .seq)
        try body.encode(message.sentAtMilliseconds, forKey: .sentMilliseconds)
        try body.encode(message.kind, forKey: .kind)
        try body.encodeIfPresent(message.requestID, forKey: .request)
        try body.encode(message.payload.role, forKey: .role)
        try body.encode(message.payload.state, forKey: .state)
        try body.encode(message.payload.healthy, forKey: .healthy)
        try body.encodeIfPresent(message.payload.incidentID, forKey: .incident)
        try body.encodeIfPresent(message.payload.ackAuthor, forKey: .ackAuthor)
        try body.encodeIfPresent(message.payload.ackComment, forKey: .ackComment)
        try body.encodeIfPresent(message.payload.detail, forKey: .detail)
    }
}
