/// Why `vacataire drill` will not start, each naming what to fix first.
public enum DrillRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// The node runs a lease (mode etcd): the drill moves the service within a pair.
    case leaseMode
    /// No `failover.service_probe`: the drill checks each leg through the load balancer's view.
    case noServiceProbe
    /// A drill already runs on this node.
    case alreadyRunning
    /// This node is in maintenance.
    case maintenance
    /// This node's checks do not pass.
    case unhealthy(String)
    /// The peer is not heard.
    case peerSilent(String)
    /// The peer says its checks fail, or it is failed.
    case peerUnhealthy(String, role: ServiceRole?)
    /// Incidents are open (their ids).
    case incidentsOpen([String])
    /// Neither a serving node with a standby peer nor the other way round (a move under way).
    case unsettled(state: FailoverStateName, peerRole: ServiceRole?)

    public var description: String {
        switch self {
        case .leaseMode:
            return "a drill moves the service within a pair; this node runs a lease (failover.etcd): use `vacataire switchover` to move it"
        case .noServiceProbe:
            return "no failover.service_probe: the drill checks each leg through the load balancer's view of the peer's service; set it, then run the drill again"
        case .alreadyRunning:
            return "a drill already runs on this node; wait for its report (`vacataire events`)"
        case .maintenance:
            return "maintenance is on; turn it off first (`vacataire maintenance off`)"
        case .unhealthy(let summary):
            return "my checks are not healthy (\(summary)); repair them (`vacataire status`), then run the drill again"
        case .peerSilent(let peer):
            return "\(peer) is silent; a drill needs both nodes talking (check the peer link and \(peer)'s agent)"
        case .peerUnhealthy(let peer, let role):
            let what = role == .failed ? "is failed (repair it, then `vacataire ready` on it)" : "is not healthy (repair its checks)"
            return "\(peer) \(what); a drill needs both nodes healthy"
        case .incidentsOpen(let ids):
            return "incident(s) open: \(ids.joined(separator: ", ")); settle them first (`vacataire failback`, `vacataire ready`) so that a drill is not mistaken for them"
        case .unsettled(let state, let peerRole):
            return "I am \(state.rawValue) and the peer is \(peerRole?.rawValue ?? "unknown"); a drill starts from one node serving and the other standing by: wait until the pair settles"
        }
    }
}
