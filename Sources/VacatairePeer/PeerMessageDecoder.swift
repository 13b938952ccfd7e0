/// Turns a received datagram into a `PeerMessage` if it is well framed, signed with a
/// known key and holds a valid body; stateless (replay rules are `PeerMessageValidator`'s).
///
/// This is a fuzz target (Tests/Fuzz): it reads nothing beyond 1,500 bytes, parses
/// JSON (`PeerMessageBody`) only after the tag is verified, and every failure is a
/// `PeerRejection`.
public struct PeerMessageDecoder: Sendable {
    /// The keys accepted on receipt.
    public var keyring: PeerKeyring

    public init(keyring: PeerKeyring) {
        self.keyring = keyring
    }

    /// The message in `datagram` and the id of the key that authenticated it.
    public func decode(_ datagram: [UInt8]) throws(PeerRejection) -> (message: PeerMessage, keyID: UInt16) {
        let (keyID, body) = try PeerWireFormat.open(datagram, keyring: keyring)
        var message = try PeerMessageBody(decoding: body).message
        message.protocolVersion = datagram[3]
        if let problem = message.firstInvalidField() {
            throw PeerRejection(.malformedBody, problem.description)
        }
        return (message, keyID)
    }
}
