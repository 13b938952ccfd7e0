import VacataireCore
import XCTest
@testable import VacatairePeer

/// The mapping between the state machine's `FailoverMessage` and the wire's `PeerMessage`.
final class FailoverMessageWireTests: XCTestCase {
    func testEveryKindRoleAndRequestIDRoundTripsThroughSignedBytes() throws {
        var sender = PeerSender(identity: PeerFixtures.beta, bootID: 7, keyring: PeerFixtures.ringOne)
        let decoder = PeerMessageDecoder(keyring: PeerFixtures.ringOne)
        for kind in FailoverMessage.Kind.allCases {
            for role in ServiceRole.allCases {
                for requestID: UInt64 in [0, 88, .max] {
                    for healthy in [true, false] {
                        let original = FailoverMessage(kind: kind, epoch: 12, requestID: requestID, role: role, healthy: healthy)
                        let outgoing = original.wire(configuredRole: .standby, incidentID: "e12", detail: "why")
                        let datagram = try sender.seal(
                            outgoing.kind, epoch: outgoing.epoch, payload: outgoing.payload,
                            requestID: outgoing.requestID, now: PeerFixtures.now
                        )
                        let decoded = try decoder.decode(datagram).message
                        XCTAssertEqual(decoded.payload.role, "standby")
                        XCTAssertEqual(decoded.payload.incidentID, "e12")
                        // Heartbeats and handoff requests carry their incident; a request and a status their reason too.
                        var expected = original
                        if [.heartbeat, .handoffRequest, .ack].contains(kind) { expected.incident = IncidentID(epoch: 12, topic: .roleChange) }
                        if [.handoffRequest, .status].contains(kind) { expected.detail = "why" }
                        XCTAssertEqual(try FailoverMessage(wire: decoded), expected, "\(original)")
                        XCTAssertEqual(decoded.failoverMessage, expected)
                    }
                }
            }
        }
    }

    func testAnAcknowledgementCarriesItsAuthorCommentAndExpiry() throws {
        var sender = PeerSender(identity: PeerFixtures.beta, bootID: 7, keyring: PeerFixtures.ringOne)
        let decoder = PeerMessageDecoder(keyring: PeerFixtures.ringOne)
        var ack = FailoverMessage(kind: .ack, epoch: 3, requestID: 2, role: .active, healthy: true, incident: IncidentID(epoch: 2, topic: .roleChange))
        ack.acknowledgement = .init(author: "marie", comment: "on it", expiresIn: .seconds(600))
        let outgoing = ack.wire(configuredRole: .standby)
        let datagram = try sender.seal(outgoing.kind, epoch: outgoing.epoch, payload: outgoing.payload, requestID: outgoing.requestID, now: PeerFixtures.now)
        let decoded = try FailoverMessage(wire: try decoder.decode(datagram).message)
        XCTAssertEqual(decoded, ack)
        XCTAssertEqual(decoded.acknowledgement?.expiresIn, .seconds(600))
    }

    func testKindsAreTheWireNames() {
        XCTAssertEqual(FailoverMessage.Kind.allCases.map(\.rawValue),
                       ["heartbeat", "handoff-request", "handoff-done", "quiesce-request", "quiesce-done", "ack", "status"])
        XCTAssertEqual(FailoverMessage.Kind.allCases.filter(\.isRequest), [.handoffRequest, .quiesceRequest])
    }

    func testRequestIDZeroIsLeftOutExceptOnRequests() {
        let heartbeat = FailoverMessage(kind: .heartbeat, epoch: 1, role: .active, healthy: true)
        XCTAssertNil(heartbeat.wire(configuredRole: .master).requestID)
        let request = FailoverMessage(kind: .quiesceRequest, epoch: 1, requestID: 0, role: .active, healthy: true)
        XCTAssertEqual(request.wire(configuredRole: .master).requestID, 0)
        let ack = FailoverMessage(kind: .ack, epoch: 9, requestID: 7, role: .standby, healthy: true)
        XCTAssertEqual(ack.wire(configuredRole: .master).requestID, 7)
        XCTAssertEqual(ack.wire(configuredRole: .master).payload.state, "standby")
    }

    func testAStateWithoutAServiceRoleIsUnmappable() {
        let message = PeerFixtures.message(payload: PeerPayload(role: "master", state: "handing-off", healthy: false))
        XCTAssertNil(message.failoverMessage)
        XCTAssertThrowsError(try FailoverMessage(wire: message)) { error in
            XCTAssertEqual((error as? UnmappablePeerMessage)?.kind, .heartbeat)
            XCTAssertTrue(String(describing: error).contains("handing-off"), "\(error)")
        }
    }

    func testARequestWithoutIDIsUnmappable() {
        let message = PeerFixtures.message(kind: .handoffRequest, requestID: nil)
        XCTAssertThrowsError(try FailoverMessage(wire: message))
    }
}
