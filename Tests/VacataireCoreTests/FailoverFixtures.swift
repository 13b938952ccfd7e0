import XCTest
@testable import VacataireCore

/// An instant `seconds` after the test's origin.
func at(_ seconds: Double) -> MonotonicInstant { .seconds(seconds) }

/// Settings used across the failover tests: 200 ms heartbeats, dead after 3 s, self-fence
/// after 2 s, handoff timeout 5 s with 2 retries, a witness and a service probe.
func failoverSettings(
    _ role: ConfiguredRole,
    witness: Bool = true, probe: Bool = true, fence: Bool = false, noWitness: NoWitnessPolicy? = nil
) -> FailoverSettings {
    FailoverSettings(
        role: role, nodeName: role == .master ? "alpha" : "beta", peerName: role == .master ? "beta" : "alpha",
        heartbeatInterval: .milliseconds(200), deadAfter: .seconds(3), selfFenceAfter: .seconds(2),
        handoffTimeout: .seconds(5), handoffRetries: 2,
        hasWitness: witness, hasServiceProbe: probe, hasFence: fence, noWitnessPolicy: noWitness
    )
}

func msg(_ kind: FailoverMessage.Kind, epoch: UInt64, request: UInt64 = 0, role: ServiceRole, healthy: Bool = true) -> FailoverMessage {
    FailoverMessage(kind: kind, epoch: epoch, requestID: request, role: role, healthy: healthy)
}

let failing = HealthVerdict(healthy: false, failing: [FailingCheck(name: "http-content", output: "HTTP 503")])

extension Array where Element == FailoverAction {
    /// Messages sent, heartbeats left out.
    var sent: [FailoverMessage] {
        compactMap { if case .send(let message) = $0, message.kind != .heartbeat { return message } else { return nil } }
    }
    var heartbeats: [FailoverMessage] {
        compactMap { if case .send(let message) = $0, message.kind == .heartbeat { return message } else { return nil } }
    }
    var persisted: [PersistedFailoverState] {
        compactMap { if case .persist(let state) = $0 { return state } else { return nil } }
    }
    var raised: [(IncidentID, EventKind, String)] {
        compactMap { if case .raiseIncident(let id, let kind, let reason, _, _) = $0 { return (id, kind, reason) } else { return nil } }
    }
    /// What this node pages: the incidents it opens paged, and every notification, in order.
    var pages: [(EventKind, IncidentID?)] {
        compactMap {
            switch $0 {
            case .raiseIncident(let id, let kind, _, true, _): return (kind, id)
            case .notify(let kind, let id, _): return (kind, id)
            default: return nil
            }
        }
    }
    var closed: [IncidentID] {
        compactMap { if case .closeIncident(let id, _) = $0 { return id } else { return nil } }
    }
    var transitions: [(FailoverStateName, FailoverStateName, String)] {
        compactMap { if case .transition(let from, let to, let reason) = $0 { return (from, to, reason) } else { return nil } }
    }
    var answer: (accepted: Bool, reason: String)? {
        for action in self { if case .answerAdmin(let accepted, let reason) = action { return (accepted, reason) } }
        return nil
    }
    var startsService: Bool { contains { if case .runStartActions = $0 { return true } else { return false } } }
    var stopsService: Bool { contains { if case .runStopActions = $0 { return true } else { return false } } }
    var probes: [GuardProbe] {
        compactMap { if case .probeGuard(let probe) = $0 { return probe } else { return nil } }
    }
    var fences: Bool { contains { if case .fencePeer = $0 { return true } else { return false } } }
    var notified: [(EventKind, String)] {
        compactMap { if case .notify(let kind, _, let reason) = $0 { return (kind, reason) } else { return nil } }
    }

    /// The rule "persist before acting": every start, stop or request sent comes after the
    /// list's last persist of a role change, when there is one.
    func assertPersistFirst(file: StaticString = #filePath, line: UInt = #line) {
        guard let persistIndex = lastIndex(where: { if case .persist = $0 { return true } else { return false } }) else { return }
        for (index, action) in enumerated() where index < persistIndex {
            switch action {
            case .runStartActions, .runStopActions:
                XCTFail("\(action) comes before the persist at \(persistIndex)", file: file, line: line)
            default:
                break
            }
        }
    }
}

/// Machines brought to a known state the short way, through their real inputs.
enum Node {
    /// A master that booted healthy, heard its standby at epoch 0 and serves at epoch 1.
    static func activeMaster(_ settings: FailoverSettings = failoverSettings(.master), now: Double = 0) -> FailoverMachine {
        var machine = FailoverMachine(settings: settings, persisted: nil, now: at(now))
        _ = machine.boot(now: at(now))
        _ = machine.healthChanged(.healthy, now: at(now))
        _ = machine.received(msg(.heartbeat, epoch: 0, role: .standby), now: at(now + 0.1))
        _ = machine.actionFinished(.start, .succeeded, now: at(now + 0.2))
        return machine
    }

    /// A standby that booted healthy and heard its master active at `epoch`.
    static func standby(_ settings: FailoverSettings = failoverSettings(.standby), epoch: UInt64 = 1, now: Double = 0) -> FailoverMachine {
        var machine = FailoverMachine(settings: settings, persisted: nil, now: at(now))
        _ = machine.boot(now: at(now))
        _ = machine.healthChanged(.healthy, now: at(now))
        _ = machine.received(msg(.heartbeat, epoch: epoch, role: .active), now: at(now + 0.1))
        return machine
    }
}
