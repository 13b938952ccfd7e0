import NIOCore
import VacataireCore

/// A host and a UDP port on the peer link: where this node listens, one path to the peer,
/// or where a datagram came from.
public struct PeerEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// A host name or an IP address (IPv6 without brackets).
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// The endpoint of the configuration's `failover.listen` or `failover.peer.addresses`.
    public init(_ endpoint: FailoverConfig.Endpoint) {
        self.init(host: endpoint.host.host, port: Int(endpoint.port.number))
    }

    /// The numeric address and port of a socket address.
    init(_ address: SocketAddress) {
        self.init(host: address.ipAddress ?? "\(address)", port: address.port ?? 0)
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The endpoint with its host name resolved to a numeric address (the system's
    /// resolver: /etc/hosts, then DNS), as the link sends to it and recognises its
    /// datagrams; an IP address is returned as it is. Blocks while the resolver answers.
    public func resolved() throws(PeerLinkError) -> PeerEndpoint {
        if (try? SocketAddress(ipAddress: host, port: port)) != nil { return self }
        do {
            return PeerEndpoint(try SocketAddress.makeAddressResolvingHost(host, port: port))
        } catch {
            throw .cannotResolve(self, reason: "\(error)")
        }
    }
}

/// A message that passed every check of `PeerMessageValidator`, as `PeerLink` hands it on.
public struct ReceivedPeerMessage: Sendable, Hashable {
    /// The authenticated, fresh message.
    public var message: PeerMessage
    /// The datagram's source address and port.
    public var source: PeerEndpoint
    /// The index in the configured peer addresses of the path it came over: the one whose
    /// address is the source's (and whose port too, when several share the address); nil
    /// when no configured address, or more than one, matches.
    public var path: Int?

    public init(message: PeerMessage, source: PeerEndpoint, path: Int?) {
        self.message = message
        self.source = source
        self.path = path
    }
}
