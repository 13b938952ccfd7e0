import Logging
import NIOCore
import NIOHTTP1
import VacataireCore

/// The load balancers' HTTP endpoint (`http:` in the configuration): HTTP/1.1 over
/// SwiftNIO, one request per connection, answered by `HTTPRoutes`.
///
/// Bounded: request heads are limited by NIO's HTTP parser, request targets to
/// `HTTPRoutes.maximumURIBytes`, bodies to `maximumBodyBytes`; at most
/// `DescriptorBudget.listenerCapacity()` connections are held (`ConnectionSlots`), a
/// request must arrive within `requestTimeout`, and every connection is closed after its
/// answer or after `connectionTimeout`, whichever comes first. A request the parser
/// cannot read gets one `400` (`BadRequestResponder`).
final class HTTPEndpoint: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private let server: NIOAsyncChannel<Connection, Never>
    private let accepted: AcceptedConnections<HTTPServerRequestPart, HTTPServerResponsePart>
    private let routes: HTTPRoutes
    private let logger: Logger
    /// Where it listens, for messages (the port is the bound one, also when 0 was asked).
    let address: String

    static let maximumBodyBytes = 4096
    static let connectionTimeout = TimeAmount.seconds(10)
    /// How long a client may take to send its whole request.
    static let requestTimeout = TimeAmount.seconds(5)
    /// How many connections it holds, and how many it closed unanswered.
    let slots: ConnectionSlots

    static func bind(_ endpoint: FailoverConfig.Endpoint, source: any LoadBalancerSource, logger: Logger) async throws -> HTTPEndpoint {
        let slots = ConnectionSlots(capacity: DescriptorBudget.listenerCapacity(), requestTimeout: requestTimeout)
        let accepted = AcceptedConnections<HTTPServerRequestPart, HTTPServerResponsePart>()
        let (server, address) = try await listenTCP(endpoint, what: "HTTP", key: "http", slots: slots) { channel in
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: false)
            try channel.pipeline.syncOperations.addHandler(BadRequestResponder())
            channel.eventLoop.scheduleTask(in: connectionTimeout) { channel.close(promise: nil) }
            return try accepted.wrap(channel)
        }
        return HTTPEndpoint(server: server, accepted: accepted, routes: HTTPRoutes(source: source), logger: logger, address: address, slots: slots)
    }

    private init(
        server: NIOAsyncChannel<Connection, Never>, accepted: AcceptedConnections<HTTPServerRequestPart, HTTPServerResponsePart>,
        routes: HTTPRoutes, logger: Logger, address: String, slots: ConnectionSlots
    ) {
        self.server = server
        self.accepted = accepted
        self.slots = slots
        self.routes = routes
        self.logger = logger
        self.address = address
    }

    /// Serves connections until the task is cancelled or `close()` is called.
    func run() async {
        logger.info("HTTP endpoint on http://\(address)/ (/health, /status, /metrics)")
        await acceptConnections(server, accepted: accepted, what: "HTTP endpoint on \(address)", logger: logger) { await self.serve($0) }
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

    private func serve(_ connection: Connection) async {
        do {
            try await connection.executeThenClose { inbound, _ in
                var head: HTTPRequestHead?
                var bodyBytes = 0
                for try await part in inbound {
                    switch part {
                    case .head(let request):
                        head = request
                    case .body(let chunk):
                        bodyBytes += chunk.readableBytes
                        if bodyBytes > Self.maximumBodyBytes {
                            try await Self.write(.text(.payloadTooLarge, "request body longer than \(Self.maximumBodyBytes) bytes\n"),
                                                 head: false, to: connection)
                            return
                        }
                    case .end:
                        guard let head else { return }
                        slots.answering(connection.channel)
                        let answer = await routes.answer(method: head.method, uri: head.uri)
                        try await Self.write(answer, head: head.method == .HEAD, to: connection)
                        return
                    }
                }
            }
        } catch {
            logger.debug("HTTP connection ended: \(error)")
        }
    }

    /// Writes `answer` with `Connection: close`; for HEAD, the headers only.
    private static func write(
        _ answer: HTTPRoutes.Answer, head isHead: Bool, to connection: Connection
    ) async throws {
        let body = ByteBuffer(string: answer.body)
        var headers = HTTPHeaders([
            ("Content-Type", answer.contentType),
            ("Content-Length", String(body.readableBytes)),
            ("Cache-Control", "no-store"),
            ("Connection", "close"),
        ])
        if let allow = answer.allow { headers.add(name: "Allow", value: allow) }
        let head = HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: answer.status, headers: headers))
        try await connection.writeReply(isHead ? [head, .end(nil)] : [head, .body(.byteBuffer(body)), .end(nil)])
    }
}

extension FailoverConfig.Endpoint {
    /// `host:port`, or `[v6]:port`.
    static func text(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
