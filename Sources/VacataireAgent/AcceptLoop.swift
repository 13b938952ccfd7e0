import Logging
import NIOCore
import NIOPosix
import VacataireCore

/// Accepts connections on `server` until the task is cancelled or the channel is closed,
/// each handled on its own child task, so one slow client never holds up the next. The
/// control socket, the HTTP endpoint and the agent-check port share it; `what` names the
/// listener in the log line if it stops on an error.
func acceptConnections<Connection: Sendable>(
    _ server: NIOAsyncChannel<Connection, Never>, what: String, logger: Logger,
    _ handle: @escaping @Sendable (Connection) async -> Void
) async {
    do {
        try await server.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in inbound {
                    group.addTask { await handle(connection) }
                }
            }
        }
    } catch is CancellationError {
    } catch {
        logger.error("\(what) stopped: \(error)")
    }
}

/// Listens on `endpoint` over TCP for a load balancer (backlog 256 like the control socket:
/// a burst of connections beyond the backlog has its SYNs dropped and waits a 1 s
/// retransmission, long enough for a load balancer's check to time out; address reuse), each
/// accepted channel admitted by `slots` (connection limit, request timeout) and wrapped by `wrap`; returns the server and the address it is bound to
/// (the real port, also when 0 was asked). `what` and `key` name it in the start error.
func listenTCP<Connection: Sendable>(
    _ endpoint: FailoverConfig.Endpoint, what: String, key: String, slots: ConnectionSlots,
    _ wrap: @escaping @Sendable (any Channel) throws -> Connection
) async throws -> (server: NIOAsyncChannel<Connection, Never>, address: String) {
    let server: NIOAsyncChannel<Connection, Never>
    do {
        server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: endpoint.host.host, port: Int(endpoint.port.number)) { channel in
                channel.eventLoop.makeCompletedFuture {
                    slots.admit(channel)
                    return try wrap(channel)
                }
            }
    } catch {
        throw AgentStartError("cannot listen for \(what) on \(endpoint) (\(key):): \(error)")
    }
    let port = server.channel.localAddress?.port ?? Int(endpoint.port.number)
    return (server, FailoverConfig.Endpoint.text(host: endpoint.host.host, port: port))
}

extension NIOAsyncChannel where Outbound: Sendable {
    /// Writes a reply's parts in order and returns once all of them have gone to the
    /// socket. The outbound writer's `write` returns before that, and `executeThenClose`
    /// then closes the channel, which drops whatever is still pending (swift-nio #2795): a
    /// reply larger than the socket's buffer (`vacataire events --limit 2000`, 300 KB)
    /// reached the client cut, and the client said it could not read it.
    func writeReply(_ parts: [Outbound]) async throws {
        guard let last = parts.last else { return }
        for part in parts.dropLast() { channel.write(part, promise: nil) }
        try await channel.writeAndFlush(last)
    }
}
