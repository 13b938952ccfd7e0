import Foundation
import XCTest
@testable import VacataireCore

/// `failover.mode: etcd`: a valid section with its defaults, the timing rule with its
/// reason, the pair's keys refused, and every way to get the `etcd` section wrong.
final class EtcdConfigTests: XCTestCase, ConfigProblemChecks {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "etcd-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("secret\n".utf8).write(to: URL(fileURLWithPath: directory + "/etcd.password"))
        chmod(directory + "/etcd.password", 0o600)
        try Data("-----BEGIN CERTIFICATE-----\n".utf8).write(to: URL(fileURLWithPath: directory + "/ca.pem"))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The `etcd` mapping comes last: a test appends its own keys to it.
    static let section = """
        mode: etcd
        actions:
          start: {command: "systemctl start web", timeout: 10s}
          stop: {command: "systemctl stop web", timeout: 2s}
        etcd:
          endpoints: [http://127.0.0.1:2379, "http://[::1]:2379/"]
          priority: 20
        """

    func parse(_ failover: String) throws(ConfigErrors) -> Config {
        let body = failover.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        return try Config.parse("node: {name: web-1, cluster: shop}\nfailover:\n\(body)\n", file: directory + "/web-1.yaml")
    }



    func testAValidSectionWithItsDefaults() throws {
        let failover = try XCTUnwrap(try parse(Self.section).failover)
        XCTAssertEqual(failover.mode, .etcd)
        let etcd = try XCTUnwrap(failover.etcd)
        XCTAssertEqual(etcd.endpoints, ["http://127.0.0.1:2379", "http://[::1]:2379"])
        XCTAssertEqual(etcd.prefix, "/vacataire")
        XCTAssertEqual(etcd.priority, 20)
        XCTAssertEqual(etcd.renewInterval, ConfigDuration(seconds: 1))
        // The shortest whole ttl above 2 × (1s + 1s) + 2s + 0.5s = 6.5s, but 10s at least.
        XCTAssertEqual(etcd.ttl, ConfigDuration(seconds: 10))
        let settings = failover.leaseSettings(nodeName: "web-1", etcd: etcd)
        XCTAssertNil(settings.timingProblem)
        XCTAssertEqual(settings.stopTimeout, .seconds(2))
        XCTAssertEqual(settings.handoffTimeout, .seconds(10 + 10 + 5), "start + verify + 5 s by default")
        // A longer stop makes the default ttl longer: 2 × 2s + 12s + 0.5s = 16.5s → 17s.
        let slow = try XCTUnwrap(try parse(Self.section.replacingOccurrences(of: "timeout: 2s", with: "timeout: 12s")).failover?.etcd)
        XCTAssertEqual(slow.ttl, ConfigDuration(seconds: 17))
    }

    func testTheTimingRuleSaysWhatItProtects() {
        assertProblem(Self.section + "\n  ttl: 5s", key: "failover.etcd.ttl", contains: "must be longer than 2 × (renew_interval + request_timeout) + the stop timeout")
        assertProblem(Self.section + "\n  ttl: 5s", key: "failover.etcd.ttl", contains: "stop its service before the store can expire its lease")
        assertProblem(Self.section + "\n  ttl: 12.5s", key: "failover.etcd.ttl", contains: "etcd counts leases in whole seconds")
    }

    func testThePairsKeysAreRefusedWithTheReason() {
        for key in ["role: master", "peer: {name: web-2, addresses: [127.0.0.1]}", "witness: tcp://127.0.0.1:9", "no_witness: stay"] {
            let name = String(key.prefix { $0 != ":" })
            assertProblem(Self.section + "\n" + key, key: "failover.\(name)", contains: "only mode pair reads `\(name)`")
        }
    }

    func testBadValuesNameTheirKey() {
        assertProblem(Self.section.replacingOccurrences(of: "[http://127.0.0.1:2379, \"http://[::1]:2379/\"]", with: "[127.0.0.1:2379]"),
                      key: "failover.etcd.endpoints", contains: "expected etcd client URLs such as http://198.51.100.21:2379")
        assertProblem(Self.section.replacingOccurrences(of: "  priority: 20", with: "  priority: 5000"), key: "failover.etcd.priority", contains: "from -1000 to 1000")
        assertProblem(Self.section + "\n  prefix: vacataire/", key: "failover.etcd.prefix", contains: "starting with `/`")
        assertProblem(Self.section.replacingOccurrences(of: "\netcd:", with: "\nnot_etcd:"), key: "failover.etcd", contains: "missing; mode etcd needs")
        assertProblem(Self.section + "\n  tls: {ca: missing.pem}", key: "failover.etcd.tls.ca", contains: "cannot read")
        assertProblem(Self.section + "\n  tls: {ca: ca.pem, cert: ca.pem}", key: "failover.etcd.tls.key", contains: "needs both `cert` and `key`")
        assertProblem(Self.section + "\n  auth: {user: vacataire, password_file: etcd.password}", key: "failover.etcd.auth",
                      contains: "the password would cross the network in clear")
        assertProblem("handoff_timeout: 12s\n" + Self.section,
                      key: "failover.handoff_timeout", contains: "must be more than actions.start.timeout")
        assertProblem(Self.section.replacingOccurrences(of: "mode: etcd", with: "mode: raft"), key: "failover.mode", contains: "pair, etcd")
    }
}
