import CCurl
import Foundation
import VacataireCore

/// Checks that a URL answers through libcurl with the expected status, the exact expected
/// body size (a truncated page fails), and, if set, a body matching a pattern.
///
/// The transfer blocks a dedicated thread, never the cooperative pool. Messages say what was
/// expected and what came back, and name the URL without credentials or query; request
/// headers (which may carry tokens) never appear.
public struct HTTPCheck: HealthCheck {
    public var settings: HTTPCheckSettings
    /// The most body kept in memory for `body_pattern`; the size is always counted in full.
    public static let patternLimit = 4 << 20

    public init(_ settings: HTTPCheckSettings) {
        self.settings = settings
    }

    public func run(timeout: Duration) async -> CheckResult {
        let transfer = CurlTransfer(
            url: settings.url, method: settings.method, headers: settings.headers, caFile: settings.caFile,
            verifyTLS: settings.verifyTLS, followRedirects: settings.followRedirects, timeout: timeout,
            keepLimit: settings.bodyPattern == nil ? 0 : Self.patternLimit
        )
        let settings = settings
        return await BlockingThread.run(name: "vacataire-http-check") {
            let start = ContinuousClock.now
            let outcome = transfer.perform()
            var result = Self.judge(outcome, settings: settings, timeout: timeout, elapsed: ContinuousClock.now - start)
            result.duration = ContinuousClock.now - start
            return result
        }
    }

    static func judge(_ outcome: CurlTransfer.Outcome, settings: HTTPCheckSettings, timeout: Duration, elapsed: Duration) -> CheckResult {
        let seconds = CheckResult(status: .ok, message: "", duration: elapsed).seconds
        let place = displayURL(settings.url)
        let perfdata = [
            Perfdata(label: "time", value: (seconds * 1000).rounded() / 1000, unit: "s", minimum: 0),
            Perfdata(label: "size", value: Double(outcome.bodyBytes), unit: "B", minimum: 0),
        ]
        // A body cut short against its Content-Length is still a size to compare.
        let partial = outcome.code == CURLE_PARTIAL_FILE
        if outcome.code != CURLE_OK, !partial {
            let reason = outcome.code == CURLE_OPERATION_TIMEDOUT
                ? "no complete answer within \(timeout.shortText) (\(outcome.error))"
                : outcome.error
            return CheckResult(status: .critical, message: "\(place): \(reason)", perfdata: perfdata)
        }
        var problems: [String] = []
        if !settings.expectStatus.contains(outcome.status) {
            let expected = settings.expectStatus.count == 1 ? "\(settings.expectStatus.lowerBound)"
                : "\(settings.expectStatus.lowerBound)-\(settings.expectStatus.upperBound)"
            problems.append("expected status \(expected), got \(outcome.status)")
        }
        if let bytes = settings.expectBytes, bytes != outcome.bodyBytes {
            problems.append("expected \(bytes) bytes, got \(outcome.bodyBytes)")
        } else if partial {
            problems.append("body cut short after \(outcome.bodyBytes) bytes (\(outcome.error))")
        }
        if let pattern = settings.bodyPattern, problems.isEmpty {
            let body = String(decoding: outcome.body, as: UTF8.self)
            let matched = (try? NSRegularExpression(pattern: pattern))
                .map { $0.firstMatch(in: body, range: NSRange(body.startIndex..., in: body)) != nil } ?? false
            if !matched { problems.append("body does not match `\(pattern)`") }
        }
        if problems.isEmpty {
            return CheckResult(
                status: .ok, message: "\(place): status \(outcome.status), \(outcome.bodyBytes) bytes in \(String(format: "%.3f", seconds)) s",
                perfdata: perfdata
            )
        }
        return CheckResult(status: .critical, message: "\(place): \(problems.joined(separator: "; "))", perfdata: perfdata)
    }

    /// The URL as safe to show: scheme, host, port and path; no user, password or query.
    static func displayURL(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "the configured URL" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "the configured URL"
    }
}
