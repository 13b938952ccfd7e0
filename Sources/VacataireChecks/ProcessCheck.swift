import Foundation
import VacataireCore

/// Checks that at least N live processes match a name, a command-line pattern, or a pidfile.
///
/// Reads /proc directly (no `ps`), on a dedicated thread.
public struct ProcessCheck: HealthCheck {
    public var settings: ProcessCheckSettings

    public init(_ settings: ProcessCheckSettings) {
        self.settings = settings
    }

    public func run(timeout: Duration) async -> CheckResult {
        let settings = settings
        return await BlockingThread.run(name: "vacataire-process-check") {
            Self.evaluate(settings)
        }
    }

    static func evaluate(_ settings: ProcessCheckSettings) -> CheckResult {
        let start = ContinuousClock.now
        let table = ProcessTable(procRoot: settings.procRoot)
        let what: String
        let found: [ProcessEntry]
        switch settings.match {
        case .name(let name):
            what = "named `\(name)`"
            found = table.entries().filter { $0.name == name }
        case .commandLine(let pattern):
            what = "matching `\(pattern)`"
            guard let expression = try? NSRegularExpression(pattern: pattern) else {
                return CheckResult(status: .unknown, message: "invalid pattern `\(pattern)`")
            }
            found = table.entries().filter { entry in
                let range = NSRange(entry.commandLine.startIndex..., in: entry.commandLine)
                return expression.firstMatch(in: entry.commandLine, range: range) != nil
            }
        case .pidfile(let path):
            return pidfileResult(path, table: table, start: start)
        }
        let count = found.count
        let perf = [Perfdata(label: "procs", value: Double(count), minimum: 0)]
        let pids = found.prefix(5).map { String($0.pid) }.joined(separator: ", ")
        let duration = ContinuousClock.now - start
        if count >= settings.minimum {
            return CheckResult(status: .ok, message: "\(count) process(es) \(what) (pid \(pids))", perfdata: perf, duration: duration)
        }
        return CheckResult(
            status: .critical, message: "expected at least \(settings.minimum) process(es) \(what), found \(count)",
            perfdata: perf, duration: duration
        )
    }

    static func pidfileResult(_ path: String, table: ProcessTable, start: ContinuousClock.Instant) -> CheckResult {
        guard let data = FileManager.default.contents(atPath: path) else {
            return CheckResult(status: .critical, message: "cannot read pidfile \(path)", duration: ContinuousClock.now - start)
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let pid = Int32(text.split(separator: "\n").first ?? ""), pid > 0 else {
            return CheckResult(status: .critical, message: "pidfile \(path) holds no pid", duration: ContinuousClock.now - start)
        }
        guard let entry = table.entry(pid) else {
            return CheckResult(
                status: .critical, message: "stale pidfile \(path): no process \(pid)", duration: ContinuousClock.now - start
            )
        }
        return CheckResult(
            status: .ok, message: "process \(pid) (\(entry.name)) from \(path) is alive",
            perfdata: [Perfdata(label: "procs", value: 1, minimum: 0)], duration: ContinuousClock.now - start
        )
    }
}
