import Foundation
import VacataireCore
import VacataireTestSupport
import XCTest

/// What a configuration `run` accepts but that leaves the pair unsafe: warned by
/// `check-config` (refused with `--strict`, as the package's unit checks), logged by `run`,
/// listed by `status`.
final class ConfigWarningsTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("config-warnings")
    }

    override func tearDown() {
        directory.remove()
    }

    private func node(notify: String, guardLines: String, peer: String = "127.0.0.2") throws -> String {
        _ = try directory.write("peer.key", String(repeating: "ab", count: 32) + "\n")
        chmod(directory.file("peer.key"), 0o600)
        return """
            node: {name: web-1, cluster: shop}
            state_dir: state
            notify: \(notify)
            failover:
              role: master
              peer: {name: web-2, addresses: ["\(peer):7411"]}
              listen: {address: 127.0.0.1, port: 7411}
              keys: [{id: 1, file: peer.key}]
              actions:
                start: {command: "true", timeout: 5s}
                stop: {command: "true", timeout: 5s}
            \(guardLines)
            """
    }

    private func warnings(_ text: String) throws -> [ConfigWarning] {
        let config = try Config.parse(text, file: directory.file("node.yaml"))
        return ConfigWarnings.of(config, yaml: text)
    }

    func testNobodyPagedAndNoTakeoverAreWarnedWithTheirConsequence() throws {
        let found = try warnings(node(notify: "{email: [], snmp: []}", guardLines: "  no_witness: stay"))
        XCTAssertEqual(found.map(\.key), ["notify", "failover.no_witness"], "\(found)")
        XCTAssertTrue(found[0].consequence.contains("nobody will be paged"), found[0].consequence)
        XCTAssertTrue(found[1].consequence.contains("if web-1's machine dies, web-2 will not take over"), found[1].consequence)
    }

    func testASafeConfigurationHasNoWarning() throws {
        let notify = #"{email: [{url: "smtp://10.1.2.3:25", from: pager@shop.internal, to: [oncall@shop.internal], starttls: "off"}]}"#
        let guardLines = """
              witness: tcp://10.1.2.1:53
              service_probe: http://127.0.0.2/
            """
        XCTAssertEqual(try warnings(node(notify: notify, guardLines: guardLines)), [])
    }

    func testEveryPlaceholderIsNamedByItsKey() throws {
        let notify = #"{email: [{url: "smtp://mail.example.org:587", from: pager@shop.internal, to: [oncall@example.com]}], snmp: [{address: 192.0.2.10, community: c}]}"#
        let found = try warnings(node(notify: notify, guardLines: "  no_witness: takeover", peer: "[2001:db8::12]"))
        XCTAssertEqual(found.map(\.key), ["notify.email[0].url", "notify.email[0].to[0]", "notify.snmp[0].address", "failover.peer.addresses[0]"], "\(found)")
        XCTAssertTrue(found.allSatisfy { $0.consequence.contains("reserved for documentation") }, "\(found)")
    }

    func testPlaceholdersAreDocumentationNamesAndAddressesOnly() {
        for value in ["oncall@example.org", "smtp://mail.example.net:25", "EXAMPLE.COM", "192.0.2.1", "tcp://198.51.100.7:53",
                      "203.0.113.254:7411", "[2001:db8::1]:7411", "2001:DB8:0:1::5"] {
            XCTAssertNotNil(ConfigWarnings.placeholder(value), value)
        }
        for value in ["oncall@myexample.org", "example.organic.shop", "192.0.20.1", "10.198.51.100", "2001:db80::1", "systemctl start nginx"] {
            XCTAssertNil(ConfigWarnings.placeholder(value), value)
        }
    }

    /// The shipped example, with its key in place: `check-config` says ok with every
    /// placeholder warned; `--strict` (the unit's ExecStartPre) refuses it.
    func testTheShippedExampleIsRefusedByStrictWithEachPlaceholderNamed() throws {
        _ = try directory.write("peer.key", String(repeating: "cd", count: 32) + "\n")
        chmod(directory.file("peer.key"), 0o600)
        let example = try String(contentsOfFile: Repository.path("Config/vacataire.example.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "/etc/vacataire/peer.key", with: directory.file("peer.key"))
            .replacingOccurrences(of: "/var/lib/vacataire", with: directory.file("state"))
        let file = try directory.write("vacataire.yaml", example)
        let lenient = try Repository.runVacataire(["check-config", file])
        XCTAssertEqual(lenient.status, 0, lenient.stderr)
        XCTAssertTrue(lenient.stdout.contains("ok, with"), lenient.stdout)
        let strict = try Repository.runVacataire(["check-config", "--strict", file])
        XCTAssertEqual(strict.status, 1, strict.stdout + strict.stderr)
        for key in ["notify.email[0].url", "notify.email[0].from", "notify.email[0].to[0]", "failover.peer.addresses[0]", "failover.witness"] {
            XCTAssertTrue(strict.stderr.contains("warning: \(key): "), "\(key) not named:\n\(strict.stderr)")
        }
        XCTAssertTrue(strict.stderr.contains("--strict refuses them"), strict.stderr)
    }
}
