import VacataireCore
import XCTest
@testable import VacatairePeer

/// The persisted boot id: increments across restarts, never silently resets. The counter
/// tests pass a clock of 0, so only the stored number counts.
final class BootGenerationTests: XCTestCase {
    func testStartsAtOneAndIncrementsAcrossRestarts() throws {
        let directory = try PeerFixtures.temporaryDirectory(for: self)
        XCTAssertEqual(try BootGeneration.next(stateDirectory: directory, clock: 0), 1, "no file yet: first start")
        XCTAssertEqual(try BootGeneration.next(stateDirectory: directory, clock: 0), 2)
        XCTAssertEqual(try BootGeneration.next(stateDirectory: directory + "/", clock: 0), 3)
        let stored = try String(contentsOfFile: directory + "/boot-generation", encoding: .utf8)
        XCTAssertEqual(stored, "3\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/boot-generation.tmp"), "no temporary file left")
    }

    func testMissingFileStartsOverAtOne() throws {
        let directory = try PeerFixtures.temporaryDirectory(for: self)
        _ = try BootGeneration.next(stateDirectory: directory, clock: SystemClock().unixMilliseconds)
        _ = try BootGeneration.next(stateDirectory: directory, clock: SystemClock().unixMilliseconds)
        try FileManager.default.removeItem(atPath: directory + "/boot-generation")
        XCTAssertEqual(try BootGeneration.next(stateDirectory: directory, clock: 0), 1)
    }

    func testTheWallClockRaisesTheGenerationAndAStandInStaysBelowTheNextStoredOne() throws {
        let directory = try PeerFixtures.temporaryDirectory(for: self)
        XCTAssertEqual(try BootGeneration.next(stateDirectory: directory, clock: 1_000), 1_000)
        XCTAssertEqual(try BootGeneration.next(stateDirectory: directory, clock: 500), 1_001, "a clock gone back: the stored number counts")
        // A start that cannot store its number takes one above the stored, writes nothing...
        let standIn = BootGeneration.standIn(stateDirectory: directory, clock: 2_000)
        XCTAssertEqual(standIn, 2_000)
        XCTAssertEqual(try String(contentsOfFile: directory + "/boot-generation", encoding: .utf8), "1001\n")
        // ...and the next start that can store one is above it: the peer accepts it.
        XCTAssertGreaterThan(try BootGeneration.next(stateDirectory: directory, clock: 2_001), standIn)
        XCTAssertGreaterThan(BootGeneration.standIn(stateDirectory: "/nonexistent/vacataire-state", clock: SystemClock().unixMilliseconds), 1_700_000_000_000, "milliseconds of the wall clock")
    }

    func testContinuesFromAnExistingValue() throws {
        let directory = try PeerFixtures.temporaryDirectory(for: self)
        _ = try PeerFixtures.writeFile(Array("41".utf8), named: "boot-generation", in: directory, mode: 0o644)
        XCTAssertEqual(try BootGeneration.next(stateDirectory: directory, clock: 0), 42)
    }

    func testCorruptOrExhaustedFileIsAnErrorNotAReset() throws {
        let directory = try PeerFixtures.temporaryDirectory(for: self)
        let path = try PeerFixtures.writeFile(Array("seven\n".utf8), named: "boot-generation", in: directory, mode: 0o644)
        XCTAssertThrowsError(try BootGeneration.next(stateDirectory: directory, clock: SystemClock().unixMilliseconds)) { error in
            XCTAssertEqual(error as? BootGenerationError, .corrupt(path: path))
            XCTAssertTrue("\(error)".contains("does not hold a number"))
        }
        _ = try PeerFixtures.writeFile(Array("\(UInt64.max)\n".utf8), named: "boot-generation", in: directory, mode: 0o644)
        XCTAssertThrowsError(try BootGeneration.next(stateDirectory: directory, clock: SystemClock().unixMilliseconds)) { error in
            XCTAssertEqual(error as? BootGenerationError, .exhausted(path: path))
        }
        _ = try PeerFixtures.writeFile([UInt8](repeating: 0x31, count: 100), named: "boot-generation", in: directory, mode: 0o644)
        XCTAssertThrowsError(try BootGeneration.next(stateDirectory: directory, clock: SystemClock().unixMilliseconds))
    }

    func testMissingStateDirectoryIsAnError() {
        XCTAssertThrowsError(try BootGeneration.next(stateDirectory: "/nonexistent/vacataire-state", clock: SystemClock().unixMilliseconds)) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/vacataire-state/boot-generation"), "\(error)")
        }
    }

    func testACapturedDatagramIsDroppedAfterThePeerRestarts() throws {
        let directory = try PeerFixtures.temporaryDirectory(for: self)
        var alpha = PeerFixtures.validator()
        var betaFirstBoot = PeerSender(identity: PeerFixtures.beta, bootID: try BootGeneration.next(stateDirectory: directory, clock: SystemClock().unixMilliseconds), keyring: PeerFixtures.ringOne)
        let captured = try betaFirstBoot.seal(.heartbeat, epoch: 1, payload: PeerFixtures.payload, now: PeerFixtures.now)
        XCTAssertNoThrow(try alpha.validate(captured, now: PeerFixtures.now))

        var betaSecondBoot = PeerSender(identity: PeerFixtures.beta, bootID: try BootGeneration.next(stateDirectory: directory, clock: SystemClock().unixMilliseconds), keyring: PeerFixtures.ringOne)
        XCTAssertNoThrow(try alpha.validate(try betaSecondBoot.seal(.heartbeat, epoch: 1, payload: PeerFixtures.payload, now: PeerFixtures.now + 1), now: PeerFixtures.now + 1))
        XCTAssertThrowsError(try alpha.validate(captured, now: PeerFixtures.now + 2)) { error in
            XCTAssertEqual((error as? PeerRejection)?.reason, .staleBoot)
        }
    }
}
