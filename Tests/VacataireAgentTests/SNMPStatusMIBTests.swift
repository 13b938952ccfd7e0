import Foundation
@testable import VacataireAgent
import VacataireCore
import VacataireTestSupport
import XCTest

/// `vacStatus` as the subagent answers it (`SNMPStatusMIB`, `SNMPStatus`), without snmpd;
/// and every new object resolved by name from Docs/mibs by snmptranslate.
final class SNMPStatusMIBTests: XCTestCase {
    private let start = Date(timeIntervalSince1970: 1_796_000_000)

    private func status() -> SNMPStatus {
        var status = SNMPStatus(node: "alpha", cluster: "pair", peerName: "beta", startedAt: start)
        status.setNode(role: "active", state: "active", epoch: 3,
                       peer: PeerStatus(name: "beta", role: .standby, healthy: true, epoch: 3, lastHeard: .milliseconds(100), silent: false),
                       at: start)
        status.checks = [SNMPStatus.Check(name: "app", scope: "node", state: "healthy", output: "OK: fine\nsecond line", since: nil)]
        status.destinations = [SNMPStatus.Destination(name: "email:oncall", sent: 4, failed: 1, pending: 2)]
        return status
    }

    private static let root: [UInt] = [1, 3, 6, 1, 4, 1, 32473, 7411, 3]

    func testAWalkVisitsScalarsThenEachTableColumnByColumn() throws {
        var status = status()
        status.record([.raiseIncident(IncidentID(epoch: 3, topic: .roleChange), .failover, reason: "x", paged: true, failing: [])], at: start)
        let mib = SNMPStatusMIB(status, now: start.addingTimeInterval(12.34))
        var walked: [[UInt]] = []
        var cursor = Self.root
        while let next = mib.instance(after: cursor) {
            walked.append(next.oid)
            cursor = next.oid
        }
        XCTAssertEqual(walked, mib.instances.map(\.oid), "get-next visits every instance once, in order")
        XCTAssertEqual(walked.count, 12 + 5 + 6 + 4)
        XCTAssertEqual(walked.first, Self.root + [1, 1, 0])
        XCTAssertEqual(walked.last, Self.root + [4, 1, 5, 1])
        XCTAssertNil(mib.instance(after: Self.root + [5]))
        XCTAssertEqual(mib.instance(after: [1, 3, 6, 1])?.oid, Self.root + [1, 1, 0], "before the subtree: its first instance")
        XCTAssertEqual(mib.instance(Self.root + [1, 3, 0])?.value, .string(Array("active".utf8)))
        XCTAssertEqual(mib.instance(Self.root + [1, 5, 0])?.value, .unsigned(3))
        XCTAssertEqual(mib.instance(Self.root + [1, 6, 0])?.value, .timeTicks(1234))
        XCTAssertEqual(mib.instance(Self.root + [1, 8, 0])?.value, .string(Array("standby".utf8)))
        XCTAssertEqual(mib.instance(Self.root + [2, 1, 5, 1])?.value, .string(Array("OK: fine".utf8)), "the first line of the output")
        XCTAssertEqual(mib.instance(Self.root + [3, 1, 2, 1])?.value, .string(Array("e3".utf8)))
        XCTAssertEqual(mib.instance(Self.root + [3, 1, 7, 1])?.value, .string(Array("open".utf8)))
        XCTAssertEqual(mib.instance(Self.root + [4, 1, 3, 1])?.value, .counter(4))
        XCTAssertEqual(mib.instance(Self.root + [4, 1, 5, 1])?.value, .unsigned(2))
        XCTAssertNil(mib.instance(Self.root + [1, 3]), "an object without its instance")
        XCTAssertNil(mib.instance(Self.root + [2, 1, 2, 2]), "no second check")
    }

    func testIncidentsFollowTheActionsAndTheNewRoleRestartsItsTime() {
        var status = status()
        let id = IncidentID(epoch: 4, topic: .roleChange)
        let later = start.addingTimeInterval(60)
        status.record([.transition(from: .active, to: .handingOff, reason: "handing off: app failing"),
                       .raiseIncident(id, .failover, reason: "x", paged: true, failing: [])], at: later)
        status.setNode(role: "failed", state: "failed", epoch: 4,
                       peer: PeerStatus(name: "beta", role: nil, healthy: nil, epoch: nil, lastHeard: nil, silent: true), at: later)
        XCTAssertEqual(status.lastTransition?.event, "active -> handing-off")
        XCTAssertEqual(status.roleSince, later)
        XCTAssertEqual(status.peerState, "unknown", "never heard")
        XCTAssertEqual(status.incidents.map(\.state), [.open])
        status.record([.acknowledgeIncident(id, author: "ops", comment: nil, expiresIn: nil, via: nil)], at: later.addingTimeInterval(5))
        XCTAssertEqual(status.incidents.first?.ackAuthor, "ops")
        XCTAssertEqual(status.incidents.first?.state, .acknowledged)
        status.restore([SNMPStatus.Incident(id: "e4", event: "failover", opened: start, closed: false),
                        SNMPStatus.Incident(id: "e1-peer-lost", event: "peer-lost", opened: start, closed: false)])
        XCTAssertEqual(status.incidents.map(\.id), ["e1-peer-lost", "e4"], "restored rows do not replace what the actions told")
        status.record([.closeIncident(id, reason: "failback")], at: later.addingTimeInterval(9))
        XCTAssertEqual(status.incidents.map(\.state), [.open, .closed], "open first, then the closed ones")
    }

    func testTimeStampsAreUTCDateAndTimeOrEmpty() {
        XCTAssertEqual(SNMPStatusMIB.timeStamp(nil), [])
        // 2026-12-07T10:11:12.35Z
        let date = Date(timeIntervalSince1970: 1_796_638_272.35)
        XCTAssertEqual(SNMPStatusMIB.timeStamp(date), [0x07, 0xEA, 12, 7, 10, 11, 12, 3, UInt8(ascii: "+"), 0, 0])
        XCTAssertEqual(SNMPStatusMIB.displayString(String(repeating: "é", count: 200)).count <= 255, true)
    }

    /// Every object of vacStatus, by name, at the OID the subagent answers it.
    static let objects: [(name: String, oid: String)] = {
        let root = ".1.3.6.1.4.1.32473.7411.3"
        let scalars = ["vacStatusNodeName", "vacStatusClusterName", "vacStatusRole", "vacStatusState", "vacStatusEpoch", "vacStatusRoleTime",
                       "vacStatusPeerName", "vacStatusPeerState", "vacStatusTransitionTime", "vacStatusTransitionEvent",
                       "vacStatusTransitionReason", "vacStatusMaintenance"]
        let checks = ["vacCheckIndex", "vacCheckName", "vacCheckScope", "vacCheckState", "vacCheckOutput", "vacCheckSince"]
        let incidents = ["vacIncidentIndex", "vacIncidentName", "vacIncidentEvent", "vacIncidentOpened", "vacIncidentAckAuthor",
                         "vacIncidentAckTime", "vacIncidentState"]
        let destinations = ["vacDestinationIndex", "vacDestinationName", "vacDestinationSent", "vacDestinationFailed", "vacDestinationPending"]
        return [("vacStatus", root), ("vacCheckTable", root + ".2"), ("vacIncidentTable", root + ".3"), ("vacDestinationTable", root + ".4")]
            + scalars.enumerated().map { ($0.element, root + ".1.\($0.offset + 1)") }
            + checks.enumerated().map { ($0.element, root + ".2.1.\($0.offset + 1)") }
            + incidents.enumerated().map { ($0.element, root + ".3.1.\($0.offset + 1)") }
            + destinations.enumerated().map { ($0.element, root + ".4.1.\($0.offset + 1)") }
    }()

    func testSnmptranslateResolvesEveryNewObjectFromTheMIB() throws {
        let mibs = "\(try Repository.baseMIBs()):\(Repository.path("Docs/mibs"))"
        for object in Self.objects {
            let result = try SNMPMaster.snmptranslate.run(
                ["-M", mibs, "-m", "LE-VACATAIRE-MIB", "-On", "LE-VACATAIRE-MIB::\(object.name)"], for: "resolving \(object.name)")
            XCTAssertEqual(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), object.oid, "\(object.name): \(result.stderr)")
        }
        // And every instance the subagent answers has its object in the MIB.
        let mib = SNMPStatusMIB(status(), now: start)
        let columns = Set(Self.objects.map(\.oid))
        for instance in mib.instances {
            let object = "." + instance.oid.dropLast().map(String.init).joined(separator: ".")
            XCTAssertTrue(columns.contains(object), "\(object) answered but not named in the MIB")
        }
        print("snmptranslate resolved \(Self.objects.count) names")
    }
}
