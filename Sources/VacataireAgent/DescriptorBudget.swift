import Foundation

/// The daemon's file descriptors: it raises its soft limit to the hard limit at start
/// (systemd's default soft limit is 1024; Config/vacataire.service sets LimitNOFILE) and
/// keeps `reserve` of them for its own work — checks, start and stop actions, the fence
/// command, deliveries, the store — by bounding what its listeners may hold
/// (`ConnectionSlots`). So clients, idle or not, can never take the descriptors that the
/// failover itself needs.
enum DescriptorBudget {
    /// Descriptors kept for the daemon's own work, whatever clients do.
    static let reserve = 256
    /// The most connections one listener holds, however high the limit.
    static let maximumPerListener = 256
    /// The fewest connections one listener holds, however low the limit.
    static let minimumPerListener = 8
    /// Listeners that share what is left: control socket, HTTP endpoint, agent-check port.
    static let listeners = 3

    /// Raises the soft RLIMIT_NOFILE to the hard limit; returns the limit now in force
    /// and whether it was raised, for the start log line.
    @discardableResult
    static func raiseLimit() -> (limit: UInt64, raisedFrom: UInt64?) {
        var limits = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0 else { return (UInt64(currentLimit()), nil) }
        let soft = UInt64(limits.rlim_cur)
        guard limits.rlim_cur < limits.rlim_max else { return (soft, nil) }
        var raised = limits
        raised.rlim_cur = limits.rlim_max
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 else { return (soft, nil) }
        return (UInt64(raised.rlim_cur), soft)
    }

    /// The soft descriptor limit in force.
    static func currentLimit() -> Int {
        var limits = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0 else { return 1024 }
        return Int(clamping: UInt64(limits.rlim_cur))
    }

    /// How many connections each listener may hold under `limit`, leaving `reserve`.
    static func listenerCapacity(limit: Int = currentLimit()) -> Int {
        let share = (limit - reserve) / listeners
        return min(maximumPerListener, max(minimumPerListener, share))
    }
}
