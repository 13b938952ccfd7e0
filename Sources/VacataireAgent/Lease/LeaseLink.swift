import Foundation
import Synchronization
import VacataireCore

/// The lease coordinator's way to etcd (`failover.mode: etcd`): executes its
/// `LeaseRequest`s through the gateway and turns what etcd answers and shows into
/// `LeaseEvent`s, which the agent feeds back to the coordinator in the order they come.
///
/// Every call blocks (libcurl), so none runs on Swift's cooperative pool. Requests about
/// the lease (grant, keepalive) go through one serial lane and the key writes through
/// another, so that a slow campaign never delays a renewal; each lane keeps the order the
/// coordinator asked in. A third thread keeps the watch: it reads the leader and member keys
/// linearizably, reports them, then watches every key of the cluster from the next
/// revision; when the watch ends, fails, or carries nothing for a ttl (an endpoint cut off
/// keeps a stream open forever), it reads again. A request's send time is taken just before
/// it leaves: the coordinator times its lease from it, and etcd, which times the lease from
/// when it receives the renewal, can only be later.
final class LeaseLink: Sendable {
    let gateway: EtcdGateway
    let clock: any AgentClock
    /// How long a silent watch may last before it is read again, and the pause after a failed read.
    let ttl: Duration
    let retryPause: Duration
    let events: AsyncStream<LeaseEvent>
    private let eventQueue: AsyncStream<LeaseEvent>.Continuation
    private let leaseLane = DispatchQueue(label: "vacataire.etcd.lease")
    private let keyLane = DispatchQueue(label: "vacataire.etcd.keys")
    private let closed = Atomic(false)
    /// Why the last read or watch failed (nil: it works), for status and the log.
    private let watchProblem = Mutex<String?>(nil)
    /// Requests sent, for `/metrics` (etcd requests per second of an idle node).
    private let sent = Atomic(0)
    /// A keepalive waits in the lease lane behind one still running: a newer one is not
    /// queued behind it (slow endpoints would stack renewals up, each answered later).
    private let keepAliveWaiting = Atomic(false)

    init(gateway: EtcdGateway, clock: any AgentClock, ttl: Duration, retryPause: Duration) {
        self.gateway = gateway
        self.clock = clock
        self.ttl = ttl
        self.retryPause = retryPause
        (events, eventQueue) = AsyncStream.makeStream(of: LeaseEvent.self)
    }

    /// Requests sent to etcd so far (the watch's reads included).
    var requestCount: Int { sent.load(ordering: .relaxed) }

    var problem: String? { watchProblem.withLock { $0 } }

    /// Sends `request` on its lane; its answer comes as an event.
    func execute(_ request: LeaseRequest) {
        let lane: DispatchQueue
        switch request {
        case .keepAlive:
            guard keepAliveWaiting.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
            lane = leaseLane
        case .grant: lane = leaseLane
        default: lane = keyLane
        }
        lane.async { [self] in
            if case .keepAlive = request { keepAliveWaiting.store(false, ordering: .relaxed) }
            guard !closed.load(ordering: .relaxed) else { return }
            sent.add(1, ordering: .relaxed)
            if let event = answer(request, sentAt: clock.now) { eventQueue.yield(event) }
        }
    }

    /// Etcd's answer to `request` as the coordinator hears it; nil for a write that
    /// succeeded (the watch shows its effect).
    func answer(_ request: LeaseRequest, sentAt: MonotonicInstant) -> LeaseEvent? {
        do throws(EtcdError) {
            switch request {
            case .grant(let ttl):
                return .granted(lease: try gateway.grant(ttl: ttl), sentAt: sentAt)
            case .keepAlive(let lease):
                guard try gateway.keepAlive(lease) else {
                    return .failed(request, why: "etcd no longer knows lease \(String(lease, radix: 16)) (it expired or was revoked)", storeAnswered: true)
                }
                return .renewed(lease: lease, sentAt: sentAt)
            case .publish(let member, let lease):
                try gateway.publish(member, lease: lease)
            case .campaign(let name, let lease):
                let (won, leader) = try gateway.campaign(name: name, lease: lease)
                return .claimAnswered(won: won, leader: leader)
            case .takeOver(let from, let name, let lease):
                let (won, leader) = try gateway.takeOver(from: from, name: name, lease: lease)
                return .claimAnswered(won: won, leader: leader)
            case .announceReady(let from, let name, let lease):
                try gateway.announceReady(from: from, name: name, lease: lease)
            case .requestHandoff(let handoff):
                try gateway.requestHandoff(handoff)
            case .resign(let record):
                try gateway.resign(record)
            case .recordIncident(var incident):
                incident.openedAt = incident.openedAt ?? clock.date
                try gateway.recordIncident(incident)
            case .forgetIncident(let id):
                try gateway.forgetIncident(id)
            }
            return nil
        } catch {
            return .failed(request, why: error.description, storeAnswered: error.storeAnswered)
        }
    }

    /// Keeps the watch until `close()`, on a thread of its own (it blocks for as long as a
    /// watch lasts). Returns at once.
    func startWatching() {
        let thread = Thread { [self] in watchUntilClosed() }
        thread.name = "vacataire.etcd.watch"
        thread.start()
    }

    private func watchUntilClosed() {
        while !closed.load(ordering: .relaxed) {
            do throws(EtcdError) {
                sent.add(1, ordering: .relaxed)
                let (leader, list, incidents, revision) = try gateway.read()
                var members = Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) })
                eventQueue.yield(.leader(leader))
                eventQueue.yield(.members(list))
                for incident in incidents { eventQueue.yield(.incident(incident)) }
                watchProblem.withLock { $0 = nil }
                sent.add(1, ordering: .relaxed)
                try gateway.watch(fromRevision: revision + 1, idleLimit: ttl) { [self] changes in
                    var membersChanged = false
                    for change in changes {
                        switch change {
                        case .leader(let record): eventQueue.yield(.leader(record))
                        case .member(let member):
                            members[member.name] = member
                            membersChanged = true
                        case .memberGone(let name):
                            members[name] = nil
                            membersChanged = true
                        case .handoff(let request): eventQueue.yield(.handoffRequested(request))
                        case .targetReady(let name, let lease, let from): eventQueue.yield(.targetReady(name: name, lease: lease, from: from))
                        case .incident(let incident): eventQueue.yield(.incident(incident))
                        case .incidentGone(let id): eventQueue.yield(.incidentGone(id))
                        }
                    }
                    if membersChanged { eventQueue.yield(.members(members.values.sorted { $0.name < $1.name })) }
                    return !closed.load(ordering: .relaxed)
                }
            } catch {
                watchProblem.withLock { $0 = error.description }
                Thread.sleep(forTimeInterval: Double(retryPause.milliseconds) / 1_000)
            }
        }
    }

    /// What `vacataire status` shows of the cluster: every member as etcd holds it (with
    /// its lease's seconds left) and each endpoint's health, read on a thread of its own.
    func survey() async -> (members: [AgentStatus.Member]?, store: [AgentStatus.StoreEndpoint], problem: String?) {
        let gateway = gateway
        return await BlockingThread.run(name: "vacataire.etcd.survey") {
            let store = gateway.endpointHealth().map { AgentStatus.StoreEndpoint(url: $0.endpoint, healthy: $0.healthy, detail: $0.detail) }
            do {
                let (leader, members) = try gateway.survey()
                let listed = members.map { member, left in
                    AgentStatus.Member(
                        name: member.name, leader: leader?.holder == member.name, role: member.role, ready: member.ready,
                        priority: member.priority, leaseSecondsLeft: left, version: member.version, endpoint: member.endpoint)
                }
                return (listed, store, nil)
            } catch {
                return (nil, store, "cannot read the members from etcd: \(error)")
            }
        }
    }

    /// Ends the lanes' work and the watch (at its next event or idle limit); no event after.
    func close() {
        closed.store(true, ordering: .relaxed)
        eventQueue.finish()
    }
}
