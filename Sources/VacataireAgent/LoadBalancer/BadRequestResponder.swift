import NIOCore
import NIOHTTP1

/// Answers a request NIO's HTTP parser cannot read with exactly one `400 Bad Request`,
/// then closes the connection.
///
/// NIO's own `HTTPServerProtocolErrorHandler` answers every parser error, and one
/// malformed request line can raise more than one (two 400s on one
/// connection). This one answers the first, ignores the rest, and never answers a
/// connection whose response has already started.
final class BadRequestResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// A response (this handler's or the route's) has started on this connection.
    private var answered = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if !answered {
            answered = true
            let headers = HTTPHeaders([("Connection", "close"), ("Content-Length", "0")])
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.close(promise: nil)
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .head = unwrapOutboundIn(data) {
            answered = true
        }
        context.write(data, promise: promise)
    }
}

@available(*, unavailable)
extension BadRequestResponder: Sendable {}
