import Synchronization

/// Stamps and signs the messages this node sends: its cluster and name, its boot id, and a
/// sequence number that rises by one with every datagram of this boot.
///
/// A retried request is sealed again (new sequence, same request id), never resent as the
/// same bytes: the peer would drop the copy as a replay.
public struct PeerSender: Sendable {
    /// This node's name and cluster, written in every message.
    public let identity: PeerIdentity
    /// This boot's generation (`BootGeneration.next`).
    public let bootID: UInt64
    /// The sequence number the next sealed message gets; starts at 1.
    public private(set) var nextSequence: UInt64 = 1
    private var encoder: PeerMessageEncoder

    public init(identity: PeerIdentity, bootID: UInt64, keyring: PeerKeyring) {
        self.identity = identity
        self.bootID = bootID
        self.encoder = PeerMessageEncoder(keyring: keyring)
    }

    /// Signs with the new active key from now on (configuration reload).
    public mutating func replaceKeyring(_ keyring: PeerKeyring) {
        encoder.keyring = keyring
    }

    /// One signed datagram; the sequence number is used up only when it succeeds.
    public mutating func seal(
        _ kind: PeerMessageKind, epoch: UInt64, payload: PeerPayload,
        requestID: UInt64? = nil, now: UInt64
    ) throws(PeerEncodingError) -> [UInt8] {
        let message = PeerMessage(
            cluster: identity.cluster, sender: identity.node, bootID: bootID, epoch: epoch,
            sequence: nextSequence, sentAtMilliseconds: now, kind: kind, requestID: requestID,
            payload: payload
        )
        let datagram = try encoder.encode(message)
        nextSequence += 1
        return datagram
    }
}

/// One `PeerSender` shared between the link and its heartbeat copies (sealed on a path's
/// event loop when due), so that every datagram of a boot still gets its own sequence number.
final class SharedPeerSender: Sendable {
    private let sender: Mutex<PeerSender>

    init(_ sender: PeerSender) {
        self.sender = Mutex(sender)
    }

    func seal(
        _ kind: PeerMessageKind, epoch: UInt64, payload: PeerPayload, requestID: UInt64?, now: UInt64
    ) throws(PeerEncodingError) -> [UInt8] {
        try sender.withLock { sender throws(PeerEncodingError) in
            try sender.seal(kind, epoch: epoch, payload: payload, requestID: requestID, now: now)
        }
    }

    func replaceKeyring(_ keyring: PeerKeyring) {
        sender.withLock { $0.replaceKeyring(keyring) }
    }
}
