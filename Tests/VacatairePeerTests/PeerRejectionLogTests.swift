import XCTest
@testable import VacatairePeer

/// Rejected datagrams are logged, and a flood gives one summary line per
/// source and reason per interval, not one line per datagram.
final class PeerRejectionLogTests: XCTestCase {
    private let replayed = PeerRejection(.replayed, "sequence 41 is not above 57 for node beta, boot 3")
    private let badMAC = PeerRejection(.badMAC, "the tag does not match key 1")

    func testTheFirstRejectionIsLoggedAtOnceAndAFloodIsSummedUpPerSourceAndReason() {
        var log = PeerRejectionLog(intervalMilliseconds: 60_000)
        let first = log.record(replayed, from: "192.0.2.7:7411", now: 1_000)
        XCTAssertEqual(first.count, 1)
        XCTAssertTrue(first[0].contains("peer datagram rejected (replayed): sequence 41 is not above 57"), first[0])
        XCTAssertTrue(first[0].contains("from 192.0.2.7:7411"), first[0])
        var lines: [String] = []
        for index in 0..<1_000_000 {
            lines += log.record(index.isMultiple(of: 4) ? badMAC : replayed, from: index.isMultiple(of: 2) ? "192.0.2.7:7411" : "198.51.100.9:5000",
                                now: 1_000 + UInt64(index / 100_000))
        }
        XCTAssertEqual(lines, [], "nothing more within the interval")
        let summary = log.flush(now: 61_000)
        XCTAssertEqual(summary, [
            "peer datagrams rejected (bad-mac): 250000 from 192.0.2.7:7411 in the last 60 s",
            "peer datagrams rejected (replayed): 250000 from 192.0.2.7:7411 in the last 60 s",
            "peer datagrams rejected (replayed): 500000 from 198.51.100.9:5000 in the last 60 s",
        ])
        XCTAssertEqual(log.flush(now: 200_000), [], "an empty interval says nothing")
        XCTAssertEqual(log.record(replayed, from: "192.0.2.7:7411", now: 300_000).count, 1, "after a quiet interval, the next one is logged at once")
    }

    func testForgedSourcesCannotGrowTheTallyWithoutBound() {
        var log = PeerRejectionLog(intervalMilliseconds: 1_000)
        _ = log.record(badMAC, from: "first", now: 0)
        for index in 0..<10_000 {
            _ = log.record(badMAC, from: "203.0.113.\(index % 250):\(index)", now: 10)
        }
        let summary = log.flush(now: 1_000)
        XCTAssertEqual(summary.count, PeerRejectionLog.maximumSources + 1)
        XCTAssertEqual(summary.last, "peer datagrams rejected: \(10_000 - PeerRejectionLog.maximumSources) more from other sources in the last 1 s")
    }
}
