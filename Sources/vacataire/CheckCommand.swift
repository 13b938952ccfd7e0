import ArgumentParser
import Foundation
import VacataireChecks
import VacataireCore

/// `vacataire check`: runs the configured checks once, at the same time, and prints one
/// line per check the way a monitoring plugin would; the exit code is the worst state.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run the configured health checks once and print their results.",
        discussion: """
            Prints one line per check: NAME STATUS - message | perfdata.
            Exit code: 0 all OK, 1 worst is WARNING, 2 worst is CRITICAL, 3 worst is UNKNOWN \
            (or the configuration cannot be used). CRITICAL outranks UNKNOWN.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "FILE"))
    var config: String = VacataireCommand.installedConfig

    @Flag(name: .long, help: "Print a JSON array of results instead of plugin lines.")
    var json = false

    @Argument(help: ArgumentHelp("Run only these checks (all by default).", valueName: "NAME"))
    var names: [String] = []

    func run() async throws {
        let loaded: Config
        do {
            loaded = try Config.load(path: config)
        } catch {
            FileHandle.standardError.write(Data("vacataire check: the configuration cannot be used:\n\(error)\n".utf8))
            throw ExitCode(3)
        }
        let configured = loaded.checks.map(\.name)
        let unknown = names.filter { !configured.contains($0) }
        guard unknown.isEmpty else {
            let known = configured.isEmpty ? "none" : configured.joined(separator: ", ")
            FileHandle.standardError.write(Data("vacataire check: no check named \(unknown.joined(separator: ", ")); configured: \(known)\n".utf8))
            throw ExitCode(3)
        }
        let selected = loaded.checks.filter { names.isEmpty || names.contains($0.name) }
        guard !selected.isEmpty else {
            print("UNKNOWN - no checks configured in \(config)")
            throw ExitCode(3)
        }
        let results = await CheckScheduler.runOnce(selected.map(ScheduledCheck.init))
        if json {
            print(try Self.json(selected, results))
        } else {
            for (check, result) in zip(selected, results) {
                print(result.pluginLine(name: check.name))
            }
            // Each check's scope: where the daemon runs it (Docs/checks.md, "Scope").
            let service = selected.filter { $0.scope == .service }.map(\.name)
            let node = selected.filter { $0.scope == .node }.map(\.name)
            print("scope: service checks (run where the service runs): \(service.isEmpty ? "none" : service.joined(separator: ", ")); "
                + "node checks (run everywhere): \(node.isEmpty ? "none" : node.joined(separator: ", "))")
        }
        let worst = CheckStatus.worst(results.map(\.status))
        if worst != .ok { throw ExitCode(worst.exitCode) }
    }

    /// One JSON object per check, keys in a stable order.
    static func json(_ checks: [CheckConfig], _ results: [CheckResult]) throws -> String {
        let reports = zip(checks, results).map { check, result in
            CheckReport(
                name: check.name, kind: check.kind.name.rawValue, severity: check.severity.rawValue,
                scope: check.scope.rawValue, status: result.label, exitCode: result.status.exitCode, message: result.message,
                details: result.details, perfdata: result.perfdata,
                durationSeconds: (result.seconds * 1000).rounded() / 1000
            )
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(reports), as: UTF8.self)
    }
}

/// One check's result as `vacataire check --json` prints it.
private struct CheckReport: Encodable {
    var name: String
    var kind: String
    var severity: String
    var scope: String
    var status: String
    var exitCode: Int32
    var message: String
    var details: String
    var perfdata: [Perfdata]
    var durationSeconds: Double

    enum CodingKeys: String, CodingKey {
        case name, kind, severity, scope, status, message, details, perfdata
        case exitCode = "exit_code"
        case durationSeconds = "duration_seconds"
    }
}

extension CheckResult {
    fileprivate var label: String { status.label }
}
