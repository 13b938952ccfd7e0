import Logging
import ServiceLifecycle
import UnixSignals
import VacataireCore
import VacataireNotify

/// `vacataire run` as one swift-service-lifecycle `ServiceGroup` (Docs/architecture.md,
/// "Effects"): the agent (the failover machine with its peer link, checks, outbox and
/// effects, `FailoverAgent.run`), the control socket, when configured the load balancers'
/// HTTP endpoint and agent-check port, the systemd notifier, SIGHUP's reload, and the
/// finishing of a transition in flight, each a service. SIGTERM and SIGINT shut them down
/// gracefully in reverse order: first a handoff, take-over or stop under way is finished
/// (`exitWhenSettled`), then reload, systemd, listeners, and the agent last (a settled
/// service is left as it is).
public enum AgentService {
    /// Starts the agent for `config` and runs it until SIGTERM or SIGINT.
    public static func runUntilStopped(config: Config, templates: TemplateSet, logger: Logger) async throws {
        let loop = AgentLoop()
        try await loop.run { try await runServices(config: config, templates: templates, logger: logger, loop: loop) }
    }

    /// The agent's services, every one of their tasks on `loop`.
    private static func runServices(config: Config, templates: TemplateSet, logger: Logger, loop: AgentLoop) async throws {
        let descriptors = DescriptorBudget.raiseLimit()
        let perListener = DescriptorBudget.listenerCapacity(limit: Int(clamping: descriptors.limit))
        let raised = descriptors.raisedFrom.map { " (raised from \($0))" } ?? ""
        logger.info("descriptor limit \(descriptors.limit)\(raised); each listener holds at most \(perListener) connections, \(DescriptorBudget.reserve) kept for checks, actions and deliveries")
        let agent = try await FailoverAgent.start(config: config, templates: templates, logger: logger, eventLoopGroup: loop.eventLoop)
        let control: ControlServer?
        do {
            control = try await ControlServer.bind(config.control, agent: agent, logger: logger)
        } catch let error as ControlServer.ControlSocketUnavailable {
            logger.critical("\(error); running without it: `vacataire status` and the other commands cannot reach this agent until it is restarted with a usable control.socket")
            control = nil
        }
        let http = try await config.loadBalancer.http.asyncMap { try await HTTPEndpoint.bind($0, source: agent, logger: logger) }
        let agentCheck = try await config.loadBalancer.agentCheck.asyncMap {
            try await AgentCheckResponder.bind($0, source: agent, logger: logger)
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: CancelledAtShutdown({
                await agent.recordUncleanPreviousStop()
                await agent.run()
            }, then: { await agent.closeStore() }), serviceName: "agent"),
        ]
        if let control {
            // A listener that stops on an error is logged; the agent goes on without it.
            services.append(.init(service: ListenerPart(run: { await control.run() }, stop: { control.stopAccepting() }),
                                  successTerminationBehavior: .ignore, serviceName: "control socket"))
        }
        if let http {
            services.append(.init(service: ListenerPart(run: { await http.run() }, stop: { http.stopAccepting() }),
                                  successTerminationBehavior: .ignore, serviceName: "HTTP endpoint"))
        }
        if let agentCheck {
            services.append(.init(service: ListenerPart(run: { await agentCheck.run() }, stop: { agentCheck.stopAccepting() }),
                                  successTerminationBehavior: .ignore, serviceName: "agent-check"))
        }
        services.append(.init(service: CancelledAtShutdown { await agent.notifySystemd() }, successTerminationBehavior: .ignore, serviceName: "systemd"))
        services.append(.init(service: CancelledAtShutdown { await StartupPages.releaseWhileRunning(clock: agent.clock, activity: agent.activity, logger: logger) },
                              successTerminationBehavior: .ignore, serviceName: "startup pages"))
        services.append(.init(service: CancelledAtShutdown {
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                await agent.reload()
            }
        }, successTerminationBehavior: .ignore, serviceName: "reload on SIGHUP"))
        // Listed last, so shut down first: a transition in flight is finished while the
        // listeners and the peer link still run.
        services.append(.init(service: FinishInFlight(agent: agent), successTerminationBehavior: .ignore,
                              serviceName: "finish the transition in flight"))
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// One part of the daemon as a service: runs `body` until the group shuts down gracefully
/// (which cancels it), then `then` (closing a listener).
struct CancelledAtShutdown: Service {
    let body: @Sendable () async -> Void
    let then: @Sendable () async -> Void

    init(_ body: @escaping @Sendable () async -> Void, then: @escaping @Sendable () async -> Void = {}) {
        self.body = body
        self.then = then
    }

    func run() async throws {
        await cancelWhenGracefulShutdown(body)
        await then()
    }
}

/// A listener (control socket, HTTP endpoint, agent-check port): at the graceful shutdown it
/// stops accepting, serves what it already accepted and returns; it is never cancelled.
struct ListenerPart: Service {
    let serve: @Sendable () async -> Void
    let stop: @Sendable () -> Void

    init(run serve: @escaping @Sendable () async -> Void, stop: @escaping @Sendable () -> Void) {
        self.serve = serve
        self.stop = stop
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await serve()
        } onGracefulShutdown: {
            stop()
        }
    }
}

/// Waits for the graceful shutdown, then finishes the transition in flight before the
/// services listed before it stop (it is not cancelled by the shutdown, unlike `CancelledAtShutdown`).
struct FinishInFlight: Service {
    let agent: FailoverAgent

    func run() async throws {
        try await gracefulShutdown()
        await agent.exitWhenSettled()
    }
}

extension Optional {
    fileprivate func asyncMap<Mapped>(_ transform: (Wrapped) async throws -> Mapped) async throws -> Mapped? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
