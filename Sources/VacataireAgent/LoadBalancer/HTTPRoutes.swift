import Foundation
import NIOHTTP1

/// The HTTP endpoint's answers (Docs/load-balancers.md), apart from the sockets:
/// `/health`, `/status` and `/metrics`, read-only (GET or HEAD), everything else refused.
struct HTTPRoutes: Sendable {
    let source: any LoadBalancerSource

    /// One response: status, content type and body.
    struct Answer: Sendable, Equatable {
        var status: HTTPResponseStatus
        var contentType: String
        var body: String
        var allow: String?

        static func text(_ status: HTTPResponseStatus, _ body: String) -> Answer {
            Answer(status: status, contentType: "text/plain; charset=utf-8", body: body)
        }
    }

    static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"
    /// The longest request target answered; the paths are short.
    static let maximumURIBytes = 1024

    func answer(method: HTTPMethod, uri: String) async -> Answer {
        guard uri.utf8.count <= Self.maximumURIBytes else {
            return .text(.uriTooLong, "request target longer than \(Self.maximumURIBytes) bytes\n")
        }
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        guard ["/health", "/status", "/metrics"].contains(path) else {
            return .text(.notFound, "not found: \(path); try /health, /status or /metrics\n")
        }
        guard method == .GET || method == .HEAD else {
            var answer = Answer.text(.methodNotAllowed, "\(method.rawValue) is not allowed; \(path) is read-only (GET)\n")
            answer.allow = "GET, HEAD"
            return answer
        }
        switch path {
        case "/health":
            let verdict = await source.servingVerdict()
            return .text(verdict.serving ? .ok : .serviceUnavailable, "\(verdict.word)\n")
        case "/status":
            let status = await source.status()
            guard let data = try? JSONEncoder.control.encode(status) else {
                return .text(.internalServerError, "cannot encode the status\n")
            }
            return Answer(status: .ok, contentType: "application/json", body: String(decoding: data, as: UTF8.self) + "\n")
        default:
            return Answer(status: .ok, contentType: Self.prometheusContentType, body: await source.metricsText())
        }
    }
}
