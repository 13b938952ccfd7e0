/// Turns a `PeerMessage` into one signed datagram under the keyring's active key.
///
/// Stateless: `PeerSender` wraps it with this node's identity and sequence numbers. Tests
/// use it directly to forge messages with any header values.
public struct PeerMessageEncoder: Sendable {
    /// The keys; the active one signs.
    public var keyring: PeerKeyring

    public init(keyring: PeerKeyring) {
        self.keyring = keyring
    }

    /// The datagram for `message`, at most 1,500 bytes.
    public func encode(_ message: PeerMessage) throws(PeerEncodingError) -> [UInt8] {
        if let problem = message.firstInvalidField() {
            throw .invalidField(problem)
        }
        let body = PeerMessageBody(message).encoded
        guard let datagram = PeerWireFormat.seal(body: body, key: keyring.activeKey, version: message.protocolVersion) else {
            throw .tooLarge(bytes: PeerWireFormat.headerBytes + body.count + PeerWireFormat.tagBytes)
        }
        return datagram
    }
}

/// A message that cannot be sent as it is, and which field to change.
public enum PeerEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A field breaks a bound of `PeerMessageLimits`.
    case invalidField(PeerFieldProblem)
    /// The encoded datagram would be longer than 1,500 bytes.
    case tooLarge(bytes: Int)

    public var description: String {
        switch self {
        case let .invalidField(problem):
            return "peer message not sent: \(problem)"
        case let .tooLarge(bytes):
            return "peer message not sent: it would be \(bytes) bytes, more than \(PeerMessageLimits.maximumDatagramBytes);"
                + " shorten its detail or ack comment"
        }
    }
}
