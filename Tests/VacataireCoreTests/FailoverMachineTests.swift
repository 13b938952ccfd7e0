import XCTest
@testable import VacataireCore

/// Single-machine tests: each input crafted by hand, each rule of Docs/failover.md.
final class FailoverMachineTests: XCTestCase {
    // MARK: - Starting

    func testMasterLearnsPeerThenActivatesAtNextEpochPersistingFirst() {
        var master = FailoverMachine(settings: failoverSettings(.master), persisted: nil, now: at(0))
        let boot = master.boot(now: at(0))
        XCTAssertEqual(boot.heartbeats.first?.role, .starting)
        XCTAssertEqual(master.stateName, .starting)
        XCTAssertTrue(master.healthChanged(.healthy, now: at(0)).isEmpty, "no peer heard yet: keep learning")
        let actions = master.received(msg(.heartbeat, epoch: 0, role: .standby), now: at(0.2))
        XCTAssertEqual(actions.persisted, [PersistedFailoverState(role: .active, epoch: 1)])
        XCTAssertTrue(actions.startsService)
        actions.assertPersistFirst()
        XCTAssertEqual(master.stateName, .takingOver)
        XCTAssertEqual(master.advertisedRole, .takingOver)
        let started = master.actionFinished(.start, .succeeded, now: at(1))
        XCTAssertEqual(started.transitions.last?.1, .active)
        XCTAssertEqual(master.epoch, 1)
    }

    func testStartingWaitsForAHealthVerdict() {
        var master = FailoverMachine(settings: failoverSettings(.master), persisted: nil, now: at(0))
        _ = master.boot(now: at(0))
        _ = master.received(msg(.heartbeat, epoch: 0, role: .standby), now: at(0.2))
        XCTAssertEqual(master.stateName, .starting)
        XCTAssertFalse(master.tick(now: at(10)).startsService)
        _ = master.received(msg(.heartbeat, epoch: 0, role: .standby), now: at(10))
        XCTAssertTrue(master.healthChanged(.healthy, now: at(10.1)).startsService)
    }

    func testStandbyLearnsActiveMasterAndAdoptsItsEpoch() {
        var standby = FailoverMachine(settings: failoverSettings(.standby), persisted: PersistedFailoverState(role: .standby, epoch: 3), now: at(0))
        _ = standby.boot(now: at(0))
        _ = standby.healthChanged(.healthy, now: at(0))
        let actions = standby.received(msg(.heartbeat, epoch: 5, role: .active), now: at(0.2))
        XCTAssertEqual(actions.persisted, [PersistedFailoverState(role: .standby, epoch: 5)])
        XCTAssertEqual(standby.stateName, .standby)
        XCTAssertFalse(actions.startsService)
    }

    func testMasterNeverStartsWhileItsChecksFail() {
        var master = FailoverMachine(settings: failoverSettings(.master), persisted: nil, now: at(0))
        _ = master.boot(now: at(0))
        _ = master.healthChanged(failing, now: at(0))
        let actions = master.received(msg(.heartbeat, epoch: 0, role: .standby), now: at(0.2))
        XCTAssertFalse(actions.startsService)
        XCTAssertEqual(master.stateName, .failed, "nobody serves and I cannot: fail so the standby takes over")
        XCTAssertEqual(master.role, .failed)
    }

    func testRestartedFailedMasterDoesNotTakeItsServiceBack() {
        for peerRole in [ServiceRole.standby, .failed, .starting] {
            var master = FailoverMachine(settings: failoverSettings(.master), persisted: PersistedFailoverState(role: .failed, epoch: 2), now: at(0))
            _ = master.boot(now: at(0))
            _ = master.healthChanged(.healthy, now: at(0))
            let actions = master.received(msg(.heartbeat, epoch: 2, role: peerRole), now: at(0.2))
            XCTAssertFalse(actions.startsService, "peer \(peerRole)")
            XCTAssertEqual(master.stateName, .failed)
            XCTAssertFalse(master.tick(now: at(30)).startsService)
        }
        // Nobody heard at all: still failed.
        var lonely = FailoverMachine(settings: failoverSettings(.master), persisted: PersistedFailoverState(role: .failed, epoch: 2), now: at(0))
        _ = lonely.boot(now: at(0))
        _ = lonely.healthChanged(.healthy, now: at(0))
        XCTAssertFalse(lonely.tick(now: at(4)).startsService)
        XCTAssertEqual(lonely.stateName, .failed)
    }

    func testRestartWhileActiveResumesWhenPeerIsStandby() {
        var master = FailoverMachine(settings: failoverSettings(.master), persisted: PersistedFailoverState(role: .active, epoch: 4), now: at(0))
        _ = master.boot(now: at(0))
        _ = master.healthChanged(.healthy, now: at(0))
        let actions = master.received(msg(.heartbeat, epoch: 4, role: .standby), now: at(0.2))
        XCTAssertTrue(actions.startsService)
        XCTAssertEqual(master.epoch, 4, "resuming is not a role change")
    }

    func testRestartWhileActiveStepsDownWhenPeerIsActiveAtNewerEpoch() {
        var master = FailoverMachine(settings: failoverSettings(.master), persisted: PersistedFailoverState(role: .active, epoch: 4), now: at(0))
        _ = master.boot(now: at(0))
        _ = master.healthChanged(.healthy, now: at(0))
        let actions = master.received(msg(.heartbeat, epoch: 5, role: .active), now: at(0.2))
        XCTAssertTrue(actions.stopsService)
        XCTAssertEqual(actions.persisted.last, PersistedFailoverState(role: .standby, epoch: 5))
        actions.assertPersistFirst()
        _ = master.actionFinished(.stop, .succeeded, now: at(1))
        XCTAssertEqual(master.stateName, .standby)
    }

    func testRestartWhileActiveWithFailingChecksStopsAsFailedSoTheStandbyTakesOverAndPagesOnce() {
        var master = FailoverMachine(settings: failoverSettings(.master), persisted: PersistedFailoverState(role: .active, epoch: 4), now: at(0))
        _ = master.boot(now: at(0))
        _ = master.healthChanged(HealthVerdict(nodeFailing: [FailingCheck(name: "state-directory", output: "cannot write: disk full")]), now: at(0))
        let actions = master.received(msg(.heartbeat, epoch: 4, role: .standby), now: at(0.2))
        XCTAssertTrue(actions.stopsService)
        XCTAssertFalse(actions.startsService)
        XCTAssertEqual(actions.persisted.last, PersistedFailoverState(role: .failed, epoch: 5))
        XCTAssertFalse(actions.contains { if case .raiseIncident = $0 { return true } else { return false } }, "the standby that takes over pages it")
        _ = master.actionFinished(.stop, .succeeded, now: at(1))
        XCTAssertEqual(master.stateName, .failed)
    }

    func testRestartWhileActiveWithSilentPeerStopsUntilTheGuardAllows() {
        var master = FailoverMachine(settings: failoverSettings(.master), persisted: PersistedFailoverState(role: .active, epoch: 4), now: at(0))
        _ = master.boot(now: at(0))
        _ = master.healthChanged(.healthy, now: at(0))
        XCTAssertTrue(master.tick(now: at(1)).isEmpty || master.stateName == .starting)
        let actions = master.tick(now: at(3.1))
        XCTAssertTrue(actions.stopsService)
        XCTAssertEqual(actions.persisted.last, PersistedFailoverState(role: .standby, epoch: 5))
    }

    // MARK: - Heartbeats and epochs

    /// An epoch at the top of its range (a store written by hand, a peer's message) moves
    /// no decision into an arithmetic trap: the node restarts, activates and takes over.
    func testAnEpochAtTheTopOfItsRangeNeverStopsTheMachine() {
        var master = FailoverMachine(settings: failoverSettings(.master), persisted: PersistedFailoverState(role: .standby, epoch: .max), now: at(0))
        _ = master.boot(now: at(0))
        _ = master.healthChanged(.healthy, now: at(0))
        let activated = master.received(msg(.heartbeat, epoch: .max, role: .active), now: at(0.2))
        XCTAssertFalse(activated.startsService, "the peer serves at the same epoch")
        var standby = Node.standby(epoch: .max)
        _ = standby.tick(now: at(3.2))
        let takeover = standby.guardAnswered(GuardReport(witnessReachable: true, peerServiceAnswers: false), now: at(3.3))
        XCTAssertTrue(takeover.startsService)
        XCTAssertEqual(takeover.persisted.last?.epoch, .max)
        XCTAssertEqual(Epoch.after(Epoch.largest), Epoch.largest + 1)
        XCTAssertEqual(Epoch.after(.max), .max)
    }

    /// As a cut link comes back, the master takes the service from a standby it hears at
    /// epoch 4 while, in the same instant, that standby takes over from the master it could
    /// not hear: they must not pick one epoch. The master activates at odd epochs, the
    /// standby at even ones.
    func testTheMasterAndTheStandbyNeverActivateAtTheSameEpoch() {
        XCTAssertEqual([4, 5].map { Epoch.activation(atLeast: $0, for: .master) }, [5, 5])
        XCTAssertEqual([4, 5].map { Epoch.activation(atLeast: $0, for: .standby) }, [4, 6])
        var master = FailoverMachine(settings: failoverSettings(.master), persisted: PersistedFailoverState(role: .standby, epoch: 3), now: at(0))
        _ = master.boot(now: at(0))
        _ = master.healthChanged(.healthy, now: at(0))
        let taken = master.received(msg(.heartbeat, epoch: 4, role: .standby), now: at(0.2))
        var standby = FailoverMachine(settings: failoverSettings(.standby), persisted: PersistedFailoverState(role: .standby, epoch: 4), now: at(0))
        _ = standby.boot(now: at(0))
        _ = standby.healthChanged(.healthy, now: at(0))
        _ = standby.received(msg(.heartbeat, epoch: 3, role: .active), now: at(0.1))
        _ = standby.tick(now: at(3.2))
        let takeover = standby.guardAnswered(GuardReport(witnessReachable: true, peerServiceAnswers: false), now: at(3.3))
        let epochs = [taken.persisted.last?.epoch, takeover.persisted.last?.epoch]
        XCTAssertEqual(epochs, [5, 6])
    }

    func testHeartbeatsAtTheConfiguredInterval() {
        var master = Node.activeMaster()
        var count = 0
        for step in 1...20 { count += master.tick(now: at(1 + Double(step) * 0.05)).heartbeats.count }
        XCTAssertEqual(count, 5, "one per 200 ms over 1 s")
    }

    func testMessagesFromAnOlderEpochDecideNothing() {
        var standby = Node.standby(epoch: 5)
        let request = standby.received(msg(.handoffRequest, epoch: 3, request: 9, role: .active, healthy: false), now: at(1))
        XCTAssertTrue(request.isEmpty)
        XCTAssertEqual(standby.stateName, .standby)

        var master = Node.activeMaster()
        let stale = master.received(msg(.heartbeat, epoch: 0, role: .active), now: at(1))
        XCTAssertFalse(stale.stopsService, "an old epoch's active claim does not make us step down")
        XCTAssertEqual(master.stateName, .active)
        // It still proves the peer alive: no peer-lost at 3 s after the last current message.
        _ = master.received(msg(.heartbeat, epoch: 0, role: .standby), now: at(3.5))
        XCTAssertTrue(master.tick(now: at(4)).raised.isEmpty)
    }

    func testEveryRoleChangeIncrementsTheEpoch() {
        var master = Node.activeMaster()
        XCTAssertEqual(master.epoch, 1)
        _ = master.received(msg(.heartbeat, epoch: 1, role: .standby), now: at(1))
        _ = master.healthChanged(failing, now: at(1.1))
        guard case .handingOff(let handoff) = master.state else { return XCTFail("expected handing-off") }
        let done = master.received(msg(.handoffDone, epoch: 2, request: handoff.request, role: .active), now: at(2))
        XCTAssertEqual(done.persisted.last?.epoch, 2)
        _ = master.actionFinished(.stop, .succeeded, now: at(3))
        XCTAssertEqual(master.stateName, .failed)
        XCTAssertEqual(master.epoch, 2)
    }

    func testBothActiveAtTheSameEpochTheConfiguredMasterKeepsTheService() {
        var standby = Node.standby(epoch: 1)
        _ = standby.received(msg(.handoffRequest, epoch: 1, request: 5, role: .active, healthy: false), now: at(1))
        _ = standby.actionFinished(.start, .succeeded, now: at(2))
        XCTAssertEqual(standby.stateName, .active)
        let actions = standby.received(msg(.heartbeat, epoch: 2, role: .active), now: at(3))
        XCTAssertTrue(actions.stopsService, "the configured standby yields a tie")
        XCTAssertEqual(actions.persisted.last?.epoch, 3)

        var master = Node.activeMaster()
        let kept = master.received(msg(.heartbeat, epoch: 1, role: .active), now: at(1))
        XCTAssertFalse(kept.stopsService, "the configured master keeps a tie")
    }

    // MARK: - Handoff (master side)

    func testFailingChecksStartAHandoffThenTheMasterStopsAndFails() {
        var master = Node.activeMaster()
        _ = master.received(msg(.heartbeat, epoch: 1, role: .standby), now: at(1))
        let asked = master.healthChanged(failing, now: at(1.1))
        XCTAssertEqual(asked.sent.map(\.kind), [.handoffRequest])
        XCTAssertFalse(asked.sent[0].healthy)
        XCTAssertEqual(master.stateName, .handingOff)
        XCTAssertTrue(asked.transitions.last?.2.contains("http-content failing (HTTP 503)") == true)
        let request = asked.sent[0].requestID
        let done = master.received(msg(.handoffDone, epoch: 2, request: request, role: .active), now: at(2))
        XCTAssertEqual(done.persisted, [PersistedFailoverState(role: .failed, epoch: 2)])
        XCTAssertTrue(done.stopsService)
        done.assertPersistFirst()
        XCTAssertEqual(done.raised.first?.0, IncidentID(epoch: 2, topic: .roleChange))
        XCTAssertEqual(done.raised.first?.1, .failover)
        _ = master.actionFinished(.stop, .succeeded, now: at(3))
        XCTAssertEqual(master.stateName, .failed)
    }

    func testUnconfirmedHandoffIsRetriedThenTheMasterKeepsServingAndRaises() {
        var master = Node.activeMaster()
        _ = master.received(msg(.heartbeat, epoch: 1, role: .standby), now: at(1))
        let request = master.healthChanged(failing, now: at(1)).sent[0].requestID
        var resent: [UInt64] = []
        var last: [FailoverAction] = []
        for step in 1...40 {
            let now = 1 + Double(step) * 0.5
            _ = master.received(msg(.heartbeat, epoch: 1, role: .standby), now: at(now))
            last = master.tick(now: at(now))
            resent += last.sent.filter { $0.kind == .handoffRequest }.map(\.requestID)
            if master.stateName == .active { break }
        }
        XCTAssertEqual(resent, [request, request], "two retries, same request id")
        XCTAssertEqual(master.stateName, .active)
        XCTAssertEqual(last.raised.first?.0.topic, .handoffFailed)
        XCTAssertFalse(last.stopsService)
        XCTAssertTrue(master.lastReason.contains("better a sick master than no master"))
        // It does not loop: the same peer, the same epoch, no new handoff.
        XCTAssertTrue(master.tick(now: at(40)).sent.isEmpty)
    }

    func testHandoffReplyAfterItsTimeoutStillMovesTheService() {
        var master = Node.activeMaster()
        _ = master.received(msg(.heartbeat, epoch: 1, role: .standby), now: at(1))
        let request = master.healthChanged(failing, now: at(1)).sent[0].requestID
        for second in stride(from: 2.0, through: 17, by: 0.5) {
            _ = master.received(msg(.heartbeat, epoch: 1, role: .standby), now: at(second))
            _ = master.tick(now: at(second))
        }
        XCTAssertEqual(master.stateName, .active, "gave up")
        let late = master.received(msg(.handoffDone, epoch: 2, request: request, role: .active), now: at(17.5))
        XCTAssertTrue(late.stopsService, "the standby did start: two services must not run")
        XCTAssertEqual(late.persisted.last, PersistedFailoverState(role: .failed, epoch: 2))
    }

    func testHandoffRefusedByTheStandbyEndsAtOnce() {
        var master = Node.activeMaster()
        _ = master.received(msg(.heartbeat, epoch: 1, role: .standby), now: at(1))
        let request = master.healthChanged(failing, now: at(1)).sent[0].requestID
        let refused = master.received(msg(.status, epoch: 1, request: request, role: .standby, healthy: false), now: at(1.1))
        XCTAssertEqual(master.stateName, .active)
        XCTAssertEqual(refused.raised.first?.0.topic, .handoffFailed)
    }

    func testNoHandoffToAnUnhealthyOrSilentStandby() {
        var master = Node.activeMaster()
        _ = master.received(msg(.heartbeat, epoch: 1, role: .standby, healthy: false), now: at(1))
        let actions = master.healthChanged(failing, now: at(1))
        XCTAssertTrue(actions.sent.isEmpty)
        XCTAssertEqual(actions.raised.first?.0.topic, .handoffFailed)
        XCTAssertEqual(master.stateName, .active)
        // When the standby becomes healthy, the handoff starts.
        let retry = master.received(msg(.heartbeat, epoch: 1, role: .standby, healthy: true), now: at(2))
        XCTAssertEqual(retry.sent.map(\.kind), [.handoffRequest])
    }

    // MARK: - Handoff (standby side)

    func testStandbyTakesOverOnRequestIdempotently() {
        var standby = Node.standby(epoch: 1)
        let request = msg(.handoffRequest, epoch: 1, request: 42, role: .active, healthy: false)
        let accepted = standby.received(request, now: at(1))
        XCTAssertEqual(accepted.persisted, [PersistedFailoverState(role: .active, epoch: 2)])
        XCTAssertTrue(accepted.startsService)
        accepted.assertPersistFirst()
        XCTAssertTrue(accepted.pages.isEmpty, "a page never claims a role not reached: it waits for the verified service")
        XCTAssertTrue(standby.received(request, now: at(1.5)).sent.isEmpty, "a resend while starting changes nothing")
        XCTAssertFalse(standby.received(request, now: at(1.5)).startsService)
        let started = standby.actionFinished(.start, .succeeded, now: at(2))
        XCTAssertEqual(started.raised.map(\.1), [.failover])
        XCTAssertEqual(started.pages.map(\.0), [.failover], "paged once serving")
        XCTAssertTrue(started.raised.first?.2.hasPrefix("took over: alpha is failing and asked me to take the service; my service runs and passes its checks at epoch 2") == true,
                      started.raised.first?.2 ?? "")
        XCTAssertEqual(started.sent.map(\.kind), [.handoffDone])
        XCTAssertEqual(started.sent.first?.requestID, 42)
        XCTAssertEqual(started.sent.first?.epoch, 2)
        let again = standby.received(msg(.handoffRequest, epoch: 1, request: 42, role: .active, healthy: false), now: at(3))
        XCTAssertTrue(again.isEmpty, "old epoch now: the master's resend is stale")
        let sameEpoch = standby.received(msg(.handoffRequest, epoch: 2, request: 42, role: .failed, healthy: false), now: at(3))
        XCTAssertEqual(sameEpoch.sent.map(\.kind), [.handoffDone], "a lost confirmation is sent again")
        XCTAssertFalse(sameEpoch.startsService)
    }

    func testStandbyRefusesAHandoffWhileItsChecksFail() {
        var standby = Node.standby(epoch: 1)
        _ = standby.healthChanged(failing, now: at(0.5))
        let actions = standby.received(msg(.handoffRequest, epoch: 1, request: 7, role: .active, healthy: false), now: at(1))
        XCTAssertFalse(actions.startsService)
        XCTAssertEqual(actions.sent.map(\.kind), [.status])
        XCTAssertEqual(actions.sent.first?.requestID, 7)
    }

    func testStandbyWhoseStartFailsStopsAndTellsTheMaster() {
        var standby = Node.standby(epoch: 1)
        _ = standby.received(msg(.handoffRequest, epoch: 1, request: 7, role: .active, healthy: false), now: at(1))
        let failed = standby.actionFinished(.start, .failed("exit 1: port in use"), now: at(2))
        XCTAssertTrue(failed.stopsService)
        XCTAssertEqual(failed.persisted.last?.role, .failed)
        XCTAssertEqual(failed.sent.map(\.kind), [.status])
        XCTAssertEqual(failed.sent.first?.detail, "could not take over: start actions failed (exit 1: port in use)", "the master's page names it")
        XCTAssertTrue(failed.pages.isEmpty, "the master, serving still, pages it: one page")
        _ = standby.actionFinished(.stop, .succeeded, now: at(3))
        XCTAssertEqual(standby.stateName, .failed)
        XCTAssertTrue(standby.tick(now: at(4)).pages.isEmpty, "the master serves: nothing to page")
    }

    /// The master's side: the refusal's reason and its own failing checks are one page.
    func testAHandoffTheStandbyCannotCompleteIsOnePageFromTheMasterNamingBothProblems() {
        var master = Node.activeMaster()
        let handing = master.healthChanged(failing, now: at(1))
        let request = try! XCTUnwrap(handing.sent.first { $0.kind == .handoffRequest })
        var refusal = msg(.status, epoch: 1, request: request.requestID, role: .failed, healthy: true)
        refusal.detail = "could not take over: start actions failed (exit 1: disk quota exceeded)"
        let gaveUp = master.received(refusal, now: at(2))
        XCTAssertEqual(master.stateName, .active, "better a sick master than no master")
        XCTAssertEqual(gaveUp.pages.count, 1)
        let page = gaveUp.raised.first
        XCTAssertEqual(page?.0.topic, .handoffFailed)
        XCTAssertTrue(page?.2.contains("beta could not take over: start actions failed (exit 1: disk quota exceeded)") == true, page?.2 ?? "")
        XCTAssertTrue(page?.2.contains("keeping the service") == true, page?.2 ?? "")
        let failingChecks = gaveUp.compactMap { action -> [FailingCheck]? in
            if case .raiseIncident(_, _, _, _, let failing) = action { return failing } else { return nil }
        }
        XCTAssertEqual(failingChecks.first?.map(\.name), ["http-content"], "and the master's own failing check")
    }

    // MARK: - Takeover on silence and the split-brain guard

    func testTakeoverOnSilenceOnlyAfterTheGuardAllows() {
        var standby = Node.standby(epoch: 1)
        XCTAssertTrue(standby.tick(now: at(2)).probes.isEmpty, "not silent yet")
        let silent = standby.tick(now: at(3.2))
        let lost = IncidentID(epoch: 1, topic: .peerLost)
        XCTAssertEqual(silent.raised.first?.0, lost)
        XCTAssertTrue(silent.pages.isEmpty, "a standby that may take over leaves the page to the guard's outcome")
        XCTAssertEqual(silent.probes, [GuardProbe(witness: true, peerService: true)])
        XCTAssertFalse(silent.startsService)
        let allowed = standby.guardAnswered(GuardReport(witnessReachable: true, peerServiceAnswers: false), now: at(3.3))
        XCTAssertEqual(allowed.persisted, [PersistedFailoverState(role: .active, epoch: 2)])
        XCTAssertTrue(allowed.startsService)
        allowed.assertPersistFirst()
        XCTAssertTrue(allowed.raised.isEmpty, "the takeover belongs to the peer-loss incident")
        XCTAssertTrue(allowed.pages.isEmpty, "paged once the service runs, verified: a page never claims a role not reached")
        let reason = allowed.transitions.last?.2 ?? ""
        XCTAssertTrue(reason.hasPrefix("taking over: no heartbeat from alpha for 3.2 s, witness reachable"), reason)
        let serving = standby.actionFinished(.start, .succeeded, now: at(3.6))
        XCTAssertEqual(serving.pages.map(\.0), [.takeover])
        XCTAssertEqual(serving.pages.first?.1, lost, "one incident, one thread")
        let page = serving.notified.first?.1 ?? ""
        XCTAssertTrue(page.hasPrefix("took over: no heartbeat from alpha for 3.2 s, witness reachable, alpha's service does not answer; "
            + "my service runs and passes its checks at epoch 2"), page)
    }

    /// A standby that took over on silence counts its self-fence from the moment it serves,
    /// not from its start: verifying the service may take longer than self_fence_after,
    /// and no witness probe runs meanwhile (found by the keepalived bench at dead_after 226ms).
    func testATakeoverWhoseVerificationOutlastsSelfFenceAfterDoesNotFenceItselfOnArrival() {
        var standby = Node.standby(epoch: 1)
        _ = standby.healthChanged(HealthVerdict(nodeFailing: [], service: .idle, pending: false), now: at(0.2))
        _ = standby.tick(now: at(3.2))
        XCTAssertTrue(standby.guardAnswered(GuardReport(witnessReachable: true, peerServiceAnswers: false), now: at(3.3)).startsService)
        _ = standby.actionFinished(.start, .succeeded, now: at(3.35))
        XCTAssertEqual(standby.stateName, .takingOver, "verifying its service")
        // The service checks pass 2.1 s later (self_fence_after is 2 s).
        _ = standby.healthChanged(HealthVerdict(nodeFailing: [], service: .healthy, pending: false), now: at(5.45))
        XCTAssertEqual(standby.stateName, .active)
        let first = standby.tick(now: at(5.46))
        XCTAssertEqual(standby.stateName, .active, "no self-fence on arrival: \(standby.lastReason)")
        XCTAssertTrue(first.probes.isEmpty, "the first witness probe comes a heartbeat and a tick after serving")
        XCTAssertEqual(standby.tick(now: at(5.7)).probes, [GuardProbe(witness: true, peerService: false)])
        _ = standby.guardAnswered(GuardReport(witnessReachable: true), now: at(5.71))
        _ = standby.tick(now: at(7.4))
        XCTAssertEqual(standby.stateName, .active, "the witness answered within self_fence_after")
        _ = standby.tick(now: at(7.72))
        XCTAssertEqual(standby.stateName, .quiescing, "2 s after the last answer, with no probe answered since, it fences itself")
    }

    func testNoTakeoverWhenTheWitnessIsUnreachable() {
        var standby = Node.standby(epoch: 1)
        _ = standby.tick(now: at(3.2))
        let refused = standby.guardAnswered(GuardReport(witnessReachable: false, peerServiceAnswers: false), now: at(3.3))
        XCTAssertFalse(refused.startsService)
        XCTAssertTrue(standby.lastReason.contains("isolated"))
        XCTAssertTrue(standby.tick(now: at(4)).probes.isEmpty, "next probe after dead_after")
        XCTAssertEqual(standby.tick(now: at(6.4)).probes.count, 1)
    }

    func testACutOffStandbyPagesWhenItsPeersServiceStopsAnsweringNotWhileItAnswers() {
        var standby = Node.standby(epoch: 1)
        _ = standby.tick(now: at(3.2))
        let answers = standby.guardAnswered(GuardReport(witnessReachable: false, peerServiceAnswers: true), now: at(3.3))
        XCTAssertFalse(answers.startsService)
        XCTAssertTrue(answers.pages.isEmpty, "the master's service answers: it pages its own lost peer")
        XCTAssertEqual(standby.tick(now: at(6.4)).probes.count, 1)
        let gone = standby.guardAnswered(GuardReport(witnessReachable: false, peerServiceAnswers: false), now: at(6.5))
        XCTAssertFalse(gone.startsService, "still no witness: no takeover")
        XCTAssertEqual(gone.pages.count, 1, "nobody may serve: paged once")
        XCTAssertTrue(standby.lastReason.contains("nobody may serve"), standby.lastReason)
        XCTAssertEqual(standby.tick(now: at(9.6)).probes.count, 1)
        let again = standby.guardAnswered(GuardReport(witnessReachable: false, peerServiceAnswers: false), now: at(9.7))
        XCTAssertTrue(again.pages.isEmpty, "the same news is not paged twice")
    }

    func testLostLinkWhileMasterServesIsPeerLostNotTakeover() {
        var standby = Node.standby(epoch: 1)
        _ = standby.tick(now: at(3.2))
        let refused = standby.guardAnswered(GuardReport(witnessReachable: true, peerServiceAnswers: true), now: at(3.3))
        XCTAssertFalse(refused.startsService)
        XCTAssertTrue(refused.pages.isEmpty, "the master serves and pages the lost peer; the standby only records it")
        XCTAssertTrue(standby.lastReason.contains("service still answers"))
        XCTAssertTrue(standby.openIncidents.contains(IncidentID(epoch: 1, topic: .peerLost)))
        let found = standby.received(msg(.heartbeat, epoch: 1, role: .active), now: at(5))
        XCTAssertEqual(found.closed, [IncidentID(epoch: 1, topic: .peerLost)])
        XCTAssertEqual(standby.lastReason, "peer found: heard alpha again (epoch 1, active)", "status's why no longer says the link is down")
        XCTAssertTrue(found.pages.isEmpty, "the recovery comes from the node that paged the loss")
        // A second loss in the same epoch is a new incident with a new id.
        _ = standby.tick(now: at(8.5))
        XCTAssertTrue(standby.openIncidents.contains(IncidentID(epoch: 1, topic: .peerLost, occurrence: 2)), "\(standby.openIncidents)")
    }

    /// The active node's agent dies and stays dead while its service runs on (kill -9 of the
    /// agent alone): the standby, which must not take over, warns once past the grace that
    /// nothing protects the service, and tells the recovery when the agent is back.
    func testASilentPeerAgentWhoseServiceAnswersIsOneWarningThenARecovery() {
        var standby = Node.standby(epoch: 1)
        let answers = GuardReport(witnessReachable: true, peerServiceAnswers: true)
        var pages: [(EventKind, IncidentID?)] = []
        var reasons: [String] = []
        var second = 3.2
        while second < 60 {
            let tick = standby.tick(now: at(second))
            pages += tick.pages
            if !tick.probes.isEmpty {
                let refused = standby.guardAnswered(answers, now: at(second + 0.05))
                XCTAssertFalse(refused.startsService)
                pages += refused.pages
                reasons += refused.raised.map(\.2) + refused.notified.map(\.1)
            }
            second += 0.25
        }
        XCTAssertEqual(pages.map(\.0), [.peerLost], "one warning in 60 s of silence: \(reasons)")
        let warning = reasons.last ?? ""
        XCTAssertTrue(warning.contains("alpha's agent is silent but its service answers: no failover protection"), warning)
        let back = standby.received(msg(.heartbeat, epoch: 1, role: .active), now: at(61))
        XCTAssertEqual(back.notified.map(\.0), [.peerFound], "the recovery, in the warning's thread")
        XCTAssertEqual(back.closed.count, 1)
    }

    /// The peer's datagrams arrive but are refused (its clock is 90 s off): the silence's
    /// page says so, with what to fix, instead of only "no heartbeat".
    func testASilenceCausedByRefusedDatagramsIsPagedWithItsCause() {
        var master = Node.activeMaster()
        _ = master.peerDatagramRefused("clocks differ by 90 s (beta's is behind): check NTP on both nodes", now: at(2.9))
        let lost = master.tick(now: at(3.2))
        let reason = lost.raised.first { $0.0.topic == .peerLost }?.2 ?? ""
        XCTAssertEqual(reason, "peer lost: no heartbeat from beta for 3.1 s; its datagrams arrive but are refused: "
            + "clocks differ by 90 s (beta's is behind): check NTP on both nodes; keeping the service")
    }

    func testFenceMustSucceedBeforeTakeover() {
        var standby = Node.standby(failoverSettings(.standby, fence: true), epoch: 1)
        _ = standby.tick(now: at(3.2))
        let fencing = standby.guardAnswered(GuardReport(witnessReachable: true, peerServiceAnswers: false), now: at(3.3))
        XCTAssertTrue(fencing.fences)
        XCTAssertFalse(fencing.startsService)
        XCTAssertFalse(standby.fenceFinished(succeeded: false, detail: "exit 1", now: at(4)).startsService)
        XCTAssertEqual(standby.tick(now: at(7.1)).probes.count, 1)
        _ = standby.guardAnswered(GuardReport(witnessReachable: true, peerServiceAnswers: false), now: at(7.2))
        let fenced = standby.fenceFinished(succeeded: true, now: at(7.5))
        XCTAssertTrue(fenced.startsService)
        XCTAssertTrue(fenced.transitions.last?.2.contains("alpha fenced") == true)
    }

    func testUnhealthyStandbyNeverTakesOver() {
        var standby = Node.standby(epoch: 1)
        _ = standby.healthChanged(failing, now: at(1))
        let actions = standby.tick(now: at(5))
        XCTAssertTrue(actions.probes.isEmpty)
        XCTAssertFalse(actions.startsService)
        XCTAssertEqual(actions.raised.first?.0.topic, .peerLost)
    }

    func testNoWitnessPolicyStayNeverTakesOver() {
        var standby = Node.standby(failoverSettings(.standby, witness: false, probe: false, noWitness: .stay), epoch: 1)
        var all: [FailoverAction] = []
        for second in stride(from: 1.0, through: 60, by: 0.5) { all += standby.tick(now: at(second)) }
        XCTAssertTrue(all.probes.isEmpty)
        XCTAssertFalse(all.startsService)
        XCTAssertEqual(all.raised.count, 1)
        XCTAssertTrue(all.raised[0].2.contains("no_witness: stay"))
    }

    func testNoWitnessPolicyTakeoverUsesTheProbeAlone() {
        var standby = Node.standby(failoverSettings(.standby, witness: false, probe: true, noWitness: .takeover), epoch: 1)
        let silent = standby.tick(now: at(3.2))
        XCTAssertEqual(silent.probes, [GuardProbe(witness: false, peerService: true)])
        let allowed = standby.guardAnswered(GuardReport(peerServiceAnswers: false), now: at(3.3))
        XCTAssertTrue(allowed.startsService)
        XCTAssertTrue(allowed.transitions.last?.2.contains("no witness") == true)
    }

    // MARK: - Active side of the guard

    func testActiveNodeRaisesPeerLostAndKeepsServing() {
        var master = Node.activeMaster(failoverSettings(.master, witness: false, probe: false, noWitness: .stay))
        let actions = master.tick(now: at(3.5))
        XCTAssertTrue(actions.raised.contains { $0.0.topic == .peerLost })
        XCTAssertFalse(actions.stopsService)
    }

    func testActiveNodeSelfFencesWhenItHearsNeitherPeerNorWitness() {
        var master = Node.activeMaster()
        var all: [FailoverAction] = []
        var second = 0.2
        while second < 2.4, !all.stopsService {
            second += 0.05
            let actions = master.tick(now: at(second))
            all += actions
            if !actions.probes.isEmpty {
                all += master.guardAnswered(GuardReport(witnessReachable: false), now: at(second))
            }
        }
        XCTAssertTrue(all.stopsService)
        XCTAssertGreaterThanOrEqual(second, 2.2, "not before self_fence_after (2 s) of silence")
        XCTAssertEqual(all.persisted.last, PersistedFailoverState(role: .standby, epoch: 2))
        XCTAssertTrue(master.lastReason.hasPrefix("self-fencing"))
    }

    func testActiveNodeThatReachesTheWitnessKeepsServing() {
        var master = Node.activeMaster()
        var all: [FailoverAction] = []
        for step in 1...200 {
            let second = 0.2 + Double(step) * 0.05
            let actions = master.tick(now: at(second))
            all += actions
            if !actions.probes.isEmpty {
                all += master.guardAnswered(GuardReport(witnessReachable: true), now: at(second))
            }
        }
        XCTAssertFalse(all.stopsService)
        XCTAssertEqual(master.stateName, .active)
    }

    // MARK: - Failback

    func failedMaster(fence: Bool = false) -> FailoverMachine {
        var master = Node.activeMaster(failoverSettings(.master, fence: fence))
        _ = master.received(msg(.heartbeat, epoch: 1, role: .standby), now: at(1))
        let request = master.healthChanged(failing, now: at(1)).sent[0].requestID
        _ = master.received(msg(.handoffDone, epoch: 2, request: request, role: .active), now: at(2))
        _ = master.actionFinished(.stop, .succeeded, now: at(3))
        return master
    }

    func testFailbackIsGatedOnHealthyChecksAndForceIsRecorded() {
        var master = failedMaster()
        _ = master.received(msg(.heartbeat, epoch: 2, role: .active), now: at(4))
        let refused = master.failback(force: false, author: "alice", now: at(4))
        XCTAssertEqual(refused.answer?.accepted, false)
        XCTAssertTrue(refused.answer?.reason.contains("rise") == true)
        XCTAssertTrue(refused.sent.isEmpty)
        let forced = master.failback(force: true, author: "alice", now: at(4.1))
        XCTAssertEqual(forced.answer?.accepted, true)
        XCTAssertTrue(forced.startsService, "a forced failback starts although the checks fail")
        XCTAssertEqual(forced.sent.map(\.kind), [], "the standby quiesces only once the master's service is verified")
        let note = forced.notified.first { $0.0 == .failback }
        XCTAssertTrue(note?.1.contains("forced") == true && note?.1.contains("alice") == true)
    }

    func testFailbackStartsAndVerifiesThenTheStandbyQuiesces() {
        var master = failedMaster()
        _ = master.received(msg(.heartbeat, epoch: 2, role: .active), now: at(4))
        _ = master.healthChanged(.healthy, now: at(5))
        let asked = master.failback(force: false, author: "alice", now: at(6))
        XCTAssertEqual(asked.answer?.accepted, true)
        XCTAssertTrue(asked.startsService, "make before break: the master starts first")
        let context = asked.compactMap { if case .runStartActions(let context) = $0 { context } else { nil } }.first
        XCTAssertEqual(context?.event, .failback, "the start command is told it serves a failback (VACATAIRE_EVENT)")
        XCTAssertEqual(context?.incident, IncidentID(epoch: 2, topic: .roleChange), "and which incident it ends")
        XCTAssertEqual(asked.persisted.last, PersistedFailoverState(role: .active, epoch: 3))
        asked.assertPersistFirst()
        XCTAssertTrue(asked.sent.isEmpty, "the standby keeps serving until the master's service is verified")
        // No service checks here: a started service counts as verified.
        let started = master.actionFinished(.start, .succeeded, now: at(7))
        let request = started.sent.first { $0.kind == .quiesceRequest }?.requestID
        XCTAssertNotNil(request)
        XCTAssertEqual(started.sent.first?.role, .takingOver, "not active before the standby has stopped")
        XCTAssertEqual(master.stateName, .takingOver)
        XCTAssertTrue(master.loadBalancerUp(at: at(7)), "verified: the load balancer may use it before the standby stops")
        let done = master.received(msg(.quiesceDone, epoch: 3, request: request ?? 0, role: .standby), now: at(8))
        XCTAssertEqual(master.stateName, .active)
        XCTAssertTrue(done.notified.contains { $0.0 == .failback })
        XCTAssertTrue(done.closed.contains(IncidentID(epoch: 2, topic: .roleChange)))
    }

    // MARK: - A stop that fails escalates to the fence command

    func failbackAwaitingQuiesce(fence: Bool) -> (FailoverMachine, UInt64) {
        var master = failedMaster(fence: fence)
        _ = master.received(msg(.heartbeat, epoch: 2, role: .active), now: at(4))
        _ = master.healthChanged(.healthy, now: at(5))
        _ = master.failback(force: false, author: "alice", now: at(6))
        let request = master.actionFinished(.start, .succeeded, now: at(7)).sent.first { $0.kind == .quiesceRequest }?.requestID ?? 0
        return (master, request)
    }

    func stopFailed(epoch: UInt64, request: UInt64) -> FailoverMessage {
        var status = msg(.status, epoch: epoch, request: request, role: .standby)
        status.detail = FailoverMessage.stopFailedMarker + "stop exited with status 1"
        return status
    }

    func testAFailbackWhosePeerCannotStopItsServiceFencesThePeerThenServes() {
        var (master, request) = failbackAwaitingQuiesce(fence: true)
        let refused = master.received(stopFailed(epoch: 3, request: request), now: at(8))
        XCTAssertTrue(refused.fences, "the failed stop escalates to the fence command")
        XCTAssertFalse(refused.stopsService)
        XCTAssertEqual(master.stateName, .takingOver)
        XCTAssertTrue(master.loadBalancerUp(at: at(8)), "its own service is verified")
        let fenced = master.fenceFinished(succeeded: true, detail: "fence done", now: at(9))
        XCTAssertEqual(master.stateName, .active)
        XCTAssertTrue(fenced.notified.contains { $0.0 == .failback })
    }

    func testAFailbackWhosePeerCannotStopAndCannotBeFencedStopsItsOwnService() {
        var (master, request) = failbackAwaitingQuiesce(fence: true)
        _ = master.received(stopFailed(epoch: 3, request: request), now: at(8))
        let failed = master.fenceFinished(succeeded: false, detail: "exit 1", now: at(9))
        XCTAssertTrue(failed.stopsService, "never two services: it stops its own")
        XCTAssertTrue(master.lastReason.contains("fence command failed"), master.lastReason)

        var (unfenced, request2) = failbackAwaitingQuiesce(fence: false)
        let gaveUp = unfenced.received(stopFailed(epoch: 3, request: request2), now: at(8))
        XCTAssertFalse(gaveUp.fences)
        XCTAssertTrue(gaveUp.stopsService)
        XCTAssertTrue(unfenced.lastReason.contains("no fence command"), unfenced.lastReason)
    }

    /// Beta, active at epoch 2 after alpha failed, fenced alpha when `report` said alpha's
    /// stop had failed.
    func betaThatFencedAlpha(_ report: FailoverMessage, file: StaticString = #filePath, line: UInt = #line) -> FailoverMachine {
        var beta = FailoverMachine(settings: failoverSettings(.standby, fence: true), persisted: PersistedFailoverState(role: .active, epoch: 2), now: at(0))
        _ = beta.boot(now: at(0))
        _ = beta.healthChanged(.healthy, now: at(0))
        _ = beta.received(msg(.heartbeat, epoch: 2, role: .failed), now: at(0.2))
        _ = beta.actionFinished(.start, .succeeded, now: at(0.3))
        XCTAssertEqual(beta.stateName, .active, file: file, line: line)
        XCTAssertTrue(beta.received(report, now: at(3.1)).fences, file: file, line: line)
        XCTAssertFalse(beta.received(report, now: at(3.2)).fences, "once per role change", file: file, line: line)
        _ = beta.fenceFinished(succeeded: true, now: at(4))
        XCTAssertEqual(beta.stateName, .active, file: file, line: line)
        XCTAssertTrue(beta.lastReason.contains("only I serve"), beta.lastReason, file: file, line: line)
        return beta
    }

    func testANodeWhoseStopFailsTellsItsPeerWhichFencesItOnce() {
        var master = Node.activeMaster()
        _ = master.received(msg(.heartbeat, epoch: 1, role: .standby), now: at(1))
        let request = master.healthChanged(failing, now: at(1)).sent[0].requestID
        _ = master.received(msg(.handoffDone, epoch: 2, request: request, role: .active), now: at(2))
        let failed = master.actionFinished(.stop, .failed("stop exited with status 1"), now: at(3))
        let report = failed.sent.first { $0.kind == .status }
        XCTAssertEqual(report?.failedStop, "stop exited with status 1")
        XCTAssertNotEqual(report?.role, .active)
        XCTAssertTrue(failed.raised.contains { $0.1 == .failover }, "pages that the service may still run")
        XCTAssertFalse(master.loadBalancerUp(at: at(3)), "out of the load balancer")

        var beta = betaThatFencedAlpha(report ?? msg(.status, epoch: 2, role: .failed))
        // Beta's own checks fail with alpha failed: the handoff is given up, beta keeps serving,
        // and alpha, fenced already at this epoch, is not fenced again.
        _ = beta.healthChanged(failing, now: at(5))
        XCTAssertEqual(beta.stateName, .active)
        XCTAssertFalse(beta.received(report ?? msg(.status, epoch: 2, role: .failed), now: at(5.1)).fences, "once per role change")
        // Alpha repaired, a healthy standby: beta asks it to take over, and it never answers.
        _ = beta.healthChanged(.healthy, now: at(6))
        _ = beta.received(msg(.heartbeat, epoch: 2, role: .standby), now: at(6.1))
        _ = beta.healthChanged(failing, now: at(6.2))
        XCTAssertEqual(beta.stateName, .handingOff)
        var time = 6.2
        while beta.stateName == .handingOff, time < 40 {
            time += 0.1
            if Int(time * 10) % 5 == 0 { _ = beta.received(msg(.heartbeat, epoch: 2, role: .standby), now: at(time)) }
            _ = beta.tick(now: at(time))
        }
        XCTAssertEqual(beta.stateName, .active, "the handoff was given up: \(beta.lastReason)")
        XCTAssertFalse(beta.received(report ?? msg(.status, epoch: 2, role: .failed), now: at(time + 0.1)).fences,
                       "a handoff given up on does not make the peer fenced at this epoch fenceable again")
    }

    func testAPeerFencedBeforeMaintenanceIsNotFencedAgainAfterIt() {
        let report = stopFailed(epoch: 2, request: 0)
        var beta = betaThatFencedAlpha(report)
        let on = beta.handle(.admin(.maintenance(on: true), author: "carol"), now: at(5))
        XCTAssertEqual(on.answer?.accepted, true)
        XCTAssertFalse(beta.handle(.peerMessage(report), now: at(5.1)).fences, "nor in maintenance")
        let off = beta.handle(.admin(.maintenance(on: false), author: "carol"), now: at(6))
        XCTAssertEqual(off.answer?.accepted, true)
        XCTAssertEqual(beta.stateName, .active)
        XCTAssertEqual(beta.epoch, 2)
        XCTAssertFalse(beta.handle(.peerMessage(report), now: at(6.1)).fences,
                       "leaving maintenance does not make the peer fenced at this epoch fenceable again")
    }

    func testATakingOverNodeWaitsForItsServiceChecksBeforeConfirming() {
        var standby = Node.standby(epoch: 1)
        let ready = HealthVerdict(nodeFailing: [], service: .idle)
        _ = standby.healthChanged(ready, now: at(0.5))
        XCTAssertTrue(standby.isHealthy, "a standby whose service is off is ready when its node checks pass")
        XCTAssertFalse(standby.runsServiceChecks)
        let start = standby.received(msg(.handoffRequest, epoch: 1, request: 7, role: .active, healthy: false), now: at(1))
        XCTAssertTrue(start.startsService)
        XCTAssertEqual(standby.advertisedRole, .takingOver)
        let started = standby.actionFinished(.start, .succeeded, now: at(2))
        XCTAssertTrue(started.sent.isEmpty, "no confirmation before the service checks pass")
        XCTAssertTrue(standby.runsServiceChecks)
        XCTAssertFalse(standby.loadBalancerUp(at: at(2)))
        let unverified = HealthVerdict(service: .failing([FailingCheck(name: "page", output: FailingCheck.noResultYet)]))
        XCTAssertTrue(standby.healthChanged(unverified, now: at(2.2)).sent.isEmpty)
        let verified = standby.healthChanged(HealthVerdict(service: .healthy), now: at(2.5))
        XCTAssertEqual(verified.sent.map(\.kind), [.handoffDone])
        XCTAssertEqual(verified.sent.first?.role, .active)
        XCTAssertEqual(standby.stateName, .active)
    }

    func testAServiceThatNeverPassesItsChecksIsStoppedAndTheMasterKeepsServing() {
        var standby = Node.standby(epoch: 1)
        _ = standby.healthChanged(HealthVerdict(service: .idle), now: at(0.5))
        _ = standby.received(msg(.handoffRequest, epoch: 1, request: 7, role: .active, healthy: false), now: at(1))
        _ = standby.actionFinished(.start, .succeeded, now: at(2))
        _ = standby.healthChanged(HealthVerdict(service: .failing([FailingCheck(name: "page", output: "expected 4096 bytes, got 1024")])), now: at(3))
        var all: [FailoverAction] = []
        for second in stride(from: 3.5, through: 30, by: 0.5) { all += standby.tick(now: at(second)) }
        XCTAssertTrue(all.stopsService)
        XCTAssertTrue(all.sent.contains { $0.kind == .status && $0.requestID == 7 }, "the master is told to keep serving")
        XCTAssertFalse(all.sent.contains { $0.kind == .handoffDone })
        XCTAssertTrue(standby.lastReason.contains("expected 4096 bytes, got 1024") || all.contains {
            if case .raiseIncident(_, _, let reason, _, _) = $0 { return reason.contains("expected 4096 bytes, got 1024") } else { return false }
        })
    }

    func testTheMasterKeepsServingUntilTheStandbyConfirmsThenDrains() {
        var settings = failoverSettings(.master)
        settings.drain = .seconds(1)
        var master = Node.activeMaster(settings)
        XCTAssertEqual(master.stateName, .active)
        let request = master.healthChanged(failing, now: at(1)).sent[0].requestID
        let meanwhile = master.received(msg(.heartbeat, epoch: master.epoch + 1, role: .takingOver), now: at(1.2))
        XCTAssertFalse(meanwhile.stopsService, "the standby is still starting and verifying")
        XCTAssertEqual(master.stateName, .handingOff)
        XCTAssertTrue(master.loadBalancerUp(at: at(1.2)), "better a sick master than no master, until the standby serves")
        let done = master.received(msg(.handoffDone, epoch: master.epoch + 1, request: request, role: .active), now: at(2))
        XCTAssertFalse(done.stopsService, "draining: connections in flight finish")
        XCTAssertFalse(master.loadBalancerUp(at: at(2)), "a failing node leaves the rotation at once: its verified replacement is in it")
        XCTAssertFalse(master.tick(now: at(2.5)).stopsService)
        XCTAssertTrue(master.tick(now: at(3)).stopsService)
    }

    /// A planned move keeps the old node in rotation for `drain`, until the load balancer
    /// has seen the new one up, then out of it for as long before stopping.
    func testASwitchoverDrainsInTwoSteps() {
        var settings = failoverSettings(.master)
        settings.drain = .seconds(1)
        var master = Node.activeMaster(settings)
        _ = master.received(msg(.heartbeat, epoch: master.epoch, role: .standby), now: at(0.5))
        let request = master.switchover(author: "ops", now: at(1)).sent[0].requestID
        let done = master.received(msg(.handoffDone, epoch: master.epoch + 1, request: request, role: .active), now: at(2))
        XCTAssertFalse(done.stopsService)
        XCTAssertTrue(master.loadBalancerUp(at: at(2.5)), "in rotation until the load balancer has seen the standby up")
        XCTAssertFalse(master.loadBalancerUp(at: at(3.2)), "then out of it, the service still running")
        XCTAssertFalse(master.tick(now: at(3.5)).stopsService)
        XCTAssertTrue(master.tick(now: at(4)).stopsService)
    }

    func testFailbackWithoutAnswerIsAbandoned() {
        var master = failedMaster()
        _ = master.healthChanged(.healthy, now: at(3.5))
        _ = master.received(msg(.heartbeat, epoch: 2, role: .active), now: at(4))
        _ = master.failback(force: false, author: "alice", now: at(4))
        var all = master.actionFinished(.start, .succeeded, now: at(4.2))
        for second in stride(from: 4.5, through: 20, by: 0.5) {
            _ = master.received(msg(.heartbeat, epoch: 2, role: .active), now: at(second))
            all += master.tick(now: at(second))
        }
        XCTAssertEqual(all.sent.filter { $0.kind == .quiesceRequest }.count, master.settings.handoffRetries + 1)
        XCTAssertTrue(all.stopsService, "abandoned: the master stops the service it started")
        _ = master.actionFinished(.stop, .succeeded, now: at(21))
        XCTAssertEqual(master.stateName, .failed)
    }

    func testFailbackOnAFailedStandbyOnlyClearsTheFailure() {
        var standby = Node.standby(epoch: 1)
        _ = standby.received(msg(.handoffRequest, epoch: 1, request: 7, role: .active, healthy: false), now: at(1))
        _ = standby.actionFinished(.start, .failed("exit 1"), now: at(2))
        _ = standby.actionFinished(.stop, .succeeded, now: at(3))
        XCTAssertEqual(standby.stateName, .failed)
        _ = standby.received(msg(.heartbeat, epoch: 3, role: .active), now: at(3.5))
        let cleared = standby.failback(force: false, author: "ops", now: at(4))
        XCTAssertEqual(cleared.answer?.accepted, true)
        XCTAssertFalse(cleared.startsService)
        XCTAssertEqual(standby.stateName, .standby)
        XCTAssertEqual(cleared.persisted.last?.role, .standby)
    }

    /// A refused command answers the admin; the node's reason (status's "why") stays.
    func testARefusedCommandLeavesTheNodesReasonAsItWas() {
        var master = Node.activeMaster()
        let before = master.lastReason
        XCTAssertEqual(master.failback(force: false, author: "ops", now: at(1)).answer?.accepted, false)
        XCTAssertEqual(master.ready(author: "ops", now: at(1)).answer?.accepted, false)
        XCTAssertEqual(master.lastReason, before)
    }

    func testFailbackRefusedOnTheStandbyInMaintenanceAndWhenBusy() {
        var standby = Node.standby()
        XCTAssertEqual(standby.failback(force: true, author: "a", now: at(1)).answer?.accepted, false)
        var master = failedMaster()
        _ = master.maintenance(on: true, author: "a", now: at(4))
        XCTAssertEqual(master.failback(force: true, author: "a", now: at(4)).answer?.accepted, false)
    }

    func testActiveStandbyQuiescesOnRequestIdempotently() {
        var standby = Node.standby(epoch: 1)
        _ = standby.received(msg(.handoffRequest, epoch: 1, request: 5, role: .active, healthy: false), now: at(1))
        _ = standby.actionFinished(.start, .succeeded, now: at(2))
        let request = msg(.quiesceRequest, epoch: 2, request: 77, role: .standby)
        let stopping = standby.received(request, now: at(3))
        XCTAssertEqual(stopping.persisted, [PersistedFailoverState(role: .standby, epoch: 3)])
        XCTAssertTrue(stopping.stopsService)
        XCTAssertTrue(standby.received(msg(.quiesceRequest, epoch: 3, request: 77, role: .standby), now: at(3.1)).isEmpty)
        let stopped = standby.actionFinished(.stop, .succeeded, now: at(4))
        XCTAssertEqual(stopped.sent.map(\.kind), [.quiesceDone])
        XCTAssertEqual(standby.stateName, .standby)
        let again = standby.received(msg(.quiesceRequest, epoch: 3, request: 77, role: .standby), now: at(5))
        XCTAssertEqual(again.sent.map(\.kind), [.quiesceDone])
        XCTAssertFalse(again.stopsService)
    }

    // MARK: - Switchover, maintenance, ack

    func testSwitchoverNeedsBothHealthyAndEndsInStandby() {
        var master = Node.activeMaster()
        _ = master.received(msg(.heartbeat, epoch: 1, role: .standby, healthy: false), now: at(1))
        XCTAssertEqual(master.switchover(author: "bob", now: at(1)).answer?.accepted, false)
        _ = master.received(msg(.heartbeat, epoch: 1, role: .standby, healthy: true), now: at(1.2))
        let asked = master.switchover(author: "bob", now: at(1.2))
        XCTAssertEqual(asked.answer?.accepted, true)
        XCTAssertEqual(asked.sent.first?.kind, .handoffRequest)
        XCTAssertEqual(asked.sent.first?.healthy, true, "a healthy requester: the peer sees a switchover")
        let done = master.received(msg(.handoffDone, epoch: 2, request: asked.sent[0].requestID, role: .active), now: at(2))
        XCTAssertEqual(done.persisted.last, PersistedFailoverState(role: .standby, epoch: 2))
        XCTAssertEqual(done.raised.first?.1, .switchover)
    }

    func testMaintenancePausesTheHandoffUntilItEnds() {
        var master = Node.activeMaster()
        _ = master.received(msg(.heartbeat, epoch: 1, role: .standby), now: at(1))
        XCTAssertEqual(master.maintenance(on: true, author: "carol", now: at(1)).answer?.accepted, true)
        XCTAssertTrue(master.healthChanged(failing, now: at(1.1)).sent.isEmpty)
        XCTAssertEqual(master.advertisedRole, .active, "service stays as it was")
        let request = master.received(msg(.quiesceRequest, epoch: 1, request: 3, role: .standby), now: at(1.2))
        XCTAssertEqual(request.sent.map(\.kind), [.status], "peer requests are refused in maintenance")
        let off = master.maintenance(on: false, author: "carol", now: at(2))
        XCTAssertEqual(off.sent.map(\.kind), [.handoffRequest])
    }

    func testMaintenanceDoesNotPauseSteppingDownForANewerActive() {
        var master = Node.activeMaster()
        _ = master.maintenance(on: true, author: "carol", now: at(1))
        let actions = master.received(msg(.heartbeat, epoch: 4, role: .active), now: at(1.1))
        XCTAssertTrue(actions.stopsService)
    }

    func testStandbyInMaintenanceDoesNotTakeOver() {
        var standby = Node.standby()
        _ = standby.maintenance(on: true, author: "carol", now: at(1))
        let actions = standby.tick(now: at(10))
        XCTAssertTrue(actions.probes.isEmpty)
        XCTAssertFalse(actions.startsService)
    }

    func testAcknowledgeTellsThePeerAndTheNotifier() throws {
        var master = Node.activeMaster()
        let incident = IncidentID(epoch: 1, topic: .roleChange)
        let actions = master.acknowledge(incident: incident, author: "dave", comment: "on it", now: at(1))
        XCTAssertTrue(actions.contains(.acknowledgeIncident(incident, author: "dave", comment: "on it")))
        XCTAssertEqual(actions.sent.first?.kind, .ack)
        XCTAssertEqual(actions.sent.first?.requestID, 1)
        XCTAssertTrue(actions.notified.contains { $0.0 == .acknowledged && $0.1.contains("dave: on it") })
        XCTAssertEqual(actions.sent.first?.acknowledgement, FailoverMessage.Acknowledgement(author: "dave", comment: "on it"))
        var standby = Node.standby()
        let received = standby.received(msg(.ack, epoch: 1, request: 1, role: .active), now: at(1))
        XCTAssertTrue(received.contains(.acknowledgeIncident(incident, author: "alpha (peer)", comment: nil)), "an ack without its details")
        let expiring = master.acknowledge(incident: incident, author: "dave", comment: nil, expiresIn: .seconds(600), now: at(2))
        let told = standby.received(try XCTUnwrap(expiring.sent.first), now: at(2))
        XCTAssertTrue(told.contains(.acknowledgeIncident(incident, author: "dave", comment: nil, expiresIn: .seconds(600), via: "alpha")))
    }

    // MARK: - Exit (SIGTERM)

    /// SIGTERM to the master while it hands off: it may exit only once the handoff ended
    /// and its service stopped, so that it never leaves both services running.
    func testAnExitRequestedDuringAHandoffWaitsUntilTheServiceStopped() {
        var master = Node.activeMaster()
        let request = master.healthChanged(failing, now: at(1)).sent[0].requestID
        let exit = master.exitRequested(now: at(1.1))
        XCTAssertEqual(exit.transitions.last?.2, "agent stopping: finishing the handing-off in flight first")
        XCTAssertFalse(master.mayExit)
        let done = master.received(msg(.handoffDone, epoch: master.epoch + 1, request: request, role: .active), now: at(2))
        XCTAssertTrue(done.stopsService)
        XCTAssertFalse(master.mayExit, "stopping")
        _ = master.actionFinished(.stop, .succeeded, now: at(2.5))
        XCTAssertEqual(master.stateName, .failed)
        XCTAssertTrue(master.mayExit)
    }

    /// SIGTERM to the standby while it takes over: the take-over is finished (start, verify,
    /// confirm), then it may exit; the master stops on the confirmation.
    func testAnExitRequestedDuringATakeOverFinishesIt() {
        var standby = Node.standby(epoch: 1)
        _ = standby.received(msg(.handoffRequest, epoch: 1, request: 7, role: .active, healthy: false), now: at(1))
        _ = standby.exitRequested(now: at(1.1))
        XCTAssertFalse(standby.mayExit)
        let started = standby.actionFinished(.start, .succeeded, now: at(2))
        XCTAssertEqual(started.sent.map(\.kind), [.handoffDone])
        XCTAssertEqual(standby.stateName, .active)
        XCTAssertTrue(standby.mayExit)
    }

    /// An exiting node begins nothing: a handoff request is refused with the reason, a
    /// silent peer is not taken over, a failing active node does not hand off, and admin
    /// moves are refused.
    func testAnExitingNodeBeginsNothingNew() {
        var standby = Node.standby(epoch: 1)
        _ = standby.exitRequested(now: at(0.5))
        XCTAssertTrue(standby.mayExit)
        let refused = standby.received(msg(.handoffRequest, epoch: 1, request: 7, role: .active, healthy: false), now: at(1))
        XCTAssertFalse(refused.startsService)
        XCTAssertEqual(refused.sent.map(\.kind), [.status])
        XCTAssertEqual(standby.lastReason, "refusing alpha's handoff request: my agent is stopping")
        XCTAssertTrue(standby.tick(now: at(5)).probes.isEmpty, "no takeover begins")
        XCTAssertEqual(standby.switchover(author: "ops", now: at(5)).answer?.reason, "the agent is stopping")
        var master = Node.activeMaster()
        _ = master.exitRequested(now: at(1))
        XCTAssertTrue(master.healthChanged(failing, now: at(1.5)).sent.isEmpty, "no handoff begins")
        XCTAssertEqual(master.stateName, .active)
    }

    func testEveryTransitionHasAReason() {
        var pair = PairSimulation()
        pair.settle()
        pair.input(0, .health(failing))
        pair.run(5)
        for index in 0..<2 {
            for transition in pair.all(index).transitions {
                XCTAssertFalse(transition.2.isEmpty)
            }
        }
    }
}
