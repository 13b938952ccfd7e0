import Logging
import NIOCore
import NIOPosix
import Synchronization
import VacataireCore

/// Accepts connections on `server` until the task is cancelled or the channel is closed,
/// each handled on its own child task, so one slow client never holds up the next. The
/// control socket, the HTTP endpoint and the agent-check port share it; `what` names the
/// listener in the log line if it stops on an error.
func acceptConnections<Inbound: Sendable, Outbound: Sendable>(
    _ server: NIOAsyncChannel<NIOAsyncChannel<Inbound, Outbound>, Never>, accepted: AcceptedConnections<Inbound, Outbound>,
    what: String, logger: Logger, _ handle: @escaping @Sendable (NIOAsyncChannel<Inbound, Outbound>) async -> Void
) async {
    do {
        try await server.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in inbound {
                    accepted.take(connection)
                    group.addTask { await handle(connection) }
                }
            }
        }
    } catch is CancellationError {
    } catch {
        logger.error("\(what) stopped: \(error)")
    }
    await accepted.finishUntaken()
}

/// The connections a listener accepted (wrapped in its channel initializer) that its accept
/// loop has not taken yet. NIO traps when a wrapped connection is dropped with its writer
/// unfinished, which is what becomes of one accepted as the listener closes: held here, it
/// is finished and closed when the loop ends instead. One accepted even later stays held
/// (the process is exiting) rather than dropped.
final class AcceptedConnections<Inbound: Sendable, Outbound: Sendable>: Sendable {
    typealias Connection = NIOAsyncChannel<Inbound, Outbound>
    private let held = Mutex<[ObjectIdentifier: Connection]>([:])

    /// Wraps `channel` (in the channel initializer, on its event loop) and holds it.
    func wrap(_ channel: any Channel) throws -> Connection {
        let connection = try Connection(wrappingChannelSynchronously: channel)
        held.withLock { $0[ObjectIdentifier(channel)] = connection }
        return connection
    }

    /// The accept loop took `connection`: its handler finishes it (`executeThenClose`).
    func take(_ connection: Connection) {
        _ = held.withLock { $0.removeValue(forKey: ObjectIdentifier(connection.channel)) }
    }

    /// The loop ended: every connection it never took is finished and closed.
    func finishUntaken() async {
        let left = held.withLock { held in
            defer { held.removeAll() }
            return Array(held.values)
        }
        for connection in left {
            try? await connection.executeThenClose { _, _ in }
        }
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
