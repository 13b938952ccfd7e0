import XCTest
@testable import VacatairePeer

/// Every rejection reason, each counted, and the replay rules.
final class PeerMessageValidatorTests: XCTestCase {
    /// Validates `datagram` and asserts it is rejected for `reason`, counted once.
    private func assertRejected(
        _ datagram: [UInt8], _ reason: PeerRejectionReason, by validator: inout PeerMessageValidator,
        now: UInt64 = PeerFixtures.now, file: StaticString = #filePath, line: UInt = #line
    ) {
        let before = validator.counters[reason]
        do {
            let message = try validator.validate(datagram, now: now)
            XCTFail("accepted \(message), expected \(reason)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.reason, reason, error.detail, file: file, line: line)
        }
        XCTAssertEqual(validator.counters[reason], before + 1, "counted", file: file, line: line)
    }

    func testValidMessageIsAcceptedAndCounted() throws {
        var validator = PeerFixtures.validator()
        let message = try validator.validate(try PeerFixtures.encode(PeerFixtures.message()), now: PeerFixtures.now)
        XCTAssertEqual(message.epoch, 3, "the epoch is exposed, not judged")
        XCTAssertEqual(validator.counters.accepted, 1)
        XCTAssertEqual(validator.counters.acceptedByKey, [1: 1])
        XCTAssertEqual(validator.counters.totalRejected, 0)
        XCTAssertEqual(validator.replayWindow.mark(for: "beta"), ReplayWindow.Mark(bootID: 7, sequence: 1))
    }

    func testWrongKeyIsBadMAC() throws {
        var validator = PeerFixtures.validator()
        let otherKeyOne = PeerFixtures.keyring([PeerFixtures.key(1, fill: 0x99)], active: 1)
        assertRejected(try PeerFixtures.encode(PeerFixtures.message(), keyring: otherKeyOne), .badMAC, by: &validator)
    }

    func testFlippedBitInHeaderBodyOrTagIsRejected() throws {
        var validator = PeerFixtures.validator()
        let datagram = try PeerFixtures.encode(PeerFixtures.message())
        for (offset, reason) in [(0, PeerRejectionReason.badMagic), (3, .unsupportedVersion), (5, .unknownKey), (6, .truncated),
                                 (8, .badMAC), (datagram.count / 2, .badMAC), (datagram.count - 1, .badMAC)] {
            var flipped = datagram
            flipped[offset] ^= 0x01
            assertRejected(flipped, reason, by: &validator)
        }
        let announced = Int(datagram[6]) << 8 | Int(datagram[7])
        for (length, reason) in [(announced - 1, PeerRejectionReason.trailingBytes), (announced + 1, .truncated)] {
            var changed = datagram
            changed[6] = UInt8(length >> 8)
            changed[7] = UInt8(length & 0xFF)
            assertRejected(changed, reason, by: &validator)
        }
        XCTAssertNoThrow(try validator.validate(datagram, now: PeerFixtures.now), "the original still passes")
    }

    func testReplayOfTheSameSequenceIsDropped() throws {
        var validator = PeerFixtures.validator()
        let datagram = try PeerFixtures.encode(PeerFixtures.message(sequence: 5))
        XCTAssertNoThrow(try validator.validate(datagram, now: PeerFixtures.now))
        assertRejected(datagram, .replayed, by: &validator)
        assertRejected(try PeerFixtures.encode(PeerFixtures.message(sequence: 4)), .replayed, by: &validator)
        XCTAssertNoThrow(try validator.validate(try PeerFixtures.encode(PeerFixtures.message(sequence: 6)), now: PeerFixtures.now))
    }

    func testOlderBootIsDroppedAndNewerBootRestartsTheSequence() throws {
        var validator = PeerFixtures.validator()
        let beforeRestart = try PeerFixtures.encode(PeerFixtures.message(boot: 7, sequence: 900))
        XCTAssertNoThrow(try validator.validate(try PeerFixtures.encode(PeerFixtures.message(boot: 7, sequence: 100)), now: PeerFixtures.now))
        XCTAssertNoThrow(try validator.validate(try PeerFixtures.encode(PeerFixtures.message(boot: 8, sequence: 1)), now: PeerFixtures.now))
        assertRejected(beforeRestart, .staleBoot, by: &validator)
        XCTAssertEqual(validator.replayWindow.mark(for: "beta"), ReplayWindow.Mark(bootID: 8, sequence: 1))
    }

    func testTruncatedAtEveryLengthIsRejected() throws {
        var validator = PeerFixtures.validator()
        let datagram = try PeerFixtures.encode(PeerFixtures.message())
        for length in 0..<datagram.count {
            assertRejected(Array(datagram.prefix(length)), .truncated, by: &validator)
        }
    }

    func testOversizedIsRejectedUnread() throws {
        var validator = PeerFixtures.validator()
        var datagram = try PeerFixtures.encode(PeerFixtures.message())
        datagram += [UInt8](repeating: 0, count: 1_501 - datagram.count)
        assertRejected(datagram, .oversized, by: &validator)
        assertRejected([UInt8](repeating: 0x41, count: 65_507), .oversized, by: &validator)
    }

    func testGarbageIsBadMagic() {
        var validator = PeerFixtures.validator()
        assertRejected(Array("GET / HTTP/1.1\r\n\r\n".utf8), .badMagic, by: &validator)
        assertRejected([0xFF], .badMagic, by: &validator)
    }

    func testFutureVersionIsUnsupported() throws {
        var validator = PeerFixtures.validator()
        var message = PeerFixtures.message()
        message.protocolVersion = 2
        XCTAssertThrowsError(try PeerFixtures.encode(message), "this build does not write version 2")
        let body = try JSONEncoder().encode(PeerMessageBody(PeerFixtures.message()))
        let datagram = try XCTUnwrap(PeerWireFormat.seal(body: Array(body), key: PeerFixtures.keyOne, version: 2))
        assertRejected(datagram, .unsupportedVersion, by: &validator)
    }

    func testAuthenticatedButMalformedBodiesAreRejected() throws {
        var validator = PeerFixtures.validator()
        let datagram = try PeerFixtures.encode(PeerFixtures.message())
        let valid = String(decoding: datagram[8..<(datagram.count - 32)], as: UTF8.self)
        let bodies = [
            "[]", "null", "{", "", "{}",
            valid.replacingOccurrences(of: "\"healthy\":true", with: "\"healthy\":true,\"admin\":true"),
            valid.replacingOccurrences(of: "\"healthy\":true", with: "\"healthy\":\"yes\""),
            valid.replacingOccurrences(of: "\"kind\":\"heartbeat\"", with: "\"kind\":\"reboot\""),
            valid.replacingOccurrences(of: "\"epoch\":3", with: "\"epoch\":-3"),
            valid.replacingOccurrences(of: "\"epoch\":3", with: "\"epoch\":18446744073709551616"),
            valid.replacingOccurrences(of: "\"epoch\":3", with: "\"epoch\":3.5"),
            valid.replacingOccurrences(of: "\"role\":\"master\"", with: "\"role\":\"master\\u0000\""),
            valid.replacingOccurrences(of: "\"role\":\"master\",", with: ""),
        ]
        for body in bodies {
            XCTAssertNotEqual(body, valid)
            let datagram = try XCTUnwrap(PeerWireFormat.seal(body: Array(body.utf8), key: PeerFixtures.keyOne))
            assertRejected(datagram, .malformedBody, by: &validator)
        }
    }

    func testMalformedBodyDetailNamesTheFieldPrintably() throws {
        let datagram = try PeerFixtures.encode(PeerFixtures.message())
        let valid = String(decoding: datagram[8..<(datagram.count - 32)], as: UTF8.self)
        let cases = [
            (valid.replacingOccurrences(of: "{", with: "{\"ad\\nmin\\u001b[31m\":1,"), "unknown field `ad?min??31m`"),
            (valid.replacingOccurrences(of: "\"epoch\":3", with: "\"epoch\":\"3\""), "wrong type for `epoch`"),
            (valid.replacingOccurrences(of: "\"seq\":1,", with: ""), "missing field `seq`"),
            (valid.replacingOccurrences(of: "\"epoch\":3", with: "\"epoch\":18446744073709551615"),
             "field `epoch`: 18446744073709551615 is beyond the largest epoch, 2^62"),
            (valid.replacingOccurrences(of: "\"epoch\":3", with: "\"epoch\":4611686018427387905"),
             "field `epoch`: 4611686018427387905 is beyond the largest epoch, 2^62"),
        ]
        for (body, detail) in cases {
            let signed = try XCTUnwrap(PeerWireFormat.seal(body: Array(body.utf8), key: PeerFixtures.keyOne))
            XCTAssertThrowsError(try PeerMessageDecoder(keyring: PeerFixtures.ringOne).decode(signed)) { error in
                XCTAssertEqual((error as? PeerRejection)?.detail, detail)
            }
        }
    }

    func testWrongClusterIsRejected() throws {
        var validator = PeerFixtures.validator()
        let other = PeerIdentity(cluster: "db-pair", node: "beta")
        assertRejected(try PeerFixtures.encode(PeerFixtures.message(from: other)), .wrongCluster, by: &validator)
    }

    func testMessageFromSelfIsRejected() throws {
        var validator = PeerFixtures.validator()
        assertRejected(try PeerFixtures.encode(PeerFixtures.message(from: PeerFixtures.alpha)), .fromSelf, by: &validator)
    }

    func testMessageFromAnUnconfiguredNodeIsRejected() throws {
        var validator = PeerFixtures.validator()
        let gamma = PeerIdentity(cluster: PeerFixtures.cluster, node: "gamma")
        assertRejected(try PeerFixtures.encode(PeerFixtures.message(from: gamma)), .unknownPeer, by: &validator)
        XCTAssertNil(validator.replayWindow.mark(for: "gamma"), "unknown nodes take no room in the window")
    }

    func testClockSkewEitherWayIsRejected() throws {
        var validator = PeerFixtures.validator(skew: 30_000)
        let now = PeerFixtures.now
        assertRejected(try PeerFixtures.encode(PeerFixtures.message(sequence: 1, sentAt: now - 30_001)), .clockSkew, by: &validator)
        assertRejected(try PeerFixtures.encode(PeerFixtures.message(sequence: 2, sentAt: now + 30_001)), .clockSkew, by: &validator)
        XCTAssertNoThrow(try validator.validate(try PeerFixtures.encode(PeerFixtures.message(sequence: 3, sentAt: now - 30_000)), now: now))
        XCTAssertNoThrow(try validator.validate(try PeerFixtures.encode(PeerFixtures.message(sequence: 4, sentAt: now + 30_000)), now: now))
        assertRejected(try PeerFixtures.encode(PeerFixtures.message(sequence: 5, sentAt: 0)), .clockSkew, by: &validator)
        assertRejected(try PeerFixtures.encode(PeerFixtures.message(sequence: 6, sentAt: UInt64.max)), .clockSkew, by: &validator)
        // What an operator must fix, for the page of the silence it causes.
        XCTAssertThrowsError(try validator.validate(try PeerFixtures.encode(PeerFixtures.message(sequence: 7, sentAt: now - 90_029)), now: now)) { error in
            XCTAssertEqual((error as? PeerRejection)?.hint, "clocks differ by 90 s (beta's is behind): check NTP on both nodes")
        }
    }

    func testRejectedDatagramsDoNotMoveTheReplayWindow() throws {
        var validator = PeerFixtures.validator()
        let skewed = try PeerFixtures.encode(PeerFixtures.message(boot: 50, sequence: 1_000, sentAt: 0))
        assertRejected(skewed, .clockSkew, by: &validator)
        XCTAssertNil(validator.replayWindow.mark(for: "beta"))
        XCTAssertNoThrow(try validator.validate(try PeerFixtures.encode(PeerFixtures.message(boot: 7, sequence: 1)), now: PeerFixtures.now))
    }

    func testCountersListEveryReason() throws {
        var validator = PeerFixtures.validator()
        assertRejected([1, 2, 3], .badMagic, by: &validator)
        assertRejected([1, 2, 3], .badMagic, by: &validator)
        let listed = validator.counters.byReason
        XCTAssertEqual(listed.map(\.reason), PeerRejectionReason.allCases)
        XCTAssertEqual(listed.first { $0.reason == .badMagic }?.count, 2)
        XCTAssertEqual(validator.counters.totalRejected, 2)
    }

    func testRejectionDescriptionNamesReasonAndDetail() throws {
        var validator = PeerFixtures.validator()
        let datagram = try PeerFixtures.encode(PeerFixtures.message(sequence: 3))
        _ = try validator.validate(datagram, now: PeerFixtures.now)
        XCTAssertThrowsError(try validator.validate(datagram, now: PeerFixtures.now)) { error in
            XCTAssertEqual(
                "\(error)",
                "peer datagram rejected (replayed): sequence 3 is not above 3 for node beta, boot 7"
            )
        }
    }
}
