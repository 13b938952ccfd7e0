import XCTest
@testable import VacataireCore

/// Two machines driven against each other by `PairSimulation` in lockstep: whole incidents,
/// races and restarts, on a hand-driven clock.
final class FailoverPairTests: XCTestCase {
    func testBothNodesBootingAtOnceEndWithExactlyOneActive() {
        var pair = PairSimulation()
        XCTAssertTrue(pair.run(until: { $0.nodes[0].stateName == .active && $0.nodes[1].stateName == .standby }, limit: 5))
        pair.run(0.5)
        XCTAssertEqual(pair.nodes[0].epoch, 1)
        XCTAssertEqual(pair.nodes[1].epoch, 1)
        XCTAssertEqual(pair.serviceOn, [true, false])
        XCTAssertEqual(pair.violations, [])
    }

    func testWholeIncidentFromFailureToFailback() {
        var pair = PairSimulation()
        pair.settle()
        // 1. The master's critical check fails: handoff.
        pair.input(0, .health(failing))
        XCTAssertTrue(pair.run(until: { $0.nodes[0].stateName == .failed && $0.nodes[1].stateName == .active }, limit: 5))
        XCTAssertEqual(pair.serviceOn, [false, true])
        XCTAssertEqual(pair.nodes[0].epoch, 2)
        XCTAssertEqual(pair.nodes[1].epoch, 2)
        let incident = IncidentID(epoch: 2, topic: .roleChange)
        XCTAssertTrue(pair.all(0).raised.contains { $0.0 == incident && $0.1 == .failover })
        XCTAssertTrue(pair.all(1).raised.contains { $0.0 == incident && $0.1 == .failover })
        // 2. The admin acknowledges on the standby; the master hears of it.
        pair.input(1, .admin(.acknowledge(incident, comment: "looking", expiresIn: nil), author: "alice"))
        pair.step()
        // The master records who acknowledged, why and where (decided by the machines, not patched in).
        XCTAssertTrue(pair.all(0).contains(.acknowledgeIncident(incident, author: "alice", comment: "looking", via: "beta")))
        // 3. Nothing happens on its own, however long we wait.
        pair.run(30)
        XCTAssertEqual(pair.nodes[0].stateName, .failed)
        // 4. Repaired, the master fails back.
        pair.input(0, .health(.healthy))
        let failback = pair.nodes[0].handle(.admin(.failback(force: false), author: "alice"), now: pair.now)
        pair.apply(0, failback)
        XCTAssertEqual(failback.answer?.accepted, true)
        XCTAssertTrue(pair.run(until: { $0.nodes[0].stateName == .active && $0.nodes[1].stateName == .standby }, limit: 5))
        XCTAssertEqual(pair.serviceOn, [true, false])
        XCTAssertEqual(pair.nodes[0].epoch, pair.nodes[1].epoch)
        XCTAssertTrue(pair.all(0).closed.contains(incident))
        XCTAssertTrue(pair.all(0).notified.contains { $0.0 == .failback })
        // 5. Normal again: stays so.
        pair.run(10)
        XCTAssertEqual(pair.nodes[0].stateName, .active)
        XCTAssertEqual(pair.nodes[1].stateName, .standby)
        XCTAssertEqual(pair.violations, [])
        // A handoff starts the standby before stopping the master (make before break, Docs/failover.md): the overlap
        // lasts one exchange, here one 50 ms step.
        XCTAssertLessThanOrEqual(pair.bothServedAt.count, 1)
    }

    func testMasterMachineDiesStandbyTakesOverWithinDeadAfter() {
        var pair = PairSimulation()
        pair.settle()
        let died = pair.now
        pair.crash(0)
        XCTAssertTrue(pair.run(until: { $0.serviceOn[1] }, limit: 10))
        let took = pair.now.since(died)
        XCTAssertGreaterThanOrEqual(took, .seconds(3))
        XCTAssertLessThan(took, .seconds(3.5))
        XCTAssertEqual(pair.nodes[1].stateName, .active)
        // The master comes back: it learns beta serves and stays off.
        pair.restart(0)
        pair.run(5)
        XCTAssertEqual(pair.nodes[0].stateName, .standby)
        XCTAssertEqual(pair.serviceOn, [false, true])
        XCTAssertEqual(pair.violations, [])
    }

    func testRestartedFailedMasterStaysFailedUntilFailback() {
        var pair = PairSimulation()
        pair.settle()
        pair.input(0, .health(failing))
        pair.run(until: { $0.nodes[0].stateName == .failed }, limit: 5)
        pair.crash(0)
        pair.run(1)
        pair.restart(0, healthy: true)
        pair.run(20)
        XCTAssertEqual(pair.nodes[0].stateName, .failed)
        XCTAssertEqual(pair.serviceOn, [false, true])
        pair.input(0, .admin(.failback(force: false), author: "ops"))
        XCTAssertTrue(pair.run(until: { $0.nodes[0].stateName == .active && $0.nodes[1].stateName == .standby }, limit: 5))
    }

    func testWitnessUnreachableForTheStandbyMeansNoTakeover() {
        var pair = PairSimulation()
        pair.settle()
        pair.crash(0, serviceDies: true)
        pair.guardReport[1] = GuardReport(witnessReachable: false, peerServiceAnswers: false)
        pair.run(20)
        XCTAssertFalse(pair.serviceOn[1])
        XCTAssertTrue(pair.all(1).raised.contains { $0.0.topic == .peerLost })
    }

    func testPartitionTheCutOffActiveStopsBeforeTheStandbyStarts() {
        var pair = PairSimulation()
        pair.settle()
        pair.linkUp = false
        pair.guardReport[0] = GuardReport(witnessReachable: false)  // alpha is the isolated one
        pair.guardReport[1] = GuardReport(witnessReachable: true, peerServiceAnswers: false)
        var alphaStopped: MonotonicInstant?
        var betaStarted: MonotonicInstant?
        for _ in 0..<200 {
            pair.step()
            if alphaStopped == nil, !pair.serviceOn[0] { alphaStopped = pair.now }
            if betaStarted == nil, pair.serviceOn[1] { betaStarted = pair.now }
        }
        guard let alphaStopped, let betaStarted else { return XCTFail("expected a self-fence and a takeover") }
        XCTAssertLessThan(alphaStopped, betaStarted)
        XCTAssertEqual(pair.bothServedAt, [])
        // The link heals: alpha learns beta's epoch and stays standby.
        pair.linkUp = true
        pair.run(3)
        XCTAssertEqual(pair.nodes[0].stateName, .standby)
        XCTAssertEqual(pair.nodes[1].stateName, .active)
        XCTAssertEqual(pair.nodes[0].epoch, pair.nodes[1].epoch)
        XCTAssertEqual(pair.violations, [])
    }

    func testAnIsolatedMasterItsSelfFenceTheTakeoverAndTheFailbackAreOneIncident() {
        var pair = PairSimulation()
        pair.settle()
        pair.run(1)  // beta hears alpha active at epoch 1
        let before = pair.all(0).count
        let betaBefore = pair.all(1).count
        pair.linkUp = false
        pair.guardReport[0] = GuardReport(witnessReachable: false)  // alpha is the isolated one
        pair.guardReport[1] = GuardReport(witnessReachable: true, peerServiceAnswers: false)
        pair.run(10)
        pair.linkUp = true
        pair.run(3)
        XCTAssertEqual(pair.nodes.map(\.stateName), [.standby, .active])
        pair.input(0, .admin(.failback(force: false), author: "ops"))
        pair.run(5)
        XCTAssertEqual(pair.nodes.map(\.stateName), [.active, .standby])
        let alpha = Array(pair.all(0)[before...]).pages
        let beta = Array(pair.all(1)[betaBefore...]).pages
        let incident = IncidentID(epoch: 1, topic: .peerLost)
        // alpha: its self-fence (queued while isolated), then the failback that closes it.
        XCTAssertEqual(alpha.map(\.0), [.peerLost, .failback], "\(alpha)")
        // beta: the takeover (the page that wakes someone), then the peer's return.
        XCTAssertEqual(beta.map(\.0), [.takeover, .peerFound], "\(beta)")
        XCTAssertEqual(Set((alpha + beta).map(\.1)), [incident], "one incident, one thread")
        // Alpha found its peer again: its self-fence page, if still undelivered (alpha was
        // cut off), is folded into the incident's next message instead of arriving late.
        let folded = pair.all(0)[before...].compactMap { action -> IncidentID? in
            if case .foldUndelivered(.peerLost, let id, _) = action { return id } else { return nil }
        }
        XCTAssertEqual(folded, [incident])
        XCTAssertTrue(pair.all(1)[betaBefore...].allSatisfy { if case .foldUndelivered = $0 { false } else { true } },
                      "beta, which serves, tells the peer's return instead")
        XCTAssertEqual(Array(pair.all(0)[before...]).closed, [incident])
        XCTAssertEqual(Array(pair.all(1)[betaBefore...]).closed, [incident])
    }

    func testAMasterFailingAtAFirstStartWithNobodyServingIsOnePageTheStandbysTakeover() {
        var pair = PairSimulation()
        pair.input(0, .health(failing))
        pair.run(10)
        XCTAssertEqual(pair.nodes.map(\.stateName), [.failed, .active])
        XCTAssertEqual(pair.all(0).pages.map(\.0), [], "the failed master records it; the node that serves pages it")
        XCTAssertEqual(pair.all(1).pages.map(\.0), [.takeover])
        XCTAssertEqual(pair.violations, [])
    }

    func testBothFailingAtAFirstStartIsOnePageThatNobodyServes() {
        var pair = PairSimulation()
        pair.input(0, .health(failing))
        pair.input(1, .health(failing))
        pair.run(30)
        XCTAssertEqual(pair.serviceOn, [false, false])
        // The configured master pages it once it is failed and sees its peer cannot serve.
        XCTAssertEqual(pair.all(0).pages.count, 1, "\(pair.all(0).pages)")
        XCTAssertEqual(pair.all(1).pages.count, 0, "\(pair.all(1).pages)")
        XCTAssertEqual(pair.all(0).pages.first?.1?.topic, .actionFailed, "the nobody-serves incident")
        XCTAssertEqual(pair.violations, [])
    }

    func testTheFailoverPageNamesTheMastersFailingChecksAndOnlyTheNewActivePagesIt() {
        var pair = PairSimulation()
        pair.settle()
        let before = (pair.all(0).count, pair.all(1).count)
        let failing = HealthVerdict(service: .failing([FailingCheck(name: "page", output: "expected 4096 bytes, got 1024")]))
        pair.input(0, .health(failing))
        pair.run(3)
        XCTAssertEqual(pair.nodes.map(\.stateName), [.failed, .active])
        let alpha = Array(pair.all(0)[before.0...])
        let beta = Array(pair.all(1)[before.1...])
        XCTAssertEqual(alpha.pages.count, 0, "the node that stops records the incident; the one that serves pages it")
        XCTAssertEqual(beta.pages.map(\.0), [.failover])
        let opened = beta.compactMap { action -> (String, [FailingCheck])? in
            if case .raiseIncident(_, _, let reason, true, let checks) = action { return (reason, checks) } else { return nil }
        }
        XCTAssertEqual(opened.first?.1, [FailingCheck(name: "page", output: "expected 4096 bytes, got 1024")])
        XCTAssertTrue(opened.first?.0.contains("expected 4096 bytes, got 1024") == true, "\(opened)")
        XCTAssertTrue(opened.first?.0.contains("vacataire failback") == true, "the page says what to do next")
        XCTAssertEqual(alpha.raised.map(\.0), beta.raised.map(\.0), "both nodes name it alike")
    }

    func testPartitionWithBothReachingTheWitnessIsPeerLostOnBoth() {
        var pair = PairSimulation()
        pair.settle()
        pair.linkUp = false
        pair.guardReport[0] = GuardReport(witnessReachable: true)
        pair.guardReport[1] = GuardReport(witnessReachable: true, peerServiceAnswers: true)
        pair.run(8)
        XCTAssertEqual(pair.serviceOn, [true, false])
        XCTAssertTrue(pair.all(0).raised.contains { $0.0.topic == .peerLost })
        XCTAssertTrue(pair.all(1).raised.contains { $0.0.topic == .peerLost })
        pair.linkUp = true
        pair.run(1)
        // One warning and one recovery, both from the serving node, in one thread.
        XCTAssertEqual(pair.all(0).pages.map(\.0), [.peerLost, .peerFound])
        XCTAssertEqual(Set(pair.all(0).pages.map(\.1)).count, 1)
        XCTAssertEqual(pair.all(1).pages.map(\.0), [], "the standby records the loss and leaves the page to the active node")
        // A cut longer than dead_after and the grace reads, on the standby, as the master's
        // agent gone with its service unprotected (it cannot tell the two apart): it warns once.
        pair.linkUp = false
        pair.run(20)
        pair.linkUp = true
        pair.run(1)
        XCTAssertEqual(pair.all(1).pages.map(\.0), [.peerLost, .peerFound])
        XCTAssertEqual(pair.serviceOn, [true, false])
    }

    func testHandoffReplyAfterItsTimeoutStepsTheMasterDown() {
        var pair = PairSimulation()
        pair.settle()
        pair.guardReport[0] = GuardReport(witnessReachable: true)
        pair.holdStarts[1] = true  // beta's start actions are slow
        pair.input(0, .health(failing))
        pair.step()
        XCTAssertEqual(pair.nodes[1].stateName, .takingOver)
        pair.linkUp = false  // and nothing beta says reaches alpha for a while
        pair.run(16)
        XCTAssertEqual(pair.nodes[0].stateName, .active, "alpha gave up and keeps serving")
        XCTAssertTrue(pair.all(0).raised.contains { $0.0.topic == .handoffFailed })
        pair.holdStarts[1] = false  // beta's start finally finishes; its confirmation is lost
        pair.step()
        XCTAssertEqual(pair.nodes[1].stateName, .active)
        pair.linkUp = true
        XCTAssertTrue(pair.run(until: { $0.nodes[0].stateName == .failed && $0.nodes[1].stateName == .active }, limit: 3))
        XCTAssertEqual(pair.serviceOn, [false, true])
        XCTAssertEqual(pair.violations, [])
    }

    func testFailbackDuringAHandoffConverges() {
        var pair = PairSimulation()
        pair.settle()
        pair.input(0, .health(failing))
        pair.run(until: { $0.nodes[0].stateName == .failed }, limit: 5)
        pair.input(0, .health(.healthy))
        pair.run(1)
        // beta starts failing and hands off while the admin fails back on alpha: same instant.
        pair.input(1, .health(failing))
        pair.input(0, .admin(.failback(force: false), author: "ops"))
        XCTAssertTrue(pair.run(until: { $0.nodes[0].stateName == .active && $0.serviceOn == [true, false] }, limit: 20))
        pair.run(5)
        XCTAssertEqual(pair.nodes[0].stateName, .active)
        XCTAssertNotEqual(pair.nodes[1].stateName, .active)
        XCTAssertEqual(pair.violations, [])
    }

    func testSwitchoverBothWaysWithBothHealthy() {
        var pair = PairSimulation()
        pair.settle()
        pair.run(0.5)
        pair.input(0, .admin(.switchover(to: nil), author: "ops"))
        XCTAssertTrue(pair.run(until: { $0.nodes[0].stateName == .standby && $0.nodes[1].stateName == .active }, limit: 5))
        XCTAssertTrue(pair.all(1).raised.contains { $0.1 == .switchover })
        pair.run(5)
        XCTAssertEqual(pair.serviceOn, [false, true], "a switched-over master does not take its service back")
        pair.input(0, .admin(.switchover(to: nil), author: "ops"))
        XCTAssertTrue(pair.run(until: { $0.nodes[0].stateName == .active && $0.nodes[1].stateName == .standby }, limit: 5))
        XCTAssertEqual(pair.violations, [])
    }

    func testRestartInEveryState() {
        // Crash alpha at each moment of a failure-and-failback cycle, restart it, and check
        // that the pair converges with one active and that a failed alpha stays failed.
        var crashedIn: Set<FailoverStateName> = []
        for (crashStep, slowStops) in (0..<120).flatMap({ step in [(step, false), (step, true)] }) {
            var pair = PairSimulation()
            pair.settle()
            pair.holdStops[0] = slowStops  // stop actions that hang until the crash
            pair.input(0, .health(failing))
            var seen: FailoverStateName = .starting
            for step in 0..<120 {
                if step == 40 { pair.input(0, .health(.healthy)) }
                if step == 45 { pair.input(0, .admin(.failback(force: false), author: "ops")) }
                if step == crashStep { seen = pair.nodes[0].stateName; break }
                pair.step()
            }
            let storedRole = pair.store[0]?.role
            crashedIn.insert(seen)
            pair.crash(0, serviceDies: false)
            pair.run(0.5)
            pair.restart(0)
            pair.run(10)
            let states = pair.nodes.map(\.stateName)
            XCTAssertEqual(pair.violations, [], "crash in \(seen)")
            XCTAssertEqual(states.filter { $0 == .active }.count, 1, "crash in \(seen) (stored \(String(describing: storedRole))): \(states)")
            if storedRole == .failed {
                XCTAssertEqual(states[0], .failed, "a failed master stays failed after a restart")
            }
        }
        XCTAssertEqual(crashedIn, [.active, .handingOff, .quiescing, .failed, .takingOver], "the states alpha crashed in")
    }

    func testStandbyRestartInEveryState() {
        for crashStep in stride(from: 0, to: 60, by: 4) {
            var pair = PairSimulation()
            pair.settle()
            pair.input(0, .health(failing))
            for _ in 0..<crashStep { pair.step() }
            pair.crash(1, serviceDies: false)
            pair.run(0.5)
            pair.restart(1)
            pair.run(20)
            let states = pair.nodes.map(\.stateName)
            XCTAssertEqual(pair.violations, [], "crash at step \(crashStep)")
            XCTAssertEqual(states.filter { $0 == .active }.count, 1, "crash at step \(crashStep): \(states)")
        }
    }

    /// Power loss of both nodes: the agents and the services come back together. The master
    /// serves again if it can (its service is started anew), else the standby; neither can,
    /// one page says so. A restart alone never pages.
    func testPowerLossOfBothNodesEndsWithTheMasterServingOrOnePage() {
        for standbyFailedBefore in [false, true] {
            for masterStarts in [true, false] {
                let label = "standby failed before: \(standbyFailedBefore), master starts: \(masterStarts)"
                var pair = PairSimulation()
                pair.settle()
                pair.run(1)
                if standbyFailedBefore, let stored = pair.store[1] {
                    pair.store[1] = PersistedFailoverState(role: .failed, epoch: stored.epoch)
                }
                let pagesBefore = pair.all(0).pages.count + pair.all(1).pages.count
                pair.crash(0)
                pair.crash(1)
                pair.step()
                pair.startOutcome[0] = masterStarts ? .succeeded : .failed("exit 1: disk quota exceeded")
                pair.restart(0)
                pair.restart(1)
                pair.run(15)
                let newPages = pair.all(0).pages.count + pair.all(1).pages.count - pagesBefore
                switch (masterStarts, standbyFailedBefore) {
                case (true, _):
                    XCTAssertEqual(pair.serviceOn, [true, false], label)
                    XCTAssertEqual(pair.nodes[0].stateName, .active, label)
                    XCTAssertEqual(newPages, 0, "\(label): a restart alone never pages")
                case (false, false):
                    XCTAssertEqual(pair.serviceOn, [false, true], label)
                    XCTAssertEqual(newPages, 1, "\(label): the takeover's page alone")
                case (false, true):
                    XCTAssertEqual(pair.serviceOn, [false, false], label)
                    XCTAssertEqual(newPages, 1, "\(label): one page that nobody serves")
                    let reasons = pair.all(0).raised.map(\.2) + pair.all(0).notified.map(\.1)
                    let page = reasons.last { $0.contains("nobody serves") } ?? ""
                    XCTAssertTrue(page.contains("start actions failed (exit 1: disk quota exceeded)"), page)
                    XCTAssertTrue(page.contains("beta is failed"), page)
                    XCTAssertTrue(page.contains("`vacataire ready`"), page)
                }
                XCTAssertEqual(pair.violations, [], label)
            }
        }
    }

    /// A repaired failed node returns to standby by `ready` without moving the service, and
    /// the pair is protected again: the next failure of the active node hands off to it.
    func testReadyReturnsAFailedStandbyToServiceWithoutMovingTheService() {
        var pair = PairSimulation()
        pair.settle()
        pair.startOutcome[1] = .failed("exit 1")
        pair.input(0, .health(failing))
        XCTAssertTrue(pair.run(until: { $0.nodes[1].stateName == .failed && $0.nodes[0].stateName == .active }, limit: 30))
        pair.input(0, .health(.healthy))
        pair.run(2)
        let refused = pair.nodes[0].handle(.admin(.ready, author: "ops"), now: pair.now)
        XCTAssertEqual(refused.answer?.accepted, false)
        XCTAssertEqual(refused.answer?.reason, "only a failed node is made ready; this node is active")
        pair.input(1, .health(failing))
        XCTAssertEqual(pair.nodes[1].handle(.admin(.ready, author: "ops"), now: pair.now).answer?.accepted, false, "not while its checks fail")
        pair.input(1, .health(.healthy))
        let ready = pair.nodes[1].handle(.admin(.ready, author: "ops"), now: pair.now)
        pair.apply(1, ready)
        XCTAssertEqual(ready.answer?.accepted, true)
        XCTAssertFalse(ready.startsService)
        pair.run(2)
        XCTAssertEqual(pair.nodes.map(\.stateName), [.active, .standby])
        XCTAssertEqual(pair.serviceOn, [true, false])
        // Protected again: the master's next failure hands off to the repaired standby.
        pair.startOutcome[1] = .succeeded
        pair.input(0, .health(failing))
        XCTAssertTrue(pair.run(until: { $0.nodes[1].stateName == .active }, limit: 30))
        pair.run(3)
        XCTAssertEqual(pair.serviceOn, [false, true])
        XCTAssertEqual(pair.violations, [])
    }
}

extension FailoverPairTests {
    /// A drill's legs are switchovers that page nothing and open no incident, either way,
    /// while a drill that failed opens one incident, paged, which a drill that passes closes.
    func testDrillLegsPageNothingAndAFailedDrillPagesOnce() {
        var pair = PairSimulation()
        pair.settle()
        pair.run(0.5)
        let before = [pair.all(0).count, pair.all(1).count]
        pair.input(0, .admin(.drillLeg, author: "ops"))
        XCTAssertTrue(pair.run(until: { $0.nodes[0].stateName == .standby && $0.nodes[1].stateName == .active }, limit: 5))
        pair.input(0, .admin(.drillLeg, author: "ops"))
        XCTAssertTrue(pair.run(until: { $0.nodes[0].stateName == .active && $0.nodes[1].stateName == .standby }, limit: 5))
        pair.run(5)
        for index in 0..<2 {
            let actions = Array(pair.all(index).dropFirst(before[index]))
            XCTAssertTrue(actions.pages.isEmpty, "node \(index) paged a drill's leg: \(actions.pages)")
            XCTAssertTrue(actions.raised.isEmpty, "node \(index) opened an incident for a drill's leg: \(actions.raised)")
        }
        XCTAssertEqual(pair.violations, [])
        var count = pair.all(0).count
        pair.input(0, .admin(.drillEnded(passed: false, report: "drill FAILED at leg 1"), author: "ops"))
        let failed = Array(pair.all(0).dropFirst(count))
        XCTAssertEqual(failed.pages.map(\.0), [.drillFailed])
        XCTAssertEqual(pair.nodes[0].openIncidents.map(\.topic), [.drillFailed])
        // The next drill that passes sends a notice, no page, and closes the failed one's incident.
        count = pair.all(0).count
        pair.input(0, .admin(.drillEnded(passed: true, report: "drill passed"), author: "ops"))
        let passed = Array(pair.all(0).dropFirst(count))
        XCTAssertEqual(passed.notified.map(\.0), [.drill])
        XCTAssertFalse(passed.notified.contains { NotificationLimiter.isPage($0.0) })
        XCTAssertEqual(passed.closed.map(\.topic), [.drillFailed])
        XCTAssertEqual(pair.nodes[0].openIncidents, [])
    }
}
