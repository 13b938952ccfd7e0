import Foundation
@testable import VacatairePeer

/// The body through Foundation's Codable machinery: the reference `PeerMessageBody`'s own
/// codec must match byte for byte and rejection for rejection (`PeerMessageBodyCodecTests`).
extension PeerMessageBody: Codable {
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

    /// Thrown when the body holds a field this version does not know: `name` is the one
    /// reported, `all` every unknown one (which one is reported depends on hashing).
    struct UnknownField: Error {
        var name: String
        var all: Set<String>
    }

    public init(from decoder: Decoder) throws {
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        let any = try decoder.container(keyedBy: AnyKey.self)
        let unknown = any.allKeys.filter { !known.contains($0.stringValue) }.map { Self.printable($0.stringValue) }
        if let first = unknown.first {
            throw UnknownField(name: first, all: Set(unknown))
        }
        let body = try decoder.container(keyedBy: CodingKeys.self)
        self.init(PeerMessage(
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
        ))
    }

    public func encode(to encoder: Encoder) throws {
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

    private static func printable(_ key: String) -> String {
        String(key.utf8.prefix(32).map { FieldRule.isIdentifierByte($0) ? Character(Unicode.Scalar($0)) : "?" })
    }
}

/// The body codec through `JSONEncoder` and `JSONDecoder`, with the rejections the peer
/// decoder made of their errors.
enum ReferenceBodyCodec {
    static func encode(_ message: PeerMessage) throws -> [UInt8] {
        let json = JSONEncoder()
        json.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try json.encode(PeerMessageBody(message)))
    }

    /// The message, or the rejection and, for an unknown field, every detail that could
    /// have been reported.
    static func decode(_ body: [UInt8]) -> Result<PeerMessage, ReferenceRejection> {
        do {
            return .success(try JSONDecoder().decode(PeerMessageBody.self, from: Data(body)).message)
        } catch let unknown as PeerMessageBody.UnknownField {
            return .failure(ReferenceRejection(
                detail: "unknown field `\(unknown.name)`",
                alternatives: Set(unknown.all.map { "unknown field `\($0)`" })
            ))
        } catch let DecodingError.keyNotFound(key, _) {
            return .failure(ReferenceRejection(detail: "missing field `\(key.stringValue)`"))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            return .failure(ReferenceRejection(detail: "wrong type for `\(path(context))`"))
        } catch let DecodingError.dataCorrupted(context) {
            return .failure(ReferenceRejection(detail: context.codingPath.isEmpty ? "not a JSON object" : "bad value for `\(path(context))`"))
        } catch {
            return .failure(ReferenceRejection(detail: "not a message body"))
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        String(context.codingPath.map(\.stringValue).joined(separator: ".").prefix(32))
    }
}

/// A `malformed-body` rejection of the reference decoder.
struct ReferenceRejection: Error, Equatable {
    var detail: String
    /// The details any run could have given: JSONDecoder names one of several unknown
    /// fields in hash order, which changes from one process to the next.
    var alternatives: Set<String> = []

    func allows(_ detail: String) -> Bool {
        detail == self.detail || alternatives.contains(detail)
    }
}
