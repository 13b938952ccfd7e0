import Logging
import ServiceLifecycle
import UnixSignals
import VacataireCore
import VacataireNotify

/// `vacataire run` as a swift-service-lifecycle service: the agent, its control socket and,
/// when configured, the load balancers' HTTP endpoint and agent-check port. SIGTERM and
/// SIGINT stop them all cleanly (the role and epoch are already on disk; the service is
/// left as it is); SIGHUP reloads the configuration, keeping the role.
public struct AgentService: Service {
    let agent: FailoverAgent
    let control: ControlServer
    let http: HTTPEndpoint?
    let agentCheck: AgentCheckResponder?

    init(agent: FailoverAgent, control: ControlServer, http: HTTPEndpoint?, agentCheck: AgentCheckResponder?) {
        self.agent = agent
        self.control = control
        self.http = http
        self.agentCheck = agentCheck
    }

    public func run() async throws {
        await agent.recordUncleanPreviousStop()
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await control.run() }
                group.addTask { await agent.notifySystemd() }
                if let http { group.addTask { await http.run() } }
                if let agentCheck { group.addTask { await agentCheck.run() } }
                group.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sighup) {
                        await agent.reload()
                    }
                }
                await agent.run()
                await control.close()
                await http?.close()
                await agentCheck?.close()
                group.cancelAll()
            }
        }
    }

    /// Starts the agent for `config` and runs it until SIGTERM or SIGINT.
    public static func runUntilStopped(config: Config, templates: TemplateSet, logger: Logger) async throws {
        let descriptors = DescriptorBudget.raiseLimit()
        let perListener = DescriptorBudget.listenerCapacity(limit: Int(clamping: descriptors.limit))
        let raised = descriptors.raisedFrom.map { " (raised from \($0))" } ?? ""
        logger.info("descriptor limit \(descriptors.limit)\(raised); each listener holds at most \(perListener) connections, \(DescriptorBudget.reserve) kept for checks, actions and deliveries")
        let agent = try await FailoverAgent.start(config: config, templates: templates, logger: logger)
        let control = try await ControlServer.bind(config.control, agent: agent, logger: logger)
        let http = try await config.loadBalancer.http.asyncMap { try await HTTPEndpoint.bind($0, source: agent, logger: logger) }
        let agentCheck = try await config.loadBalancer.agentCheck.asyncMap {
            try await AgentCheckResponder.bind($0, source: agent, logger: logger)
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: AgentService(agent: agent, control: control, http: http, agentCheck: agentCheck))],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
    }
}

extension Optional {
    fileprivate func asyncMap<Mapped>(_ transform: (Wrapped) async throws -> Mapped) async throws -> Mapped? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
