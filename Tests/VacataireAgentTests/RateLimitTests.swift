import Foundation
import VacataireTestSupport
import XCTest

/// The rate limiter with a real pair and a real SMTP server: a warning check on alpha that
/// flaps every 100 ms sends at most the burst, one flapping start and stop, and digests,
/// and what those say adds up exactly to the check's changes.
final class RateLimitTests: XCTestCase {
    private var pair: PairFixture?

    override func tearDown() {
        pair?.tearDown()
        pair = nil
    }

    /// WARNING and OK in turn, one per run, while NAME.flap exists; OK otherwise.
    private static let flapScript = """
        #!/bin/sh
        dir=$(dirname "$0")
        name=$1
        if [ -e "$dir/$name.flap" ]; then
            if [ -e "$dir/$name.flap-state" ]; then
                rm -f "$dir/$name.flap-state"
                echo "WARNING - $name flaps"
                exit 1
            fi
            touch "$dir/$name.flap-state"
        fi
        echo "OK - $name is steady"
        exit 0

        """

    private static let flappyCheck = """
          - name: flappy
            kind: exec
            command: [./flap-check.sh, NODE]
            interval: 100ms
            timeout: 100ms
            rise: 1
            fall: 1
            severity: warning
        """

    func testAFlappingWarningCheckSendsAtMostTheBurstPlusDigestsWithExactCounts() async throws {
        let burst = 3
        let pair = try PairFixture(
            extra: "rate_limit: {burst: \(burst), refill: 60, dedupe_window: 1s, flapping: {history: 21, window: 2s, high: 50, low: 25}}\n",
            checks: Self.flappyCheck)
        self.pair = pair
        try pair.directory.write("flap-check.sh", Self.flapScript)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: pair.directory.file("flap-check.sh"))
        try await pair.startPair()
        try pair.directory.write("alpha.flap", "flapping by a test\n")
        try await Task.sleep(for: .seconds(4))
        try FileManager.default.removeItem(atPath: pair.directory.file("alpha.flap"))

        let fromAlpha = { pair.sink.messages().filter { $0.body.contains("Node:      alpha") } }
        try await pair.waitUntil("alpha says flappy stopped flapping", timeout: 15) {
            fromAlpha().contains { $0.body.contains("check flappy stopped flapping") }
        }
        // Whatever is still owed goes out in a digest within a token's time (1 s at 60/min).
        try await Task.sleep(for: .seconds(2.5))

        let changes = pair.log(.alpha).split(separator: "\n").filter {
            $0.contains("check flappy healthy -> failing") || $0.contains("check flappy failing -> healthy")
        }.count
        let messages = fromAlpha()
        let checkMessages = messages.filter {
            ($0.body.contains("Event:     check-failed") || $0.body.contains("Event:     check-recovered")) && $0.body.contains("flappy")
        }
        let flapping = messages.filter { $0.body.contains("Event:     flapping") }
        let digests = messages.filter { $0.body.contains("Event:     digest") }
        var told = 0
        for message in messages {
            guard let match = message.body.firstMatch(of: /more events were suppressed: (.*)/) else { continue }
            let summary = String(match.output.1).trimmingCharacters(in: .whitespacesAndNewlines)
            for entry in summary.components(separatedBy: ", ") where entry.contains(" flappy x") {
                told += entry.firstMatch(of: /\ x(\d+)$/).flatMap { Int($0.output.1) } ?? 0
            }
        }
        print("flappy changed \(changes) times: \(checkMessages.count) check messages, \(flapping.count) flapping notices, "
            + "\(digests.count) digests, \(told) changes counted in them")
        let bodies = messages.map(\.body).joined(separator: "\n=====\n")
        XCTAssertGreaterThanOrEqual(changes, 25, "the check flapped for 4 s at 100 ms\n\(pair.logs)")
        XCTAssertLessThanOrEqual(checkMessages.count, burst + 4, "the burst, then one per second of tokens at most\n\(bodies)")
        XCTAssertEqual(flapping.count, 2, "one start, one stop\n\(bodies)")
        XCTAssertLessThanOrEqual(messages.count - digests.count - flapping.count, burst + 4, bodies)
        XCTAssertEqual(checkMessages.count + told, changes, "every change sent or counted, exactly once\n\(bodies)")
        XCTAssertTrue(flapping.first?.body.contains("check flappy is flapping") ?? false, bodies)
        XCTAssertTrue(pair.log(.alpha).contains("held back for"), "held-back notices are logged")
    }
}
