import Foundation

/// What one run of a check found: a status, a one-line message, perfdata and how long it took.
public struct CheckResult: Sendable, Equatable {
    public var status: CheckStatus
    /// One line for humans, such as `expected 1234 bytes, got 512`. Never holds secrets.
    public var message: String
    public var perfdata: [Perfdata]
    /// More lines of output (an exec plugin's long text), possibly empty.
    public var details: String
    public var duration: Duration

    public init(
        status: CheckStatus, message: String, perfdata: [Perfdata] = [], details: String = "",
        duration: Duration = .zero
    ) {
        self.status = status
        self.message = message
        self.perfdata = perfdata
        self.details = details
        self.duration = duration
    }

    /// The line a monitoring plugin would print: `NAME STATUS - message | perfdata`.
    public func pluginLine(name: String) -> String {
        let perf = perfdata.map(\.description).joined(separator: " ")
        let line = "\(name) \(status.label) - \(message)"
        return perf.isEmpty ? line : "\(line) | \(perf)"
    }

    /// The duration in seconds, for messages and JSON.
    public var seconds: Double {
        duration.seconds
    }
}

