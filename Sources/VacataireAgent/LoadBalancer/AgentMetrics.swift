import CoreMetrics
import Foundation
import Prometheus
import Synchronization
import VacataireChecks
import VacataireCore
import VacatairePeer

/// The agent's Prometheus metrics (Docs/load-balancers.md lists them), in a registry of
/// its own, so that two agents in one process (the tests) never share a series.
///
/// Events are counted as they happen through swift-metrics counters backed by this
/// registry (transitions, notifications); the state (role, epoch, checks, peer) is copied
/// into gauges when `/metrics` is scraped, from one snapshot of the agent.
public final class AgentMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let transitions: CoreMetrics.Counter
    private let stateWritesFailed: CoreMetrics.Counter
    private let notificationsSent: CoreMetrics.Counter
    private let notificationsFailed: CoreMetrics.Counter
    private let rejected: [PeerRejectionReason: CoreMetrics.Counter]
    private let rejectedSeen = Mutex<[PeerRejectionReason: UInt64]>([:])
    private let heartbeatCopies: CoreMetrics.Counter
    private let heartbeatCopiesSeen = Mutex<UInt64>(0)
    private let datagramsSent: CoreMetrics.Counter
    private let datagramsReceived: CoreMetrics.Counter
    private let datagramsSeen = Mutex<(sent: UInt64, received: UInt64)>((0, 0))
    private let etcdRequests: CoreMetrics.Counter
    private let etcdRequestsSeen = Mutex<UInt64>(0)
    private let role: [ServiceRole: Prometheus.Gauge]
    private let state: [FailoverStateName: Prometheus.Gauge]
    private let healthy: Prometheus.Gauge
    private let epoch: Prometheus.Gauge
    private let peerLastHeard: Prometheus.Gauge
    private let outboxPending: Prometheus.Gauge
    private let outboxExpired: Prometheus.Gauge
    private let outboxOldestPending: Prometheus.Gauge
    private let checkHealthy: [String: Prometheus.Gauge]
    private let checkDuration: [String: Prometheus.Gauge]
    private let addressHeld: [String: Prometheus.Gauge]
    /// The last drill's figures (`vacataire drill`), kept until the next one.
    private let drill: DrillGauges
    /// Deliveries by destination (`email:NAME`), for the subagent's destination table.
    private let byDestination = Mutex<[String: DestinationCounts]>([:])

    /// One destination's deliveries since the agent started.
    struct DestinationCounts: Sendable, Equatable {
        var sent: UInt64 = 0
        var failed: UInt64 = 0
    }

    public init(checks: [String], addresses: [String] = []) {
        let factory = PrometheusMetricsFactory(registry: registry)
        transitions = CoreMetrics.Counter(label: "vacataire_transitions_total", factory: factory)
        stateWritesFailed = CoreMetrics.Counter(label: "vacataire_state_write_failures_total", factory: factory)
        notificationsSent = CoreMetrics.Counter(label: "vacataire_notifications_total", dimensions: [("result", "sent")], factory: factory)
        notificationsFailed = CoreMetrics.Counter(label: "vacataire_notifications_total", dimensions: [("result", "failed")], factory: factory)
        var rejected: [PeerRejectionReason: CoreMetrics.Counter] = [:]
        for reason in PeerRejectionReason.allCases {
            rejected[reason] = CoreMetrics.Counter(
                label: "vacataire_peer_rejected_datagrams_total", dimensions: [("reason", reason.rawValue)], factory: factory)
        }
        self.rejected = rejected
        heartbeatCopies = CoreMetrics.Counter(label: "vacataire_peer_heartbeat_copies_total", factory: factory)
        datagramsSent = CoreMetrics.Counter(label: "vacataire_peer_datagrams_total", dimensions: [("direction", "sent")], factory: factory)
        datagramsReceived = CoreMetrics.Counter(label: "vacataire_peer_datagrams_total", dimensions: [("direction", "received")], factory: factory)
        etcdRequests = CoreMetrics.Counter(label: "vacataire_etcd_requests_total", factory: factory)
        let registry = registry
        role = Dictionary(uniqueKeysWithValues: ServiceRole.allCases.map { role in
            (role, Self.gauge(registry, "role", "", help: "1 for the node's current role, 0 for the others", labels: [("role", role.rawValue)]))
        })
        state = Dictionary(uniqueKeysWithValues: FailoverStateName.allCases.map { state in
            (state, Self.gauge(registry, "state", "", help: "1 for the state machine's current state, 0 for the others", labels: [("state", state.rawValue)]))
        })
        healthy = Self.gauge(registry, "healthy", "", help: "1 when every critical check passes, else 0")
        outboxPending = Self.gauge(registry, "outbox_pending", "", help: "Notification deliveries not yet accepted by their server")
        outboxExpired = Self.gauge(registry, "outbox_expired", "", help: "Notification deliveries given up after outbox.max_age")
        outboxOldestPending = Self.gauge(registry, "outbox_oldest_pending", "seconds",
                                         help: "Age of the oldest notification the outbox still owes (0 when none)")
        epoch = Self.gauge(registry, "epoch", "", help: "The pair's epoch as this node knows it; every role change increments it")
        peerLastHeard = Self.gauge(registry, "peer_last_heard", "seconds",
                                   help: "Seconds since the peer's last valid message (since the agent started, if never)")
        checkHealthy = Dictionary(checks.map { name in
            (name, Self.gauge(registry, "check_healthy", "", help: "1 healthy, 0 failing, -1 no result yet (after rise and fall)",
                               labels: [("check", name)]))
        }) { first, _ in first }
        addressHeld = Dictionary(addresses.map { address in
            (address, Self.gauge(registry, "floating_address_held", "", help: "1 when this node holds the floating address, else 0",
                                 labels: [("address", address)]))
        }) { first, _ in first }
        drill = DrillGauges(registry)
        checkDuration = Dictionary(checks.map { name in
            (name, Self.gauge(registry, "check_duration", "seconds", help: "How long the check's latest run took",
                               labels: [("check", name)]))
        }) { first, _ in first }
    }

    /// A gauge `vacataire_NAME[_UNIT]` with its help line.
    private static func gauge(
        _ registry: PrometheusCollectorRegistry, _ name: String, _ unit: String, help: String, labels: [(String, String)] = []
    ) -> Prometheus.Gauge {
        let descriptor = MetricNameDescriptor(namespace: "vacataire", metricName: name, unitName: unit, helpText: help)
        return registry.makeGauge(descriptor: descriptor, labels: labels)
    }

    /// A drill reported: its figures replace the last one's.
    func drillFinished(_ report: DrillReport, at date: Date) {
        drill.set(report, at: date)
    }

    /// One role change of the coordinator.
    func transitioned() {
        transitions.increment()
    }

    /// A write of the role and epoch to the state directory failed.
    func stateWriteFailed() {
        stateWritesFailed.increment()
    }

    /// One notification delivery to one destination.
    func notification(succeeded: Bool, destination: String) {
        (succeeded ? notificationsSent : notificationsFailed).increment()
        byDestination.withLock { counts in
            if succeeded { counts[destination, default: DestinationCounts()].sent += 1 } else { counts[destination, default: DestinationCounts()].failed += 1 }
        }
    }

    /// The deliveries counted so far, by destination.
    var destinationCounts: [String: DestinationCounts] {
        byDestination.withLock { $0 }
    }

    /// Copies the agent's state into the gauges and the peer link's rejection counts into
    /// the counters, then renders the registry as Prometheus text.
    func render(_ snapshot: AgentMetricsSnapshot) -> String {
        for (role, gauge) in role { gauge.set(to: role == snapshot.role ? 1 : 0) }
        for (state, gauge) in state { gauge.set(to: state == snapshot.state ? 1 : 0) }
        healthy.set(to: snapshot.healthy ? 1 : 0)
        epoch.set(to: Double(snapshot.epoch))
        peerLastHeard.set(to: snapshot.peerLastHeardSeconds)
        outboxPending.set(to: Double(snapshot.outboxPending))
        outboxExpired.set(to: Double(snapshot.outboxExpired))
        outboxOldestPending.set(to: snapshot.outboxOldestPendingSeconds)
        for check in snapshot.checks {
            let value: Double = switch check.health {
            case .healthy: 1
            case .failing: 0
            case .pending: -1
            case .idle: -2  // a service check where the service is off
            }
            checkHealthy[check.name]?.set(to: value)
            if let latest = check.latest {
                checkDuration[check.name]?.set(to: latest.seconds)
            }
        }
        rejectedSeen.withLock { seen in
            for (reason, count) in snapshot.rejections {
                let before = seen[reason] ?? 0
                if count > before {
                    rejected[reason]?.increment(by: Int64(clamping: count - before))
                }
                seen[reason] = count
            }
        }
        heartbeatCopiesSeen.withLock { seen in
            if snapshot.heartbeatCopies > seen {
                heartbeatCopies.increment(by: Int64(clamping: snapshot.heartbeatCopies - seen))
            }
            seen = snapshot.heartbeatCopies
        }
        datagramsSeen.withLock { seen in
            if snapshot.datagramsSent > seen.sent { datagramsSent.increment(by: Int64(clamping: snapshot.datagramsSent - seen.sent)) }
            if snapshot.datagramsReceived > seen.received {
                datagramsReceived.increment(by: Int64(clamping: snapshot.datagramsReceived - seen.received))
            }
            seen = (max(seen.sent, snapshot.datagramsSent), max(seen.received, snapshot.datagramsReceived))
        }
        for (address, held) in snapshot.addresses { addressHeld[address]?.set(to: held ? 1 : 0) }
        etcdRequestsSeen.withLock { seen in
            if snapshot.etcdRequests > seen { etcdRequests.increment(by: Int64(clamping: snapshot.etcdRequests - seen)) }
            seen = max(seen, snapshot.etcdRequests)
        }
        return registry.emitToString()
    }
}

/// What `/metrics` shows of the agent, copied out of the actor in one step.
struct AgentMetricsSnapshot: Sendable {
    var role: ServiceRole
    var state: FailoverStateName
    var healthy: Bool
    var epoch: UInt64
    var peerLastHeardSeconds: Double
    var checks: [CheckSnapshot]
    var rejections: [(reason: PeerRejectionReason, count: UInt64)]
    /// Heartbeats the peer link repeated because the agent was late (`HeartbeatRefill`).
    var heartbeatCopies: UInt64 = 0
    /// Datagrams the peer link sent and received (every path, copies included).
    var datagramsSent: UInt64 = 0
    var datagramsReceived: UInt64 = 0
    /// Requests sent to etcd (mode etcd): keepalives, key writes, the watch's reads.
    var etcdRequests: UInt64 = 0
    /// Each floating address and whether this node holds it.
    var addresses: [(String, Bool)] = []
    var outboxPending: Int
    var outboxExpired: Int
    var outboxOldestPendingSeconds: Double = 0
}
