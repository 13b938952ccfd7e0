import Logging
import NIOCore
import VacataireCore

/// HAProxy's agent-check protocol on a TCP port (`agent_check:` in the configuration): on
/// each connection, one line (`ServingVerdict.agentCheckLine`: `up ready`, `down` or
/// `maint`, with a `#` description), then the connection is closed. Anything the load
/// balancer sends (`agent-send`) is ignored.
final class AgentCheckResponder: Sendable {
    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    private let server: NIOAsyncChannel<Connection, Never>
    private let accepted: AcceptedConnections<ByteBuffer, ByteBuffer>
    private let source: any LoadBalancerSource
    private let logger: Logger
    let address: String

    static func bind(_ endpoint: FailoverConfig.Endpoint, source: any LoadBalancerSource, logger: Logger) async throws -> AgentCheckResponder {
        let slots = ConnectionSlots(capacity: DescriptorBudget.listenerCapacity(), requestTimeout: .seconds(5))
        let accepted = AcceptedConnections<ByteBuffer, ByteBuffer>()
        let (server, address) = try await listenTCP(endpoint, what: "agent checks", key: "agent_check", slots: slots) { channel in
            // Answered at once: the load balancer sends nothing that needs waiting for.
            slots.answering(channel)
            return try accepted.wrap(channel)
        }
        return AgentCheckResponder(server: server, accepted: accepted, source: source, logger: logger, address: address)
    }

    private init(
        server: NIOAsyncChannel<Connection, Never>, accepted: AcceptedConnections<ByteBuffer, ByteBuffer>, source: any LoadBalancerSource,
        logger: Logger, address: String
    ) {
        self.server = server
        self.accepted = accepted
        self.source = source
        self.logger = logger
        self.address = address
    }

    /// Answers connections until the task is cancelled or `close()` is called.
    func run() async {
        logger.info("HAProxy agent-check on \(address)")
        await acceptConnections(server, accepted: accepted, what: "agent-check port \(address)", logger: logger) { await self.answer($0) }
    }

    func close() async {
        try? await server.channel.close()
    }

    /// Stops accepting (graceful shutdown): `run()` then serves the connections already
    /// accepted and returns. Never cancel `run()` instead: a connection accepted but not
    /// yet taken from the listener would be dropped unfinished, which NIO traps on.
    func stopAccepting() {
        server.channel.close(promise: nil)
    }

    private func answer(_ connection: Connection) async {
        let line = await source.servingVerdict().agentCheckLine
        do {
            try await connection.executeThenClose { _, _ in
                try await connection.writeReply([ByteBuffer(string: line)])
            }
        } catch {
            logger.debug("agent-check connection ended: \(error)")
        }
    }
}
