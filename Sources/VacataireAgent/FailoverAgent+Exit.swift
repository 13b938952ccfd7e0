import VacataireCore

extension FailoverAgent {
    /// On SIGTERM, before anything else stops: tells the machine the agent is exiting and
    /// waits until no transition is in flight (`FailoverMachine.mayExit`), so that a handoff,
    /// a take-over or a stop under way is finished rather than left half done. The
    /// listeners (the load balancers' view) and the peer link keep running meanwhile. Bounded
    /// by the longest a transition may take with this configuration (`exitDeadline`).
    public func exitWhenSettled() async {
        apply(machine.exitRequested(now: now()))
        let deadline = clock.now + exitDeadline
        while !machine.mayExit, clock.now < deadline {
            await sleep(until: deadline, orWhen: changeBell)
        }
        if machine.mayExit {
            logger.notice("agent stopping: nothing in flight (\(machine.stateName.rawValue), epoch \(machine.epoch))")
        } else {
            let why = "agent stopping with a \(machine.stateName.rawValue) still in flight after \(exitDeadline.humanSeconds): \(machine.lastReason)"
            logger.error("\(why)")
            record(.agent, reason: why)
        }
    }

    /// The longest a transition may take: an admin change's wait (every handoff attempt and
    /// the start), then the verification, the two steps of draining and the stop.
    var exitDeadline: Duration {
        .milliseconds(Int64((defaultWait + failover.stop.timeout.seconds) * 1000))
            + machine.settings.verifyTimeout + machine.settings.drain * 2
    }
}
