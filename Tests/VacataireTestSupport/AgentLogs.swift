import Foundation

/// The agents' logs of a pair harness (`PairFixture`): one file per start,
/// `NAME.N.log` in the harness's directory for the Nth start of node NAME.
public struct AgentLogs: Sendable {
    public let directory: TemporaryDirectory

    public init(_ directory: TemporaryDirectory) {
        self.directory = directory
    }

    /// The log file of `node`'s `start`th start.
    public func path(_ node: String, start: Int) -> String {
        directory.file("\(node).\(start).log")
    }

    /// `node`'s log since its latest start (`starts` so far).
    public func latest(_ node: String, starts: Int) -> String {
        (try? String(contentsOfFile: path(node, start: max(1, starts)), encoding: .utf8)) ?? ""
    }

    /// Every log of `node`, oldest start first.
    public func all(_ node: String, starts: Int) -> String {
        (1...max(1, starts)).map { (try? String(contentsOfFile: path(node, start: $0), encoding: .utf8)) ?? "" }.joined(separator: "\n")
    }

    /// The transition lines (`FROM -> TO: reason`) of `log`.
    public static func transitions(in log: String) -> [String] {
        log.split(separator: "\n").map(String.init).filter { $0.contains(" -> ") }
    }
}
