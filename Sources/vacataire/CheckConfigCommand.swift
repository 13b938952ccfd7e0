import ArgumentParser
import Foundation
import VacataireAddress
import VacataireAgent
import VacataireChecks
import VacataireCore
import VacataireNotify
import VacatairePeer

/// `vacataire check-config [FILE | --config FILE]`: validates a configuration and its templates.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file and the templates it uses; print ok or every problem."
    )

    @Argument(help: ArgumentHelp("The configuration file to check (default \(VacataireCommand.installedConfig)).", valueName: "FILE"))
    var positionalFile: String?

    @Option(name: .long, help: ArgumentHelp("The configuration file to check, as the other commands take it.", valueName: "FILE"))
    var config: String?

    @Flag(name: .long, help: "Refuse the file when it has warnings too (nobody paged, no takeover when the master's machine dies, a value left from an example); the package's unit checks this way.")
    var strict = false

    /// The file: given either way (both must agree), or the installed configuration.
    var file: String {
        config ?? positionalFile ?? VacataireCommand.installedConfig
    }

    func validate() throws {
        if let positionalFile, let config, positionalFile != config {
            throw ValidationError("two configuration files given (\(positionalFile) and --config \(config)); check one at a time")
        }
    }

    func run() async throws {
        let config: Config
        let agentWarnings: [ConfigProblem]
        do {
            (config, agentWarnings) = try await ConfigAcceptance.load(path: file)
        } catch {
            StandardError.print(error.description)
            StandardError.print("\(error.problems.count) problem(s); vacataire refuses to start with this file")
            throw ExitCode(.failed)
        }
        let templates: TemplateSet
        do {
            templates = try TemplateSet(defaults: TemplateSet.defaultDirectory(), overrides: config.templatesDirectory)
            // The key files as `run` reads them: a file the YAML may name but `run` refuses
            // (empty, too short or long, a directory, a fifo) is refused here too.
            if config.failover?.floating != nil, let problem = NetworkCapabilities.problem() {
                throw AgentStartError(problem)
            }
            if let failover = config.failover, failover.etcd == nil {
                _ = try PeerKeyring.load(failover)
                // Peer host names as `run` resolves them at start.
                for address in failover.peer.addresses { _ = try PeerEndpoint(address).resolved() }
            }
        } catch {
            StandardError.print(String(describing: error))
            StandardError.print("vacataire refuses to start with this file")
            throw ExitCode(.failed)
        }
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        let warnings = ConfigWarnings.of(config, yaml: text).map(\.description) + agentWarnings.map(\.description)
        if strict, !warnings.isEmpty {
            for warning in warnings { StandardError.print("warning: \(warning)") }
            StandardError.print("\(warnings.count) warning(s); --strict refuses them")
            throw ExitCode(.failed)
        }
        print(warnings.isEmpty ? "ok" : "ok, with \(warnings.count) warning(s):")
        for warning in warnings { print("  warning: \(warning)") }
        print("  node \(config.node.name) in cluster \(config.node.cluster), state in \(config.stateDirectory)")
        print("  \(config.notify.email.count) email destination(s), \(config.notify.snmp.count) SNMP target(s)")
        print("  " + SNMPEngineIdentity.describe(config))
        for agent in OCFValidation.agents(of: config) {
            print("  resource agent \(agent) (\(agent.agentPath)) at \(agent.origin.key)")
        }
        let checks = config.checks.map { "\($0.name) (\($0.kind.name.rawValue), \($0.severity.rawValue), \($0.scope.rawValue) scope)" }
        print("  \(config.checks.count) check(s)" + (checks.isEmpty ? "" : ": " + checks.joined(separator: ", ")))
        if let failover = config.failover, let etcd = failover.etcd {
            let timing = failover.leaseSettings(nodeName: config.node.name, etcd: etcd)
            print("  failover: mode etcd at \(etcd.endpoints.joined(separator: ", ")), keys under \(etcd.prefix)/\(config.node.cluster)/, priority \(etcd.priority)")
            print("    lease: ttl \(etcd.ttl), renewed every \(etcd.renewInterval) (each request \(etcd.requestTimeout) at most); a leader cut from etcd "
                + "stops its service \(timing.stopLead.humanSeconds) before its lease can expire")
        } else if let failover = config.failover {
            if let floating = failover.floating {
                print("  floating addresses: " + floating.addresses.map(\.description).joined(separator: ", ")
                    + "; announced \(floating.announce.count) at once, \(floating.announce.count) more after \(floating.announce.repeatAfter.humanSeconds)"
                    + (floating.announce.refresh.map { ", then every \($0.humanSeconds)" } ?? ""))
            }
            let paths = failover.peer.addresses.map(\.description).joined(separator: ", ")
            print("  failover: configured \(failover.role.rawValue), peer \(failover.peer.name) at \(paths), listening on \(failover.listen)")
        } else {
            print("  failover: not configured (checks and notifications only)")
        }
        let http = config.loadBalancer.http.map { "http://\($0)/health, /status, /metrics" } ?? "off"
        let agentCheck = config.loadBalancer.agentCheck.map(\.description) ?? "off"
        print("  load balancers: HTTP endpoint \(http); HAProxy agent-check \(agentCheck)")
        // Where each template came from: the built-in ones counted, every file named.
        let fromFiles = templates.sources.filter { !$0.value.hasPrefix(TemplateSet.builtInPrefix) }.sorted { $0.key < $1.key }
        let builtIn = templates.sources.count - fromFiles.count
        print("  templates: \(builtIn) built-in, \(fromFiles.count) from files" + (fromFiles.isEmpty ? "" : ":"))
        for (name, path) in fromFiles {
            print("    \(name): \(path)")
        }
    }
}
