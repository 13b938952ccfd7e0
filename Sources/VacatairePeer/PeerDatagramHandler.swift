import NIOCore

/// What the sockets of a `PeerLink` report to it, in the order they happen.
enum PeerSocketEvent: Sendable {
    /// A datagram, from the listening socket (`path` nil) or a path's socket.
    case datagram(ByteBuffer, source: SocketAddress, path: Int?)
    /// An error on the listening socket (`path` nil) or a path's socket (such as
    /// "connection refused" after the peer's port answered with ICMP).
    case error(String, path: Int?)
}

/// The only handler in each of a `PeerLink`'s channels: forwards datagrams and errors to
/// the link's event stream. Decides nothing; the link (one actor) does.
final class PeerDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let path: Int?
    private let report: @Sendable (PeerSocketEvent) -> Void

    init(path: Int?, report: @escaping @Sendable (PeerSocketEvent) -> Void) {
        self.path = path
        self.report = report
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        report(.datagram(envelope.data, source: envelope.remoteAddress, path: path))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Datagram channels stay open on ECONNREFUSED and ENOMEM; NIO closes them on others.
        report(.error(PeerDatagramHandler.describe(error), path: path))
    }

    /// "connection refused" rather than an IOError's full dump.
    static func describe(_ error: any Error) -> String {
        if let error = error as? IOError {
            return error.description
        }
        return String(describing: error)
    }
}
