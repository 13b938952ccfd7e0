import VacataireCore

extension FailoverAgent {
    /// On SIGTERM, before anything else stops: tells the machine the agent is exiting and
    /// waits until no transition is in flight (`Coordinator.mayExit`), so that a handoff,
    /// a take-over or a stop under way is finished rather than left half done. The
    /// listeners (the load balancers' view) and the peer link keep running meanwhile. Bounded
    /// by the longest a transition may take with this configuration (`Coordinator.exitDeadline`).
    public func exitWhenSettled() async {
        apply(coordinator.handle(.exitRequested, now: now()))
        let deadline = clock.now + coordinator.exitDeadline
        while !coordinator.mayExit, clock.now < deadline {
            await sleep(until: deadline, orWhen: changeBell)
        }
        if coordinator.mayExit {
            logger.notice("agent stopping: nothing in flight (\(coordinator.stateName.rawValue), epoch \(coordinator.epoch))")
        } else {
            let why = "agent stopping with a \(coordinator.stateName.rawValue) still in flight after \(coordinator.exitDeadline.humanSeconds): \(coordinator.lastReason)"
            logger.error("\(why)")
            record(.agent, reason: why)
        }
    }
}
