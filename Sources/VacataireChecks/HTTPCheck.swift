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
    public let settings: HTTPCheckSettings
    /// The most body kept in memory for `body_pattern`; the size is always counted in full.
    public static let patternLimit = 4 << 20
    /// The URL as messages show it (`displayURL`), worked out once.
    private let place: String
    private let transfers = IdleTransfer()

    public init(_ settings: HTTPCheckSettings) {
        self.settings = settings
        self.place = Self.displayURL(settings.url)
    }

    public func run(timeout: Duration) async -> CheckResult {
        let (settings, place, transfers) = (settings, place, transfers)
        return await BlockingThread.run(name: "vacataire-http-check") {
            let start = ContinuousClock.now
            let keepLimit = settings.bodyPattern == nil ? 0 : Self.patternLimit
            guard let transfer = transfers.take() ?? CurlTransfer(settings, keepLimit: keepLimit) else {
                return CheckResult(status: .critical, message: "\(place): libcurl could not be initialised")
            }
            let outcome = transfer.perform(timeout: timeout)
            transfers.giveBack(transfer)
            var result = Self.judge(outcome, settings: settings, place: place, timeout: timeout, elapsed: ContinuousClock.now - start)
            result.duration = ContinuousClock.now - start
            return result
        }
    }

    static func judge(
        _ outcome: CurlTransfer.Outcome, settings: HTTPCheckSettings, place: String, timeout: Duration, elapsed: Duration
    ) -> CheckResult {
        let seconds = CheckResult(status: .ok, message: "", duration: elapsed).seconds
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
