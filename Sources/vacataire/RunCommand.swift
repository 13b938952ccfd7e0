import ArgumentParser
import Foundation
import Logging
import VacataireAgent
import VacataireCore
import VacataireNotify

/// `vacataire run`: the daemon. Logs go to standard error, one line per event with the
/// transition's reason; under systemd, to the journal with fields (Docs/systemd.md).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the failover agent: checks, peer link, state machine, actions and notifications."
    )

    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "FILE"))
    var config: String = VacataireCommand.installedConfig

    @Option(name: .long, help: "Least severe log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        let loaded: Config
        let agentWarnings: [ConfigProblem]
        let templates: TemplateSet
        do {
            // Absolute, so that SIGHUP rereads the same file after the change of directory.
            (loaded, agentWarnings) = try await ConfigAcceptance.load(path: URL(fileURLWithPath: config).standardizedFileURL.path)
            templates = try TemplateSet(defaults: TemplateSet.defaultDirectory(), overrides: loaded.templatesDirectory)
        } catch {
            StandardError.print(String(describing: error))
            StandardError.print("vacataire refuses to start with \(config)")
            throw ExitCode(.failed)
        }
        // Relative commands in actions and plugins resolve like relative paths in the
        // configuration: against the configuration file's directory.
        let directory = URL(fileURLWithPath: loaded.file).deletingLastPathComponent().path
        guard FileManager.default.changeCurrentDirectoryPath(directory) else {
            StandardError.print("cannot change to the configuration's directory \(directory)")
            throw ExitCode(.failed)
        }
        let level = logLevel
        let node = loaded.node.name
        let journal = JournalLogHandler.standardErrorIsJournal()
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = journal ? JournalLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            handler[metadataKey: "node"] = "\(node)"
            return OneLineLogHandler(handler)
        }
        let logger = Logger(label: "vacataire")
        for warning in agentWarnings { logger.warning("\(warning)") }
        do {
            try await AgentService.runUntilStopped(config: loaded, templates: templates, logger: logger)
        } catch let error as AgentStartError {
            logger.critical("cannot start: \(error.description)")
            throw ExitCode(.failed)
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
