/// VacatairePeer: the peer protocol between the two nodes of a Le Vacataire pair.
///
/// It owns the wire format of one message (`PeerWireFormat`, `PeerMessage`), its
/// authentication with HMAC-SHA256 under keys read from key files (`PeerKeyring`), and the
/// checks a received datagram must pass before the failover engine sees it
/// (`PeerMessageDecoder`, `ReplayWindow`, `PeerMessageValidator`), with a count of every
/// rejection by reason (`PeerRejectionCounters`). `BootGeneration` persists the boot id
/// that makes a datagram captured before a restart worthless after it.
///
/// Sending is `PeerSender.seal(...)` → bytes; receiving is
/// `PeerMessageValidator.validate(datagram, now:)` → a `PeerMessage` or a `PeerRejection`.
/// Nothing here opens a socket or reads a clock: the caller passes wall-clock time in.
/// Epochs are carried but not judged: the state machine ignores messages of older epochs.
/// Docs/peer-protocol.md describes the format byte by byte.
public enum VacatairePeer {
    /// The protocol version this build speaks, written in byte 3 of every datagram.
    public static let protocolVersion: UInt8 = PeerWireFormat.version
}
