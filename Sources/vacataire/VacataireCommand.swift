import ArgumentParser
import Foundation
import VacataireCore

/// `vacataire`: the failover agent's one executable. Docs/cli.md lists every subcommand
/// and exit code.
struct VacataireCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vacataire",
        abstract: "Le Vacataire: a two-node failover agent that pages humans when it fails over.",
        version: VacataireCore.version,
        subcommands: [
            RunCommand.self, StatusCommand.self, AckCommand.self, FailbackCommand.self, ReadyCommand.self, SwitchoverCommand.self,
            MaintenanceCommand.self, EventsCommand.self, CheckConfigCommand.self, CheckCommand.self, NotifyTestCommand.self, DoctorCommand.self, DrillCommand.self,
            InitCommand.self,
        ]
    )

    /// The configuration every command reads unless told another (`--config FILE`).
    static let installedConfig = "/etc/vacataire/vacataire.yaml"

    /// Parses the command line and runs the chosen subcommand, with our exit codes:
    /// 0 done, 1 failed or refused, 2 usage error.
    static func runAsRoot() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                // `check` speaks the monitoring-plugin convention: a usage error is UNKNOWN
                // (3), never CRITICAL (2), so a monitoring system can tell the two apart.
                if CommandLine.arguments.dropFirst().first == CheckCommand.configuration.commandName {
                    Foundation.exit(3)
                }
                Foundation.exit(ExitStatus.usage.rawValue)
            }
            exit(withError: error)
        }
    }
}

/// The exit codes every subcommand shares (Docs/cli.md).
enum ExitStatus: Int32 {
    case done = 0
    case failed = 1
    case usage = 2
    case daemonUnreachable = 3
    /// The daemon refused the caller: not root and not in `control.group`.
    case notPermitted = 4
    /// Accepted, but the outcome did not come within the wait.
    case pending = 5
}

extension ExitCode {
    init(_ status: ExitStatus) {
        self.init(status.rawValue)
    }
}

/// Standard error output for messages that are not the command's result.
enum StandardError {
    static func print(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
