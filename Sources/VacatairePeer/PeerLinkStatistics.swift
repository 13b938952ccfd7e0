/// What a `PeerLink` has sent and received so far, for `vacataire status` and `/metrics`.
public struct PeerLinkStatistics: Sendable, Equatable {
    /// Datagrams read from the listening socket (and the path sockets), valid or not.
    public var datagramsReceived: UInt64 = 0
    /// Datagrams handed to the kernel, summed over the paths.
    public var datagramsSent: UInt64 = 0
    /// Copies of a heartbeat sent because nothing followed it in time (`HeartbeatRefill`):
    /// the agent was late by half a heartbeat or more. Not in `datagramsSent`.
    public var heartbeatCopiesSent: UInt64 = 0
    /// Messages that could not be sealed (a field out of bounds, too large); nothing was sent.
    public var sealFailures: UInt64 = 0
    /// Why the last seal failed.
    public var lastSealFailure: PeerEncodingError?
    /// Errors reported by the listening socket itself.
    public var receiveErrors: UInt64 = 0
    /// Valid messages dropped because the reader of `incoming` fell behind by more than
    /// `PeerLink.incomingBufferSize` messages (the oldest are kept).
    public var undelivered: UInt64 = 0
    /// Accepted datagrams (by key id) and rejected ones by reason, from the validator;
    /// `oversized` counts datagrams the link did not read beyond the limit.
    public var validation = PeerRejectionCounters()
    /// The last rejection, with its one-line detail for the log.
    public var lastRejection: PeerRejection?
    /// One entry per configured peer address, in configuration order.
    public var paths: [PeerPathStatistics] = []

    public init() {}
}

/// One path to the peer: a configured peer address and its own socket.
public struct PeerPathStatistics: Sendable, Equatable {
    /// The configured peer address.
    public var address: PeerEndpoint
    /// Datagrams sent on this path.
    public var datagramsSent: UInt64 = 0
    /// Sends that failed on this path: no route, the peer's port refused (ICMP, reported on
    /// the next read or send of the path's socket), the socket could not be opened.
    public var sendFailures: UInt64 = 0
    /// The last failure, such as "connection refused".
    public var lastFailure: String?
    /// Wall-clock time (ms since 1970) of the last valid message attributed to this path.
    public var lastValidMessageMilliseconds: UInt64?

    public init(address: PeerEndpoint) {
        self.address = address
    }
}
