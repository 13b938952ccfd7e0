extension FailoverMachine {
    /// SIGTERM (`systemctl stop`, an upgrade): the agent is asked to exit. A node in a
    /// settled state may exit at once, its service left as it is. A transition in flight is
    /// finished first, bounded by its own timeouts: a handoff the peer carries out, a
    /// take-over under way (start, verify, the peer's stop), a stop; so that an agent that
    /// leaves never leaves two services running, nor none. Meanwhile the node begins nothing
    /// new: no handoff, no takeover, and peer requests and admin moves are refused.
    public mutating func exitRequested(now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        exiting = true
        if mayExit {
            lastReason = "agent stopping: nothing in flight; the service is left as it is"
        } else {
            let reason = "agent stopping: finishing the \(stateName.rawValue) in flight first"
            actions.append(.transition(from: stateName, to: stateName, reason: reason))
            lastReason = reason
        }
        return actions
    }

    /// Whether the agent may exit now: no transition is in flight.
    public var mayExit: Bool {
        switch state {
        case .starting, .standby, .active, .failed, .maintenance: return true
        case .handingOff, .takingOver, .quiescing: return false
        }
    }
}
