/// Everything a received datagram must pass before the failover engine sees it, and the
/// count of what was dropped and why.
///
/// Checks, in order: framing and HMAC and body (`PeerMessageDecoder`), cluster name, not
/// from this node itself, from a configured peer, send time within the allowed skew of
/// `now`, and the replay window. Only a datagram that passes all of them moves the window.
/// One owner (the peer link service) keeps it and calls `validate` for every datagram;
/// epochs are not judged here.
public struct PeerMessageValidator: Sendable {
    /// The default allowed difference between a message's send time and this node's clock.
    public static let defaultAllowedSkewMilliseconds: UInt64 = 30_000

    /// This node's name and cluster.
    public let identity: PeerIdentity
    /// The node names messages are accepted from (the configured peer).
    public let peers: Set<String>
    /// The largest accepted difference between send time and `now`, either way.
    public let allowedSkewMilliseconds: UInt64
    /// Accepted and rejected datagrams so far, by reason.
    public private(set) var counters = PeerRejectionCounters()
    /// The highest boot and sequence accepted per peer.
    public private(set) var replayWindow = ReplayWindow()
    private var decoder: PeerMessageDecoder

    public init(
        identity: PeerIdentity, peers: Set<String>, keyring: PeerKeyring,
        allowedSkewMilliseconds: UInt64 = defaultAllowedSkewMilliseconds
    ) {
        self.identity = identity
        self.peers = peers
        self.allowedSkewMilliseconds = allowedSkewMilliseconds
        self.decoder = PeerMessageDecoder(keyring: keyring)
    }

    /// The keys accepted on receipt.
    public var keyring: PeerKeyring { decoder.keyring }

    /// Uses new keys from now on (configuration reload); the replay window and counters stay.
    public mutating func replaceKeyring(_ keyring: PeerKeyring) {
        decoder.keyring = keyring
    }

    /// The message in `datagram` if it passes every check at wall-clock time `now`
    /// (milliseconds since 1970); otherwise the rejection, already counted.
    public mutating func validate(_ datagram: [UInt8], now: UInt64) throws(PeerRejection) -> PeerMessage {
        do {
            let (message, keyID) = try decoder.decode(datagram)
            try check(message, now: now)
            try replayWindow.admit(node: message.sender, bootID: message.bootID, sequence: message.sequence)
            counters.countAccepted(keyID: keyID)
            return message
        } catch {
            counters.countRejected(error.reason)
            throw error
        }
    }

    /// Counts a datagram longer than `PeerMessageLimits.maximumDatagramBytes` that the
    /// transport did not read beyond the limit, and returns its rejection.
    mutating func rejectOversized() -> PeerRejection {
        counters.countRejected(.oversized)
        return PeerRejection(.oversized, "more than \(PeerMessageLimits.maximumDatagramBytes) bytes; not read")
    }

    private func check(_ message: PeerMessage, now: UInt64) throws(PeerRejection) {
        guard message.cluster == identity.cluster else {
            throw PeerRejection(.wrongCluster, "cluster \(message.cluster) from node \(message.sender), this node is in \(identity.cluster)")
        }
        guard message.sender != identity.node else {
            throw PeerRejection(.fromSelf, "sent by this node's own name \(identity.node)")
        }
        guard peers.contains(message.sender) else {
            throw PeerRejection(.unknownPeer, "node \(message.sender) is not a configured peer")
        }
        let skew = message.sentAtMilliseconds > now ? message.sentAtMilliseconds - now : now - message.sentAtMilliseconds
        guard skew <= allowedSkewMilliseconds else {
            let direction = message.sentAtMilliseconds > now ? "ahead of" : "behind"
            let apart = skew >= 1_000 ? "\(skew / 1_000 + (skew % 1_000 >= 500 ? 1 : 0)) s" : "\(skew) ms"
            throw PeerRejection(
                .clockSkew, "node \(message.sender)'s send time is \(skew) ms \(direction) this node's clock (allowed \(allowedSkewMilliseconds) ms)",
                hint: "clocks differ by \(apart) (\(message.sender)'s is \(message.sentAtMilliseconds > now ? "ahead" : "behind")): check NTP on both nodes")
        }
    }
}
