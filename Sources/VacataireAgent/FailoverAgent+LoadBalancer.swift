import Foundation
import VacataireCore
import VacatairePeer

extension FailoverAgent {
    /// What load balancers are told about this node now (`/health`, agent-check).
    public func servingVerdict() -> ServingVerdict {
        let view = coordinator.loadBalancerView(at: now())
        var verdict = ServingVerdict(state: view.state, role: view.role, healthy: view.healthy, up: view.up)
        if stateNotWritable != nil { verdict.word += ", state not writable" }
        return verdict
    }

    /// `/metrics`: the agent's state copied into the gauges, rendered as Prometheus text.
    public func metricsText() async -> String {
        let checks = await scheduler.snapshot()
        let statistics = await link?.statistics() ?? PeerLinkStatistics()
        let backlog = await storeAnswer("read the outbox's backlog") { try $0.outboxBacklog() }
        // Never heard: silent since the agent started (the machine's clock starts at zero).
        let silence = coordinator.peerStatus(at: now()).lastHeard ?? now().since(MonotonicInstant(nanoseconds: 0))
        let snapshot = AgentMetricsSnapshot(
            role: coordinator.role.told, state: coordinator.stateName, healthy: coordinator.health?.healthy == true,
            epoch: coordinator.epoch, peerLastHeardSeconds: silence.seconds,
            checks: checks, rejections: statistics.validation.byReason, heartbeatCopies: statistics.heartbeatCopiesSent,
            datagramsSent: statistics.datagramsSent, datagramsReceived: statistics.datagramsReceived,
            etcdRequests: UInt64(leaseLink?.requestCount ?? 0),
            addresses: addresses?.holdings.map { ($0.address.address.description, $0.held) } ?? [],
            outboxPending: (backlog?.pending ?? 0) + (outbox.deliveriesInMemory), outboxExpired: backlog?.expired ?? 0,
            outboxOldestPendingSeconds: backlog?.oldestPending.map { max(0, clock.date.timeIntervalSince($0)) } ?? 0
        )
        return metrics.render(snapshot)
    }
}
