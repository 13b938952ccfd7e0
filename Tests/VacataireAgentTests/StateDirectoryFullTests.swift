import Foundation
import VacataireTestSupport
import XCTest

/// The state directory stops taking writes (a full disk, here a real tmpfs of a few
/// hundred KB filled by the test): stopping is always allowed, starting never is
/// (Docs/persistence.md, "When the state cannot be written").
final class StateDirectoryFullTests: XCTestCase {
    private var pair: PairFixture?
    private var mounts: [String] = []

    override func tearDown() {
        pair?.tearDown()
        pair = nil
        for mount in mounts { _ = try? Repository.run("/bin/umount", ["-l", mount]) }
        mounts = []
    }

    /// Mounts a small tmpfs as `node`'s state directory, before its agent starts.
    private func smallStateDirectory(_ pair: PairFixture, _ node: PairFixture.Node) throws -> String {
        guard getuid() == 0 else { throw FixtureError("these tests mount a tmpfs: run them as root") }
        let path = pair.directory.file("state-\(node.rawValue)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mounted = try Repository.run("/bin/mount", ["-t", "tmpfs", "-o", "size=640k,mode=0700", "tmpfs", path])
        guard mounted.status == 0 else { throw FixtureError("cannot mount a tmpfs on \(path) (util-linux's mount): \(mounted.stderr)") }
        mounts.append(path)
        return path
    }

    /// Fills the file system under `path` to its last byte.
    private func fill(_ path: String) throws {
        _ = try Repository.run("/bin/dd", ["if=/dev/zero", "of=\(path)/filler", "bs=4k"])
        let free = try Repository.run("/bin/df", ["--output=avail", path]).stdout
        XCTAssertTrue(free.hasSuffix(" 0\n") || free.contains("\n0\n") || free.split(separator: "\n").last?.trimmingCharacters(in: .whitespaces) == "0", free)
    }

    private func mails(_ pair: PairFixture, _ text: String) -> Int {
        pair.sink.messages().filter { $0.headers["subject"]?.contains(text) == true || $0.body.contains(text) }.count
    }

    func testAMasterWhoseDiskIsFullStillStopsItsServiceAndCatchesUpWhenSpaceReturns() async throws {
        let pair = try PairFixture()
        self.pair = pair
        let state = try smallStateDirectory(pair, .alpha)
        try await pair.startPair()
        try fill(state)

        try pair.breakCheck(.alpha)
        try await pair.waitUntil("beta serves", timeout: 15) { await pair.serving(.beta) }
        let betaServes = Date()
        // Make before break, then alpha stops although it cannot record that it did.
        let stopped = try await pair.waitUntil("alpha stops its service", timeout: 10) { !(await pair.serving(.alpha)) }
        print("alpha stopped \(String(format: "%.2f", Date().timeIntervalSince(betaServes))) s after beta served (drain 2 × 1 s)")
        XCTAssertLessThan(stopped, 8, pair.logs)
        try await pair.waitUntil("alpha is failed, in memory", timeout: 10) { pair.status(.alpha)?.state == "failed" }
        let status = try pair.admin(.alpha, ["status"]).stdout
        XCTAssertTrue(status.contains("STATE NOT WRITABLE"), status)
        XCTAssertTrue(pair.log(.alpha).contains("going on in memory"), pair.log(.alpha))
        let health = try pair.admin(.alpha, ["status", "--json"]).stdout
        XCTAssertTrue(health.contains("stateNotWritable"), health)
        // One failover page (beta's), one page saying alpha's state is not writable.
        try await pair.waitUntil("the pages arrive", timeout: 10) {
            self.mails(pair, "FAILOVER") >= 1 && self.mails(pair, "state not writable") >= 1
        }
        try await Task.sleep(for: .seconds(1))
        XCTAssertEqual(mails(pair, "FAILOVER"), 1)
        XCTAssertEqual(mails(pair, "state not writable"), 1, "said once")
        for _ in 0..<20 where await pair.serving(.alpha) { try await Task.sleep(for: .milliseconds(100)) }
        let alphaServesAgain = await pair.serving(.alpha)
        XCTAssertFalse(alphaServesAgain, "both served after the drain")

        // Space comes back: the role and epoch are written, and it is said once.
        try FileManager.default.removeItem(atPath: "\(state)/filler")
        try await pair.waitUntil("alpha's state is written again", timeout: 10) {
            !((try? pair.admin(.alpha, ["status"]).stdout) ?? "STATE NOT WRITABLE").contains("STATE NOT WRITABLE")
        }
        XCTAssertTrue(pair.log(.alpha).contains("state writable again"), pair.log(.alpha))
        let stored = try Repository.run("/usr/bin/sqlite3", ["\(state)/vacataire.sqlite", "SELECT role FROM failover_state"])
        XCTAssertEqual(stored.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "failed", stored.stderr)
    }

    func testAStandbyWhoseDiskIsFullRefusesToTakeOverAndTheMasterKeepsServing() async throws {
        let pair = try PairFixture()
        self.pair = pair
        let state = try smallStateDirectory(pair, .beta)
        try await pair.startPair()
        try fill(state)

        try pair.breakCheck(.alpha)
        try await pair.waitUntil("beta refuses", timeout: 15) {
            pair.log(.beta).contains("not starting while the state directory cannot be written")
        }
        try await pair.waitUntil("alpha gives the handoff up", timeout: 15) {
            pair.log(.alpha).contains("handoff failed") || pair.log(.alpha).contains("cannot hand off")
        }
        let betaServes = await pair.serving(.beta)
        let alphaServes = await pair.serving(.alpha)
        XCTAssertFalse(betaServes, pair.logs)
        XCTAssertTrue(alphaServes, "better a sick master than no master\n\(pair.logs)")
        let status = try pair.admin(.beta, ["status"]).stdout
        XCTAssertTrue(status.contains("STATE NOT WRITABLE"), status)
    }
}
