import Logging
import NIOCore
import NIOPosix
import VacataireCore

/// HAProxy's agent-check protocol on a TCP port (`agent_check:` in the configuration): on
/// each connection, one line (`ServingVerdict.agentCheckLine`: `up ready`, `down` or
/// `maint`, with a `#` description), then the connection is closed. Anything the load
/// balancer sends (`agent-send`) is ignored.
final class AgentCheckResponder: Sendable {
    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    private let server: NIOAsyncChannel<Connection, Never>
    private let source: any LoadBalancerSource
    private let logger: Logger
    let address: String

    static func bind(_ endpoint: FailoverConfig.Endpoint, source: any LoadBalancerSource, logger: Logger) async throws -> AgentCheckResponder {
        let server: NIOAsyncChannel<Connection, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: endpoint.host.host, port: Int(endpoint.port.number)) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw AgentStartError("cannot listen for agent checks on \(endpoint) (agent_check:): \(error)")
        }
        let port = server.channel.localAddress?.port ?? Int(endpoint.port.number)
        return AgentCheckResponder(server: server, source: source, logger: logger,
                                   address: FailoverConfig.Endpoint.text(host: endpoint.host.host, port: port))
    }

    private init(server: NIOAsyncChannel<Connection, Never>, source: any LoadBalancerSource, logger: Logger, address: String) {
        self.server = server
        self.source = source
        self.logger = logger
        self.address = address
    }

    /// Answers connections until the task is cancelled or `close()` is called.
    func run() async {
        logger.info("HAProxy agent-check on \(address)")
        await acceptConnections(server, what: "agent-check port \(address)", logger: logger) { await self.answer($0) }
    }

    func close() async {
        try? await server.channel.close()
    }

    private func answer(_ connection: Connection) async {
        let line = await source.servingVerdict().agentCheckLine
        do {
            try await connection.executeThenClose { _, outbound in
                try await outbound.write(ByteBuffer(string: line))
            }
        } catch {
            logger.debug("agent-check connection ended: \(error)")
        }
    }
}
