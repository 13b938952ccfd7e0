import Foundation
import VacataireChecks
import VacataireCore
import VacataireStore

extension FailoverAgent {
    /// How often the subagent's slower figures (delivery counts, pending deliveries, check
    /// outputs) are refreshed; roles, incidents and check states are published as they change.
    static let snmpRefreshInterval: Duration = .seconds(5)

    /// With `snmp_agent:` configured, starts the AgentX subagent on its own thread and keeps
    /// its status current until the agent stops; without it, returns at once. A subagent
    /// that cannot start is logged and the failover goes on without it.
    func runSNMPAgent() async {
        guard let settings = config.snmpAgent else { return }
        let transitions = scheduler.transitions()
        snmpStatus.open(SNMPStatus(node: config.node.name, cluster: config.node.cluster, peerName: failover.peer.name, startedAt: clock.date))
        publishSNMPStatus(after: [])
        await refreshSNMPStatus()
        let subagent: SNMPSubagent
        do {
            subagent = try SNMPSubagent.start(settings, config: config, board: snmpStatus, clock: clock, logger: logger)
        } catch {
            logger.error("\(error.description); the failover goes on, but the NMS cannot poll this node")
            return
        }
        defer { subagent.stop() }
        // Incidents open before this start: read once through the store thread.
        let restored = await storeAnswer("read the open incidents for the AgentX subagent") { try $0.openIncidents() } ?? []
        snmpStatus.update { $0.restore(restored.map(Self.snmpIncident)) }
        await withDiscardingTaskGroup { group in
            group.addTask(priority: .utility) {
                for await transition in transitions { self.snmpCheckChanged(transition) }
            }
            group.addTask(priority: .utility) {
                while !Task.isCancelled {
                    try? await self.clock.sleep(until: self.clock.now + Self.snmpRefreshInterval)
                    if Task.isCancelled { break }
                    await self.refreshSNMPStatus()
                }
            }
        }
    }

    /// Publishes what an applied action list changed (role, state, epoch, peer, the last
    /// transition, incidents); costs nothing while no subagent runs.
    func publishSNMPStatus(after actions: [FailoverAction]) {
        guard snmpStatus.isOpen else { return }
        let date = clock.date
        let peer = coordinator.peerStatus(at: now())
        let role = coordinator.role.rawValue
        let state = coordinator.stateName.rawValue
        let epoch = coordinator.epoch
        snmpStatus.update { status in
            status.record(actions, at: date)
            status.setNode(role: role, state: state, epoch: epoch, peer: peer, at: date)
        }
    }

    /// A check's new health, as the scheduler reported it.
    nonisolated func snmpCheckChanged(_ transition: CheckTransition) {
        snmpStatus.update { status in
            guard let index = status.checks.firstIndex(where: { $0.name == transition.check }) else { return }
            status.checks[index].state = transition.to.rawValue
            status.checks[index].output = transition.result.message
            status.checks[index].since = transition.at
        }
    }

    /// The checks' latest outputs, the destinations' counts and the outbox's pending
    /// deliveries (read through the store thread, within its deadline).
    func refreshSNMPStatus() async {
        let checks = await scheduler.snapshot()
        let counts = metrics.destinationCounts
        let names = outbox.currentSender().destinationKeys
        let pending = await storeAnswer("read the pending deliveries for the AgentX subagent") { try $0.outboxPendingByDestination() }
        snmpStatus.update { status in
            let since = Dictionary(status.checks.map { ($0.name, $0.since) }) { first, _ in first }
            status.checks = checks.map { check in
                SNMPStatus.Check(
                    name: check.name, scope: check.scope.rawValue, state: check.health.rawValue,
                    output: check.latest?.message ?? "", since: since[check.name] ?? nil)
            }
            let before = Dictionary(status.destinations.map { ($0.name, $0.pending) }) { first, _ in first }
            status.destinations = names.map { name in
                SNMPStatus.Destination(
                    name: name, sent: counts[name]?.sent ?? 0, failed: counts[name]?.failed ?? 0,
                    pending: pending.map { $0[name] ?? 0 } ?? before[name] ?? 0)
            }
        }
    }

    static func snmpIncident(_ record: IncidentRecord) -> SNMPStatus.Incident {
        SNMPStatus.Incident(
            id: record.id.description, event: record.kind.rawValue, opened: record.openedAt,
            ackAuthor: record.acknowledgement?.author, ackTime: record.acknowledgement?.time, closed: !record.isOpen)
    }
}
