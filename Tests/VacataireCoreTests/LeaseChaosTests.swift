import VacataireTestSupport
import XCTest
@testable import VacataireCore

/// Three lease machines and a pure model of etcd: leases timed by the store from when it
/// received a renewal (and extended at random, as etcd does when its own leader changes),
/// a leader key and member keys bound to leases, transactions, watches, requests that fail
/// after the request timeout when a node is cut from the store or the store has no quorum.
/// Every input reaches the machines through the coordinator seam (`handle`).
struct LeaseCluster {
    static let step = Duration.milliseconds(50)
    let settings: [LeaseSettings]
    var nodes: [LeaseMachine]
    var now = MonotonicInstant.seconds(0)
    var dice: Dice
    // The store.
    var leases: [Int64: (node: Int, expires: MonotonicInstant)] = [:]
    var nextLease: Int64 = 100
    var revision: Int64 = 1
    var leaderKey: (record: LeaderRecord, lease: Int64)?
    var memberKeys: [String: (record: MemberRecord, lease: Int64)] = [:]
    var incidentKeys: [IncidentID: ClusterIncident] = [:]
    var quorum = true
    var connected = [true, true, true]
    var down = [false, false, false]
    /// Answers and watch events on their way to a node.
    var pending: [(at: MonotonicInstant, node: Int, event: LeaseEvent)] = []
    // The nodes' services.
    var serviceActions: [[ServiceActionKind]] = [[], [], []]
    var serviceOn = [false, false, false]
    var healthy = [true, true, true]
    var violations: [String] = []
    var bothServing = 0
    var longestBothServing = 0
    var bothServingWhileCut = 0
    var longestBothServingWhileCut = 0
    var twoHolders = 0
    var nobodySince: MonotonicInstant?
    var pages: [(at: MonotonicInstant, node: Int, kind: EventKind, reason: String)] = []
    /// Notifications about an open incident (a recovery).
    var notices: [(at: MonotonicInstant, node: Int, kind: EventKind, reason: String)] = []

    init(seed: UInt64, ttl: Duration = .seconds(10)) {
        dice = Dice(state: seed)
        settings = (0..<3).map { index in
            LeaseSettings(nodeName: ["alpha", "beta", "gamma"][index], priority: 3 - index, ttl: ttl, renewInterval: ttl / 5,
                          requestTimeout: ttl / 5, startTimeout: .seconds(5), stopTimeout: .seconds(2), verifyTimeout: .seconds(5),
                          handoffTimeout: .seconds(10), drain: .milliseconds(500))
        }
        nodes = settings.map { LeaseMachine(settings: $0, persisted: nil, now: .seconds(0)) }
        for index in 0..<3 { boot(index) }
    }

    var reachable: [Bool] { (0..<3).map { connected[$0] && quorum && !down[$0] } }

    mutating func boot(_ index: Int) {
        nodes[index] = LeaseMachine(settings: settings[index], persisted: nil, now: now)
        apply(index, nodes[index].boot(now: now))
        input(index, .health(healthy[index] ? .healthy : HealthVerdict(healthy: false)))
    }

    mutating func input(_ index: Int, _ input: CoordinatorInput) {
        apply(index, nodes[index].handle(input, now: now))
    }

    /// When each node's last delivery is due: one connection to the store delivers in order.
    var lastDelivery = [MonotonicInstant.seconds(0), .seconds(0), .seconds(0)]

    mutating func deliver(_ node: Int, _ event: LeaseEvent, after delay: Duration? = nil) {
        let at = max(now + (delay ?? dice.delay(upTo: .milliseconds(40))), lastDelivery[node])
        lastDelivery[node] = at
        pending.append((at, node, event))
    }

    mutating func broadcastLeader() {
        for index in 0..<3 where reachable[index] { deliver(index, .leader(leaderKey?.record)) }
    }

    mutating func broadcastMembers() {
        let list = memberKeys.values.map(\.record).sorted { $0.name < $1.name }
        for index in 0..<3 where reachable[index] { deliver(index, .members(list)) }
    }

    /// A watch that reconnects reads the keys again.
    mutating func resync(_ index: Int) {
        deliver(index, .leader(leaderKey?.record))
        deliver(index, .members(memberKeys.values.map(\.record).sorted { $0.name < $1.name }))
        for incident in incidentKeys.values { deliver(index, .incident(incident)) }
    }

    func leaseValid(_ id: Int64, _ node: Int) -> Bool {
        leases[id].map { $0.node == node && $0.expires > now } ?? false
    }

    mutating func apply(_ index: Int, _ actions: [FailoverAction]) {
        for action in actions {
            switch action {
            case .runStartActions: serviceActions[index].append(.start)
            case .runStopActions: serviceActions[index].append(.stop)
            case .raiseIncident(_, let kind, let reason, true, _): pages.append((now, index, kind, reason))
            case .notify(let kind, _, let reason): notices.append((now, index, kind, reason))
            case .lease(let request): store(index, request)
            default: break
            }
        }
    }

    mutating func store(_ index: Int, _ request: LeaseRequest) {
        guard reachable[index] else {
            deliver(index, .failed(request, why: down[index] ? "down" : connected[index] ? "etcdserver: no leader" : "timed out",
                                   storeAnswered: connected[index] && !down[index]), after: settings[index].requestTimeout)
            return
        }
        switch request {
        case .grant(let ttl):
            nextLease += 1
            leases[nextLease] = (index, now + ttl)
            deliver(index, .granted(lease: nextLease, sentAt: now))
        case .keepAlive(let id):
            if leaseValid(id, index) {
                let expires = max(leases[id]?.expires ?? now, now + settings[index].ttl)
                leases[id]?.expires = expires
                deliver(index, .renewed(lease: id, sentAt: now))
            } else {
                deliver(index, .failed(request, why: "requested lease not found", storeAnswered: true))
            }
        case .publish(let record, let id):
            guard leaseValid(id, index) else { return deliver(index, .failed(request, why: "requested lease not found", storeAnswered: true)) }
            memberKeys[record.name] = (record, id)
            broadcastMembers()
        case .campaign(let name, let id):
            claim(index, name: name, lease: id, if: leaderKey == nil)
        case .takeOver(let from, let name, let id):
            claim(index, name: name, lease: id, if: leaderKey?.record == from)
        case .announceReady(let from, let name, let id):
            if let holder = settings.firstIndex(where: { $0.nodeName == from.holder }), reachable[holder] {
                deliver(holder, .targetReady(name: name, lease: id, from: from))
            }
        case .requestHandoff(let request):
            if let to = settings.firstIndex(where: { $0.nodeName == request.to }), reachable[to] {
                deliver(to, .handoffRequested(request))
            }
        case .resign(let record):
            if leaderKey?.record == record {
                leaderKey = nil
                broadcastLeader()
            }
        case .recordIncident(let incident):
            incidentKeys[incident.id] = incident
            for other in 0..<3 where reachable[other] { deliver(other, .incident(incident)) }
        case .forgetIncident(let id):
            incidentKeys[id] = nil
            for other in 0..<3 where reachable[other] { deliver(other, .incidentGone(id)) }
        }
    }

    /// A transaction on the leader key: it becomes `name`'s, bound to `lease`, if the
    /// comparison holds and the lease is alive; the answer carries the key either way.
    mutating func claim(_ index: Int, name: String, lease: Int64, if comparison: Bool) {
        // The key is bound to `name`'s lease (the holder moves it to its successor's).
        let owner = settings.firstIndex { $0.nodeName == name } ?? index
        guard comparison, leaseValid(lease, owner) else {
            return deliver(index, .claimAnswered(won: false, leader: leaderKey?.record))
        }
        revision += 1
        leaderKey = (LeaderRecord(holder: name, revision: revision), lease)
        deliver(index, .claimAnswered(won: true, leader: leaderKey?.record), after: .milliseconds(1))
        broadcastLeader()
    }

    /// The store expires what was not renewed; the holder of an expired leader key must
    /// have stopped its service by then.
    mutating func expireLeases() {
        for (id, lease) in leases where lease.expires <= now {
            leases[id] = nil
            if leaderKey?.lease == id {
                if serviceOn[lease.node] {
                    violations.append("the lease of \(settings[lease.node].nodeName), the leader, expired while it served, at \(now): "
                        + "\(nodes[lease.node].phase) \(nodes[lease.node].lastReason)")
                }
                leaderKey = nil
                broadcastLeader()
            }
            let before = memberKeys.count
            memberKeys = memberKeys.filter { $0.value.lease != id }
            if memberKeys.count != before { broadcastMembers() }
        }
    }

    mutating func step() {
        now = now + Self.step
        expireLeases()
        // In the order sent (the due times of one node never decrease).
        let due = pending.filter { $0.at <= now }
        pending.removeAll { $0.at <= now }
        for (_, index, event) in due where !down[index] {
            input(index, .lease(event))
        }
        for index in 0..<3 where !down[index] {
            let actions = serviceActions[index]
            serviceActions[index] = []
            for kind in actions {
                serviceOn[index] = kind == .start
                input(index, .actionFinished(kind, .succeeded))
            }
            input(index, .tick)
        }
        checkInvariants()
    }

    mutating func checkInvariants() {
        let serving = (0..<3).filter { serviceOn[$0] }
        if serving.count >= 2, serving.contains(where: { !reachable[$0] }) {
            // A node cut from the store while it takes over: its service runs (out of the
            // load balancer: it does not hold the key) until its takeover times out or it can
            // no longer prove its lease. Two holders never happen (checked below).
            bothServingWhileCut += bothServing + 1
            longestBothServingWhileCut = max(longestBothServingWhileCut, bothServingWhileCut)
            bothServing = 0
        } else if serving.count >= 2 {
            bothServing += 1
            longestBothServing = max(longestBothServing, bothServing)
        } else {
            bothServing = 0
            bothServingWhileCut = 0
        }
        let holders = (0..<3).filter { !down[$0] && nodes[$0].holdsKey && serviceOn[$0] }
        twoHolders = holders.count >= 2 ? twoHolders + 1 : 0
        if twoHolders > 3 {
            violations.append("\(holders.map { settings[$0].nodeName }) all believe they hold the leader key at \(now)")
            twoHolders = 0
        }
        // Liveness: with a quorum and a ready node that reaches it (healthy, not failed:
        // a failed node waits for an admin), someone serves in time.
        let couldServe = quorum && (0..<3).contains { !down[$0] && connected[$0] && healthy[$0] && nodes[$0].phase != .failed }
        if !serving.isEmpty || !couldServe {
            nobodySince = nil
        } else if let since = nobodySince {
            if now.since(since) > settings[0].ttl * 3 {
                violations.append("nobody serves since \(since) although a ready node reaches the store, at \(now): "
                    + "\(nodes.map { "\($0.phase)" }) leader \(String(describing: leaderKey?.record))")
                nobodySince = now
            }
        } else {
            nobodySince = now
        }
    }

    mutating func run(_ seconds: Double) {
        for _ in 0..<Int(seconds / 0.05) { step() }
    }

    mutating func setHealth(_ index: Int, _ value: Bool) {
        healthy[index] = value
        guard !down[index] else { return }
        input(index, .health(value ? .healthy : HealthVerdict(healthy: false)))
    }

    mutating func crash(_ index: Int) {
        down[index] = true
        serviceOn[index] = false
        serviceActions[index] = []
    }

    mutating func setConnected(_ index: Int, _ value: Bool) {
        let was = reachable[index]
        connected[index] = value
        if !was, reachable[index] { resync(index) }
    }

    mutating func setQuorum(_ value: Bool) {
        let was = reachable
        quorum = value
        for index in 0..<3 where !was[index] && reachable[index] { resync(index) }
    }
}

final class LeaseChaosTests: XCTestCase {
    /// 100 seeds on every run; `VACATAIRE_CHAOS_SEEDS` for a longer hunt.
    static let seeds = Int(ProcessInfo.processInfo.environment["VACATAIRE_CHAOS_SEEDS"] ?? "") ?? 100

    func testTheBestReadyMemberWinsAndServesAlone() {
        var cluster = LeaseCluster(seed: 1)
        cluster.run(5)
        XCTAssertEqual(cluster.serviceOn, [true, false, false], "alpha ranks first: \(cluster.nodes.map(\.phase))")
        XCTAssertEqual(cluster.leaderKey?.record.holder, "alpha")
        XCTAssertEqual(cluster.pages.map(\.kind), [], "a new cluster's first election is recorded, not paged: nobody served before")
    }

    func testAFailingLeaderHandsOffMakeBeforeBreak() {
        var cluster = LeaseCluster(seed: 2)
        cluster.run(5)
        cluster.setHealth(0, false)
        cluster.run(5)
        XCTAssertEqual(cluster.leaderKey?.record.holder, "beta", "\(cluster.nodes.map(\.phase))")
        XCTAssertEqual(cluster.serviceOn, [false, true, false])
        // The failing leader stays in the load balancer a drain (10 steps), out of it a drain, then stops.
        XCTAssertLessThanOrEqual(cluster.longestBothServing, 10 + 20, "make before break: a short overlap")
        XCTAssertEqual(cluster.pages.map(\.kind), [.failover], "one page for the handoff, from beta: \(cluster.pages) \(cluster.nodes.map(\.lastReason))")
        XCTAssertEqual(cluster.pages.last?.node, 1)
    }

    func testALeaderCutFromTheStoreStopsBeforeItsLeaseCanExpire() {
        var cluster = LeaseCluster(seed: 3)
        cluster.run(5)
        cluster.setConnected(0, false)
        cluster.run(20)
        XCTAssertEqual(cluster.violations, [])
        XCTAssertFalse(cluster.serviceOn[0], "alpha stopped")
        XCTAssertEqual(cluster.leaderKey?.record.holder, "beta", "\(cluster.nodes.map(\.phase))")
        XCTAssertEqual(cluster.pages.map(\.kind), [.takeover], "beta pages its takeover; alpha, cut off, waits to see whether anybody took over")
        cluster.run(20)  // the takeover's time: ttl + 3 renewals + start + verify = 26 s after alpha stopped
        XCTAssertEqual(cluster.pages.map(\.kind), [.takeover, .peerLost], "still blind after a takeover's time, alpha pages that it cannot tell who serves")
        XCTAssertEqual(cluster.pages.last?.node, 0)
        cluster.setConnected(0, true)
        cluster.run(3)
        XCTAssertEqual(cluster.notices.map(\.kind), [.peerFound], "alpha tells the recovery in that incident's thread: \(cluster.notices)")
    }

    /// `vacataire ack` on a node that did not page: the incident's key carries the
    /// acknowledgement to its owner, which applies and tells it once.
    func testAnAcknowledgementOnAnyNodeReachesTheIncidentsOwner() {
        var cluster = LeaseCluster(seed: 6)
        cluster.run(5)
        cluster.setHealth(0, false)
        cluster.run(5)
        XCTAssertEqual(cluster.pages.map(\.kind), [.failover])
        let incident = cluster.nodes[1].openIncidents.first
        XCTAssertEqual(cluster.nodes[2].acknowledgeable, incident.map { [$0] }, "gamma knows beta's incident from the store")
        let answer = cluster.nodes[2].handle(.admin(.acknowledge(nil, comment: "on it", expiresIn: nil), author: "ops"), now: cluster.now)
        XCTAssertEqual(answer.answer?.accepted, true, "\(answer)")
        cluster.apply(2, answer)
        cluster.run(1)
        XCTAssertEqual(cluster.notices.filter { $0.kind == .acknowledged }.map(\.node), [1], "beta, the owner, tells it: \(cluster.notices)")
        XCTAssertTrue(cluster.notices.last?.reason.contains("acknowledged by ops on gamma: on it") == true, cluster.notices.last?.reason ?? "")
    }

    /// The store loses its quorum: the leader stops before its lease can expire and pages
    /// at once (every node sees the store answer without a quorum: nobody can serve); when
    /// the quorum is back, a leader serves again and the page's thread gets the recovery.
    func testTheStoreWithoutQuorumIsPagedOnceAndItsRecoveryInTheSameThread() {
        var cluster = LeaseCluster(seed: 5)
        cluster.run(5)
        cluster.setQuorum(false)
        cluster.run(12)
        XCTAssertEqual(cluster.serviceOn, [false, false, false])
        XCTAssertEqual(cluster.pages.map(\.kind), [.peerLost], "alpha, the leader, pages: \(cluster.pages)")
        XCTAssertTrue(cluster.pages.first?.reason.contains("no quorum") == true, cluster.pages.first?.reason ?? "")
        cluster.setQuorum(true)
        cluster.run(20)
        XCTAssertEqual(cluster.serviceOn.filter { $0 }.count, 1)
        XCTAssertEqual(cluster.pages.map(\.kind), [.peerLost], "the new election is not paged apart: \(cluster.pages)")
        XCTAssertEqual(cluster.notices.map(\.kind), [.peerFound], "the recovery")
        XCTAssertEqual(cluster.notices.first?.node, cluster.pages.first?.node, "in the same thread, from the node that paged")
    }

    /// `switchover --to` and `failback` work from any node: the named (or best) member
    /// takes the key make-before-break, and the holder stops once it has moved.
    func testSwitchoverAndFailbackFromAnyNodeMoveTheServiceBeforeBreak() {
        var cluster = LeaseCluster(seed: 4)
        cluster.run(5)
        XCTAssertEqual(cluster.serviceOn, [true, false, false])
        let refused = cluster.nodes[2].handle(.admin(.switchover(to: "alpha"), author: "ops"), now: cluster.now)
        XCTAssertEqual(refused.answer?.reason, "alpha already serves")
        let unknown = cluster.nodes[2].handle(.admin(.switchover(to: "delta"), author: "ops"), now: cluster.now)
        XCTAssertEqual(unknown.answer?.reason, "delta is not a ready member (ready: beta, gamma)")

        cluster.input(2, .admin(.switchover(to: "beta"), author: "ops"))  // asked on gamma
        cluster.run(5)
        XCTAssertEqual(cluster.serviceOn, [false, true, false], "\(cluster.nodes.map(\.phase))")
        XCTAssertEqual(cluster.leaderKey?.record.holder, "beta")
        // The old holder stays in the load balancer a drain (10 steps), out of it a drain, then stops.
        XCTAssertLessThanOrEqual(cluster.longestBothServing, 10 + 20, "make before break: a short overlap")

        cluster.input(1, .admin(.failback(force: false), author: "ops"))  // asked on beta, the holder
        cluster.run(5)
        XCTAssertEqual(cluster.serviceOn, [true, false, false], "back to alpha, the best ranked: \(cluster.nodes.map(\.phase))")
        XCTAssertEqual(cluster.leaderKey?.record.holder, "alpha")
        XCTAssertEqual(cluster.violations, [])
    }

    /// The holder is cut from the store while its successor verifies: only the holder moves
    /// its key, so it never loses it unaware; the successor's takeover times out, the holder
    /// stops before its lease can expire, and then the best ready member takes over.
    func testAHolderCutDuringAHandoffNeverServesBesideAnUnawareSuccessor() {
        var cluster = LeaseCluster(seed: 5)
        cluster.run(5)
        cluster.input(2, .admin(.switchover(to: "beta"), author: "ops"))
        cluster.run(0.1)
        cluster.setConnected(0, false)
        cluster.run(40)
        XCTAssertEqual(cluster.violations, [])
        XCTAssertFalse(cluster.serviceOn[0], "alpha stopped")
        XCTAssertEqual(cluster.serviceOn.filter { $0 }.count, 1, "\(cluster.nodes.map(\.phase))")
        XCTAssertNotEqual(cluster.leaderKey?.record.holder, "alpha")
    }

    func testRandomRunsKeepTheInvariants() {
        for seed in 1...max(1, Self.seeds) {
            var cluster = LeaseCluster(seed: UInt64(seed))
            var dice = Dice(state: UInt64(seed) &* 7919)
            cluster.run(5)
            for _ in 0..<3_000 {
                for index in 0..<3 {
                    if dice.chance(0.002) { cluster.setHealth(index, !cluster.healthy[index]) }
                    if !cluster.down[index], dice.chance(0.0005) { cluster.crash(index) }
                    if cluster.down[index], dice.chance(0.01) {
                        cluster.down[index] = false
                        cluster.boot(index)
                        if cluster.reachable[index] { cluster.resync(index) }
                    }
                    if dice.chance(0.001) { cluster.setConnected(index, !cluster.connected[index]) }
                }
                if dice.chance(0.0008) { cluster.setQuorum(!cluster.quorum) }
                if dice.chance(0.0005) {
                    let from = dice.pick(3)
                    if !cluster.down[from] {
                        cluster.input(from, .admin(dice.chance(0.5) ? .failback(force: false) : .switchover(to: nil), author: "chaos"))
                    }
                }
                if dice.chance(0.001) {
                    // etcd's own leader changed: every lease is extended (never shortened).
                    let extra = dice.delay(upTo: .seconds(3))
                    for (id, lease) in cluster.leases { cluster.leases[id]?.expires = lease.expires + extra }
                }
                cluster.step()
            }
            XCTAssertEqual(cluster.violations, [], "seed \(seed)")
            // A planned move drains twice (in the load balancer, then out of it): 20 steps, and
            // a few more for the ticks that notice each instant and the stop's own step.
            XCTAssertLessThanOrEqual(cluster.longestBothServing, 20 + 20 + 5, "seed \(seed): two services ran together for \(cluster.longestBothServing) steps")
            XCTAssertLessThanOrEqual(cluster.longestBothServingWhileCut, 200 + 20,
                                     "seed \(seed): a node cut from the store ran its service beside the holder for \(cluster.longestBothServingWhileCut) steps (ttl: 200)")
            // Everything repaired: exactly one node serves, and it holds the key.
            cluster.setQuorum(true)
            for index in 0..<3 {
                cluster.setConnected(index, true)
                if cluster.down[index] {
                    cluster.down[index] = false
                    cluster.boot(index)
                    cluster.resync(index)
                }
                cluster.setHealth(index, true)
            }
            cluster.run(10)
            for index in 0..<3 where cluster.nodes[index].phase == .failed {
                cluster.input(index, .admin(.ready, author: "ops"))
            }
            cluster.run(60)
            let serving = (0..<3).filter { cluster.serviceOn[$0] }
            XCTAssertEqual(serving.count, 1, "seed \(seed): \(cluster.nodes.map { "\($0.phase)" })")
            if let only = serving.first {
                XCTAssertEqual(cluster.leaderKey?.record.holder, cluster.settings[only].nodeName, "seed \(seed)")
            }
            XCTAssertEqual(cluster.violations, [], "seed \(seed)")
        }
    }

    func testTimingRuleNamesWhatItProtects() {
        XCTAssertNil(LeaseSettings(nodeName: "a", ttl: .seconds(10), renewInterval: .seconds(2), requestTimeout: .seconds(1), stopTimeout: .seconds(2)).timingProblem)
        let tight = LeaseSettings(nodeName: "a", ttl: .seconds(5), renewInterval: .seconds(2), requestTimeout: .seconds(1), stopTimeout: .seconds(2))
        XCTAssertTrue(tight.timingProblem?.contains("stop its service before the store can expire its lease") == true, tight.timingProblem ?? "")
    }
}
