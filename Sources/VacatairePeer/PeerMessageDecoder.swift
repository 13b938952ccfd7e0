import Foundation

/// Turns a received datagram into a `PeerMessage` if it is well framed, signed with a
/// known key and holds a valid body; stateless (replay rules are `PeerMessageValidator`'s).
///
/// This is a fuzz target (Tests/Fuzz): it reads nothing beyond 1,500 bytes, parses
/// JSON only after the tag is verified, and every failure is a `PeerRejection`.
public struct PeerMessageDecoder: Sendable {
    /// The keys accepted on receipt.
    public var keyring: PeerKeyring

    public init(keyring: PeerKeyring) {
        self.keyring = keyring
    }

    /// The message in `datagram` and the id of the key that authenticated it.
    public func decode(_ datagram: [UInt8]) throws(PeerRejection) -> (message: PeerMessage, keyID: UInt16) {
        let (keyID, body) = try PeerWireFormat.open(datagram, keyring: keyring)
        var message: PeerMessage
        do {
            message = try JSONDecoder().decode(PeerMessageBody.self, from: Data(body)).message
        } catch let unknown as PeerMessageBody.UnknownField {
            throw PeerRejection(.malformedBody, "unknown field `\(unknown.name)`")
        } catch let DecodingError.keyNotFound(key, _) {
            throw PeerRejection(.malformedBody, "missing field `\(key.stringValue)`")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw PeerRejection(.malformedBody, "wrong type for `\(Self.path(context))`")
        } catch let DecodingError.dataCorrupted(context) {
            throw PeerRejection(.malformedBody, context.codingPath.isEmpty ? "not a JSON object" : "bad value for `\(Self.path(context))`")
        } catch {
            throw PeerRejection(.malformedBody, "not a message body")
        }
        message.protocolVersion = datagram[3]
        if let problem = message.firstInvalidField() {
            throw PeerRejection(.malformedBody, problem.description)
        }
        return (message, keyID)
    }

    private static func path(_ context: DecodingError.Context) -> String {
        String(context.codingPath.map(\.stringValue).joined(separator: ".").prefix(32))
    }
}
