import Crypto
import VacataireCore
import XCTest
@testable import VacatairePeer

/// The codec: round trips, the exact framing, and the bounds enforced when encoding.
final class PeerWireFormatTests: XCTestCase {
    func testRoundTripKeepsEveryField() throws {
        let payload = PeerPayload(
            role: "standby", state: "taking-over", healthy: false, incidentID: "inc-2026-11-25.1",
            ackAuthor: "alice (uid 1000) é", ackComment: "on it\nwill fail back after lunch", detail: "check http-content: 0 bytes"
        )
        let sent = PeerFixtures.message(
            boot: UInt64.max, epoch: Epoch.largest, sequence: UInt64.max - 2, sentAt: PeerFixtures.now,
            kind: .handoffRequest, requestID: UInt64.max, payload: payload
        )
        let datagram = try PeerFixtures.encode(sent)
        let (received, keyID) = try PeerMessageDecoder(keyring: PeerFixtures.ringOne).decode(datagram)
        XCTAssertEqual(received, sent)
        XCTAssertEqual(keyID, 1)
    }

    func testEveryKindRoundTrips() throws {
        let decoder = PeerMessageDecoder(keyring: PeerFixtures.ringOne)
        for kind in PeerMessageKind.allCases {
            let sent = PeerFixtures.message(kind: kind, requestID: kind.isRequest ? 42 : nil)
            XCTAssertEqual(try decoder.decode(try PeerFixtures.encode(sent)).message, sent, "\(kind)")
        }
    }

    func testFramingIsHeaderBodyAndTagOverBoth() throws {
        let datagram = try PeerFixtures.encode(PeerFixtures.message())
        XCTAssertEqual(Array(datagram[0..<3]), Array("VAC".utf8))
        XCTAssertEqual(datagram[3], 1, "protocol version")
        XCTAssertEqual(Array(datagram[4..<6]), [0, 1], "key id, big-endian")
        let bodyLength = Int(datagram[6]) << 8 | Int(datagram[7])
        XCTAssertEqual(datagram.count, 8 + bodyLength + 32)
        let body = try JSONSerialization.jsonObject(with: Data(datagram[8..<(8 + bodyLength)])) as? [String: Any]
        XCTAssertEqual(body?["kind"] as? String, "heartbeat")
        XCTAssertEqual(body?["node"] as? String, "beta")
        XCTAssertNil(body?["request"], "absent optionals are left out")
        let expectedTag = HMAC<SHA256>.authenticationCode(
            for: datagram[0..<(8 + bodyLength)], using: SymmetricKey(data: [UInt8](repeating: 0x11, count: 32))
        )
        XCTAssertEqual(Array(datagram[(8 + bodyLength)...]), Array(expectedTag))
    }

    /// The key is keyed into HMAC once and each tag starts from a copy of that state: the
    /// tags are still RFC 4231's (test case 1), message after message.
    func testTagsFromTheKeyedStateAreHMACSHA256() throws {
        let key = try PeerKey(id: 1, bytes: [UInt8](repeating: 0x0b, count: 20), source: "RFC 4231 test case 1")
        let expected = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        for _ in 1...3 {
            let tag = Array("Hi There".utf8).withUnsafeBytes { key.tag(of: $0) }
            XCTAssertEqual(tag.map { String(format: "%02x", $0) }.joined(), expected)
        }
        let other = Array("Hi There!".utf8).withUnsafeBytes { key.tag(of: $0) }
        XCTAssertNotEqual(other.map { String(format: "%02x", $0) }.joined(), expected)
    }

    func testLargestFieldsStillFitOneDatagram() throws {
        let text = String(repeating: "x", count: PeerMessageLimits.maximumTextBytes)
        let payload = PeerPayload(
            role: String(repeating: "r", count: 32), state: String(repeating: "s", count: 32), healthy: true,
            incidentID: String(repeating: "i", count: 64), ackAuthor: String(repeating: "a", count: 64),
            ackComment: text, detail: text
        )
        let datagram = try PeerFixtures.encode(PeerFixtures.message(kind: .ack, payload: payload))
        XCTAssertLessThanOrEqual(datagram.count, 1_500)
    }

    func testEscapedTextThatWouldExceedOneDatagramIsRefused() {
        let quotes = String(repeating: "\"", count: 250)
        let payload = PeerPayload(role: "master", state: "active", healthy: true, ackComment: quotes, detail: quotes + "\u{7}")
        XCTAssertThrowsError(try PeerFixtures.encode(PeerFixtures.message(payload: payload))) { error in
            XCTAssertEqual(error as? PeerEncodingError, .invalidField(PeerFieldProblem(field: "detail", problem: "contains a control character other than newline or tab")))
        }
        // Every field at its bound, and every free-text byte one that JSON escapes to two.
        let escaped = PeerPayload(
            role: String(repeating: "r", count: 32), state: String(repeating: "s", count: 32), healthy: false,
            incidentID: String(repeating: "i", count: 64), ackAuthor: String(repeating: "\"", count: 64),
            ackComment: String(repeating: "\t", count: 256), detail: String(repeating: "\\", count: 256)
        )
        XCTAssertThrowsError(try PeerFixtures.encode(PeerFixtures.message(payload: escaped))) { error in
            guard case .tooLarge(let bytes)? = error as? PeerEncodingError else {
                return XCTFail("expected tooLarge, got \(error)")
            }
            XCTAssertGreaterThan(bytes, 1_500)
            XCTAssertTrue("\(error)".contains("shorten its detail or ack comment"))
        }
    }

    func testInvalidFieldsAreRefusedWhenEncoding() {
        let cases: [(PeerMessage, String)] = [
            (PeerFixtures.message(from: PeerIdentity(cluster: "web pair", node: "beta")), "cluster"),
            (PeerFixtures.message(from: PeerIdentity(cluster: "web-pair", node: "")), "node"),
            (PeerFixtures.message(payload: PeerPayload(role: String(repeating: "m", count: 33), state: "active", healthy: true)), "role"),
            (PeerFixtures.message(payload: PeerPayload(role: "master", state: "active", healthy: true, incidentID: "inc/1")), "incident"),
            (PeerFixtures.message(payload: PeerPayload(role: "master", state: "active", healthy: true, ackAuthor: "bob\nroot")), "ack_author"),
            (PeerFixtures.message(payload: PeerPayload(role: "master", state: "active", healthy: true, detail: String(repeating: "é", count: 129))), "detail"),
            (PeerFixtures.message(kind: .quiesceRequest, requestID: nil), "request"),
        ]
        for (message, field) in cases {
            XCTAssertThrowsError(try PeerFixtures.encode(message), field) { error in
                guard case .invalidField(let problem)? = error as? PeerEncodingError else {
                    return XCTFail("expected invalidField, got \(error)")
                }
                XCTAssertEqual(problem.field, field)
            }
        }
    }

    func testSenderNumbersItsMessagesFromOne() throws {
        var sender = PeerSender(identity: PeerFixtures.beta, bootID: 9, keyring: PeerFixtures.ringOne)
        let decoder = PeerMessageDecoder(keyring: PeerFixtures.ringOne)
        let first = try decoder.decode(try sender.seal(.heartbeat, epoch: 4, payload: PeerFixtures.payload, now: PeerFixtures.now)).message
        let badPayload = PeerPayload(role: "", state: "active", healthy: true)
        XCTAssertThrowsError(try sender.seal(.heartbeat, epoch: 4, payload: badPayload, now: PeerFixtures.now))
        let second = try decoder.decode(try sender.seal(.status, epoch: 5, payload: PeerFixtures.payload, now: PeerFixtures.now + 10)).message
        XCTAssertEqual([first.sequence, second.sequence], [1, 2], "a refused message uses up no sequence number")
        XCTAssertEqual([first.bootID, second.bootID], [9, 9])
        XCTAssertEqual(second.epoch, 5)
        XCTAssertEqual(second.cluster, "web-pair")
        XCTAssertEqual(second.sender, "beta")
    }

    func testMillisecondsFromSeconds() {
        XCTAssertEqual(PeerMessage.milliseconds(secondsSince1970: 1.2345), 1_234)
        XCTAssertEqual(PeerMessage.milliseconds(secondsSince1970: -5), 0)
        XCTAssertEqual(PeerMessage.milliseconds(secondsSince1970: .nan), 0)
    }
}
