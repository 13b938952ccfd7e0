import Foundation
import VacataireTestSupport
import XCTest

/// SIGHUP on a running agent: a broken file is refused whole, a good one applies at once
/// and the role stays.
final class ReloadTests: XCTestCase {
    private var pair: PairFixture?
    private var newSink: SMTPSink?

    override func tearDown() {
        newSink?.stop()
        pair?.tearDown()
        pair = nil
    }

    func testSIGHUPReloadsTheConfigurationAndKeepsTheRole() async throws {
        let pair = try PairFixture()
        self.pair = pair
        try await pair.startPair()
        try await pair.waitUntil("alpha is active", timeout: 10) { pair.status(.alpha)?.state == "active" }
        let file = pair.directory.file("alpha.yaml")
        let original = try String(contentsOfFile: file, encoding: .utf8)

        try (original + "checks: [\n").write(toFile: file, atomically: true, encoding: .utf8)
        pair.signal(.alpha, SIGHUP)
        try await pair.waitUntil("the broken file is refused", timeout: 10) {
            pair.log(.alpha).contains("reload refused, the running configuration stays")
        }
        let status = try Repository.runVacataire(["status", "--socket", pair.directory.file("state-alpha/control.sock")])
        XCTAssertTrue(status.stdout.hasPrefix("alpha (pair-test, configured master): ACTIVE, epoch 1"), status.stdout + status.stderr)

        let sink = try SMTPSink()
        newSink = sink
        let moved = original.replacingOccurrences(of: "smtp://127.0.0.1:\(pair.sink.port)", with: "smtp://127.0.0.1:\(sink.port)")
        XCTAssertNotEqual(moved, original)
        try moved.replacingOccurrences(of: "interval: \(PairFixture.checkPeriod)ms", with: "interval: \(PairFixture.checkPeriod + 100)ms")
            .write(toFile: file, atomically: true, encoding: .utf8)
        pair.signal(.alpha, SIGHUP)
        try await pair.waitUntil("the reload is applied", timeout: 10) {
            pair.log(.alpha).contains("configuration reloaded from \(file), role kept (active, epoch 1)")
        }
        XCTAssertTrue(pair.log(.alpha).contains("needs a restart to apply: checks"), pair.log(.alpha))
        XCTAssertTrue(pair.isAgentRunning(.alpha))

        let test = try pair.admin(.alpha, ["notify-test", "--via-daemon", "--channel", "email"])
        XCTAssertEqual(test.status, 0, test.stdout + test.stderr)
        XCTAssertEqual(try sink.waitForMessages(1).count, 1, "the new mail server gets the test")
        XCTAssertTrue(pair.sink.messages().isEmpty, "the old one gets nothing")
        XCTAssertEqual(pair.status(.alpha)?.epoch, 1)
    }
}
