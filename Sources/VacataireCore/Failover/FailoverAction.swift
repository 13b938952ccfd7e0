/// One thing the daemon must do, returned by a `FailoverMachine` input, in order.
///
/// Execute them in the order given: `.persist` always comes before the start, stop or
/// send that depends on it. Actions that need an answer are answered with another input:
/// `.runStartActions`/`.runStopActions` by `actionFinished`, `.probeGuard` by
/// `guardAnswered`, `.fencePeer` by `fenceFinished`.
public enum FailoverAction: Sendable, Equatable {
    /// Write role and epoch durably before doing anything that follows.
    case persist(PersistedFailoverState)
    /// Send a message to the peer on every configured path.
    case send(FailoverMessage)
    /// Run the `start` action command (with its timeout) and report with `actionFinished(.start, ...)`.
    case runStartActions(ServiceActionContext)
    /// Run the `stop` action command (with its timeout) and report with `actionFinished(.stop, ...)`.
    case runStopActions(ServiceActionContext)
    /// Probe the witness and/or the peer's service; report with `guardAnswered`.
    case probeGuard(GuardProbe)
    /// Run the fence command against the peer; report with `fenceFinished`.
    case fencePeer(reason: String)
    /// Open an incident (reminded until acknowledged). Both nodes may raise the same id;
    /// `paged`: this node sends the page (who pages is decided here, Docs/notifications.md);
    /// otherwise it only records it and the peer pages. `failing`: the failing node's
    /// critical checks with their output, for the page.
    case raiseIncident(IncidentID, EventKind, reason: String, paged: Bool, failing: [FailingCheck])
    /// Record that an incident was acknowledged (locally or by the peer); stop re-paging.
    /// `expiresIn`: reminders resume after this long (nil: until the incident is closed);
    /// `via`: the peer's name when the acknowledgement was made there.
    case acknowledgeIncident(IncidentID, author: String, comment: String?, expiresIn: Duration? = nil, via: String? = nil)
    /// Close an incident: the situation it paged about is over.
    case closeIncident(IncidentID, reason: String)
    /// Send an event that opens no incident (peer-found, failback, acknowledged, ...).
    case notify(EventKind, incident: IncidentID?, reason: String)
    /// The pages of `kind` about `incident` this node has not delivered yet are no longer
    /// news (a node cut off from its peer and its mail server, which found its peer again):
    /// they are not sent; what they said is told in the incident's next message from here.
    case foldUndelivered(EventKind, incident: IncidentID, because: String)
    /// The peer confirmed delivering a page of `incident`: this node need not page it.
    case peerDelivered(IncidentID)
    /// The state changed; log the reason and put it in the event history.
    case transition(from: FailoverStateName, to: FailoverStateName, reason: String)
    /// Take the floating addresses: probe that no other host answers for them (waiting up
    /// to `waitFree` for the old holder to let them go), add them, announce them. Answered
    /// with `CoordinatorInput.addressesClaimed`. `overPeer`: the peer is gone (its agent
    /// silent and its service down), so an answer from the peer's own hardware address is
    /// its kernel's leftover, taken over; any other host's answer is a conflict.
    case claimAddresses(waitFree: Duration, overPeer: Bool)
    /// Let the floating addresses go (before the stop actions, at start when not active).
    case releaseAddresses(reason: String)
    /// A request to the consensus store (lease coordinators only); answered with
    /// `CoordinatorInput.lease`.
    case lease(LeaseRequest)
    /// The answer to an admin command, for the control socket.
    case answerAdmin(accepted: Bool, reason: String)
}
