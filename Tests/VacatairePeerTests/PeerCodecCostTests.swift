import Foundation
import VacataireCore
import XCTest
@testable import VacatairePeer

/// What one message costs: prints encode, and decode + verify + replay check, per message.
/// A benchmark, not a test: `make bench` runs it (release build, `VACATAIRE_BENCH=1`); the
/// test suite skips it. Prints, never asserts: timings depend on the machine and its load.
final class PeerCodecCostTests: XCTestCase {
    func testPrintsTheCostOfOneMessage() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["VACATAIRE_BENCH"] == "1", "a benchmark: make bench runs it")
        let count = 20_000
        var sender = PeerSender(identity: PeerFixtures.beta, bootID: 3, keyring: PeerFixtures.ringOne)
        var validator = PeerFixtures.validator()
        let payload = PeerPayload(role: "master", state: "active", healthy: true, incidentID: "inc-42", detail: "all 5 checks pass")
        let clock = ContinuousClock()
        var datagrams: [[UInt8]] = []
        datagrams.reserveCapacity(count)
        let encoding = try clock.measure {
            for _ in 0..<count {
                datagrams.append(try sender.seal(.heartbeat, epoch: 9, payload: payload, now: PeerFixtures.now))
            }
        }
        let receiving = try clock.measure {
            for datagram in datagrams {
                _ = try validator.validate(datagram, now: PeerFixtures.now)
            }
        }
        XCTAssertEqual(validator.counters.accepted, UInt64(count))
        let encodeMicroseconds = Self.microseconds(encoding) / Double(count)
        let receiveMicroseconds = Self.microseconds(receiving) / Double(count)
        print(String(
            format: "peer codec cost: %d messages of %d bytes: encode+sign %.1f µs, decode+verify+replay check %.1f µs, total %.1f µs per message",
            count, datagrams.first?.count ?? 0, encodeMicroseconds, receiveMicroseconds, encodeMicroseconds + receiveMicroseconds
        ))
    }

    private static func microseconds(_ duration: Duration) -> Double {
        duration.seconds * 1e6
    }
}
