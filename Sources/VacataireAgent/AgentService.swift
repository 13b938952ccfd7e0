import Logging
import ServiceLifecycle
import VacataireCore
import VacataireNotify

/// `vacataire run` as a swift-service-lifecycle service: SIGTERM and SIGINT stop the agent
/// cleanly (the role and epoch are already on disk; the service is left as it is).
public struct AgentService: Service {
    let agent: FailoverAgent
    let control: ControlServer

    init(agent: FailoverAgent, control: ControlServer) {
        self.agent = agent
        self.control = control
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await control.run() }
                await agent.run()
                await control.close()
            }
        }
    }

    /// Starts the agent for `config` and runs it until SIGTERM or SIGINT.
    public static func runUntilStopped(config: Config, templates: TemplateSet, logger: Logger) async throws {
        let agent = try await FailoverAgent.start(config: config, templates: templates, logger: logger)
        let control = try await ControlServer.bind(config.control, agent: agent, logger: logger)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: AgentService(agent: agent, control: control))],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
    }
}
