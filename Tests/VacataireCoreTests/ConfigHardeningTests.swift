import Foundation
import XCTest
@testable import VacataireCore

/// Numbers out of any sane range and nonsense that `check-config`
/// used to accept (and the daemon then crashed on, or was fooled by) are refused with the
/// file, line and key.
final class ConfigHardeningTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "config-hardening-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("0123456789abcdef0123456789abcdef".utf8).write(to: URL(fileURLWithPath: directory + "/peer.key"))
        chmod(directory + "/peer.key", 0o600)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A master's whole file, its `failover:` body being `failover` (FailoverConfigTests.master by default).
    private func document(_ failover: String = FailoverConfigTests.master) -> String {
        "node:\n  name: alpha\n  cluster: web\nfailover:\n"
            + failover.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    }

    private func assertProblem(_ failover: String, key: String, contains text: String, file: StaticString = #filePath, line: UInt = #line) {
        let found = problems(document(failover))
        XCTAssertTrue(found.contains { $0.key == key && $0.message.contains(text) && $0.line != nil },
                      "expected `\(key)`: …\(text)…; got:\n\(found.map(\.description).joined(separator: "\n"))", file: file, line: line)
    }

    private func replacing(_ old: String, with new: String) -> String {
        FailoverConfigTests.master.replacingOccurrences(of: old, with: new)
    }

    /// The problems of a whole document (not only its `failover:` section).
    private func problems(_ text: String) -> [ConfigProblem] {
        do {
            _ = try Config.parse(text, file: directory + "/node.yaml")
            return []
        } catch {
            return error.problems
        }
    }

    // MARK: - Case 4: durations

    func testHugeDurationsAreRefusedAtTheirKeyWithoutTrapping() {
        for (key, old) in [
            ("heartbeat_interval", "heartbeat_interval: 200ms"), ("dead_after", "dead_after: 3s"),
            ("handoff_timeout", "handoff_timeout: 5s"), ("self_fence_after", "self_fence_after: 1s"),
        ] {
            assertProblem(replacing(old, with: "\(key): 1e19s"), key: "failover.\(key)", contains: "at most 365d")
            assertProblem(replacing(old, with: "\(key): 2d"), key: "failover.\(key)", contains: "must be at most")
        }
        assertProblem(replacing("timeout: 10s}", with: "timeout: 1e19s}"), key: "failover.actions.start.timeout", contains: "at most 365d")
        assertProblem(replacing("timeout: 10s}", with: "timeout: 2h}"), key: "failover.actions.start.timeout", contains: "must be at most 3600s, found 7200s")
    }

    func testAStopTimeoutBelowASaneMinimumIsRefused() {
        assertProblem(replacing("timeout: 1s}", with: "timeout: 0.0001ms}"), key: "failover.actions.stop.timeout", contains: "must be at least 100ms")
    }

    func testCheckIntervalsAndTimeoutsAreBounded() {
        let head = "node: {name: alpha, cluster: web}\nchecks:\n  - name: port\n    kind: tcp\n    host: 127.0.0.1\n    port: 80\n"
        let huge = problems(head + "    interval: 1e10\n")
        XCTAssertTrue(huge.contains { $0.key == "checks[0].interval" && $0.message.contains("at most 365d") && $0.line == 7 }, "\(huge)")
        let days = problems(head + "    interval: 2d\n")
        XCTAssertTrue(days.contains { $0.key == "checks[0].interval" && $0.message.contains("must be at most 86400s, found 172800s") && $0.line == 7 }, "\(days)")
        let tiny = problems(head + "    interval: 1ms\n")
        XCTAssertTrue(tiny.contains { $0.key == "checks[0].interval" && $0.message.contains("at least 100ms") }, "\(tiny)")
        let timeout = problems(head + "    interval: 1m\n    timeout: 1e300s\n")
        XCTAssertTrue(timeout.contains { $0.key == "checks[0].timeout" && $0.message.contains("at most 365d") }, "\(timeout)")
    }

    func testAnyDurationKeyRefusesMoreThanAYear() {
        let found = problems("node: {name: alpha, cluster: web}\noutbox:\n  max_age: 1e19s\nincidents:\n  repeat_interval: 400d\n")
        XCTAssertTrue(found.contains { $0.key == "outbox.max_age" && $0.line == 3 && $0.message.contains("at most 365d") }, "\(found)")
        XCTAssertTrue(found.contains { $0.key == "incidents.repeat_interval" && $0.message.contains("at most 365d") }, "\(found)")
    }

    func testDurationTextAndConversionsNeverTrap() {
        for seconds in [0, 1e-9, 0.5, 1, 9.3e18, 1e300, Double.greatestFiniteMagnitude, .infinity, -.infinity, .nan, -5] {
            let duration = ConfigDuration(seconds: seconds)
            XCTAssertFalse(duration.description.isEmpty)
            XCTAssertGreaterThanOrEqual(duration.milliseconds, 0)
            XCTAssertGreaterThanOrEqual(duration.nanoseconds, 0)
            _ = duration.duration
        }
        XCTAssertEqual(ConfigDuration(seconds: 1e300).milliseconds, Int64.max)
        XCTAssertEqual(ConfigDuration(seconds: 1.5).milliseconds, 1_500)
        guard case .failure(let error) = ConfigDuration.parse("1e19s") else { return XCTFail("1e19s parsed") }
        XCTAssertTrue(error.message.contains("at most 365d"), error.message)
        XCTAssertEqual(try ConfigDuration.parse("365d").get().seconds, 365 * 86_400)
    }

    // MARK: - Case 11: a node configured to talk to itself, and other nonsense

    func testThePeerNamedAsThisNodeIsRefused() {
        assertProblem(replacing("name: beta", with: "name: alpha"), key: "failover.peer", contains: "this node's own name")
    }

    func testAPeerAddressThatIsThisNodesListenAddressIsRefused() {
        assertProblem(replacing("\"127.0.0.1:7412\",", with: "\"127.0.0.1:7411\","), key: "failover.peer",
                      contains: "127.0.0.1:7411 is this node's own listen address")
        let wildcard = replacing("address: 127.0.0.1\n  port: 7411", with: "address: 0.0.0.0\n  port: 7412")
        assertProblem(wildcard, key: "failover.peer", contains: "is this node's own listen address")
    }

    func testAServiceProbeAtThisNodesOwnServiceIsRefused() {
        let text = document()
            + "\nchecks:\n  - {name: web, kind: http, url: \"http://127.0.0.1:8082/\"}\n"
        let found = problems(text)
        XCTAssertTrue(found.contains { $0.key == "failover.service_probe" && $0.message.contains("own service (the URL of check `web`)") && $0.line != nil },
                      "\(found)")
        let endpoint = problems(document() + "\nhttp: {port: 8082}\n")
        XCTAssertTrue(endpoint.contains { $0.key == "failover.service_probe" && $0.message.contains("load-balancer endpoint") }, "\(endpoint)")
        XCTAssertEqual(problems(document() + "\nhttp: {port: 8083}\n"), [])
    }

    func testAWorldWritableControlModeIsRefused() {
        let found = problems("node: {name: alpha, cluster: web}\ncontrol:\n  socket: /tmp/x.sock\n  mode: \"0777\"\n")
        XCTAssertTrue(found.contains { $0.key == "control.mode" && $0.line == 4 && $0.message.contains("execute bits") }, "\(found)")
        XCTAssertEqual(problems("node: {name: alpha, cluster: web}\ncontrol:\n  socket: /tmp/x.sock\n  mode: \"0666\"\n"), [])
    }

    func testAnEmptyStateDirIsRefused() {
        let found = problems("node: {name: alpha, cluster: web}\nstate_dir: \"\"\n")
        XCTAssertTrue(found.contains { $0.key == "state_dir" && $0.line == 2 && $0.message.contains("must not be empty") }, "\(found)")
    }

    func testADirectoryOrADeviceAsTheConfigurationFileGetsAPlainMessage() {
        for (path, expected) in [(directory, "is a directory, not a configuration file"), ("/dev/zero", "is not a regular file")] {
            do {
                _ = try Config.load(path: path)
                XCTFail("\(path) loaded")
            } catch {
                XCTAssertEqual(error.problems.count, 1)
                XCTAssertTrue(error.description.hasPrefix("\(path): "), error.description)
                XCTAssertTrue(error.description.contains(expected), error.description)
                XCTAssertFalse(error.description.contains("NSCocoaErrorDomain") || error.description.contains("permission"), error.description)
            }
        }
    }
}
