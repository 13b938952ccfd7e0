import ArgumentParser
import Foundation
import VacataireAgent
import VacataireCore
import VacataireNotify

/// `vacataire notify-test`: sends a `test` notification to every destination now.
struct NotifyTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify-test",
        abstract: "Send a test email and SNMP trap to every configured destination; print one line each."
    )

    enum Channel: String, ExpressibleByArgument, CaseIterable {
        case email, snmp, all
    }

    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "FILE"))
    var config: String = VacataireCommand.installedConfig

    @Option(help: "Which channel to test: email, snmp or all.")
    var channel: Channel = .all

    @Flag(help: "Send it through the running daemon (its control socket), with the destinations it has loaded.")
    var viaDaemon = false

    @Option(name: .long, help: ArgumentHelp("With --via-daemon: the control socket, instead of the configuration's.", valueName: "PATH"))
    var socket: String?

    func run() async throws {
        if viaDaemon {
            var daemon = DaemonOptions()
            daemon.config = config
            daemon.socket = socket
            let request = ControlRequest(command: .notifyTest, waitSeconds: 60, channel: channel == .all ? nil : channel.rawValue)
            return try daemon.send(request).finish()
        }
        let loaded: Config
        do {
            loaded = try Config.load(path: config)
        } catch {
            StandardError.print(error.description)
            throw ExitCode(.failed)
        }
        let templates: TemplateSet
        do {
            templates = try TemplateSet(defaults: TemplateSet.defaultDirectory(), overrides: loaded.templatesDirectory)
        } catch {
            StandardError.print(error.description)
            throw ExitCode(.failed)
        }
        let channels: Set<NotifyChannel> = channel == .all ? Set(NotifyChannel.allCases) : [channel == .email ? .email : .snmp]
        let sender = NotificationSender(config: loaded, templates: templates)
        let outcomes = await sender.send(sender.testNotification(requestedBy: CurrentUser.name), channels: channels)
        if outcomes.isEmpty {
            StandardError.print("no destination configured for \(channel.rawValue) in \(config) (see notify.email and notify.snmp)")
            throw ExitCode(.failed)
        }
        for outcome in outcomes {
            print(outcome.line)
        }
        if !outcomes.allSatisfy(\.succeeded) {
            throw ExitCode(.failed)
        }
    }
}

/// The name of the user running this command, for the record.
enum CurrentUser {
    static var name: String {
        guard let entry = getpwuid(getuid()), let name = entry.pointee.pw_name else { return "uid \(getuid())" }
        return String(cString: name)
    }
}
