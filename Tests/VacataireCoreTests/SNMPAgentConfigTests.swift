import VacataireCore
import VacataireTestSupport
import XCTest

/// The `snmp_agent:` section: off when absent, Net-SNMP's defaults, and a located error
/// for each mistake.
final class SNMPAgentConfigTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("snmp-agent-config")
    }

    override func tearDown() {
        directory.remove()
    }

    private func parse(_ section: String) throws(ConfigErrors) -> Config {
        try Config.parse("node: {name: alpha, cluster: pair}\nstate_dir: state\n" + section, file: directory.file("node.yaml"))
    }

    private func problems(_ section: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do {
            _ = try parse(section)
            XCTFail("expected errors", file: file, line: line)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    func testAbsentSectionLeavesTheSubagentOff() throws {
        XCTAssertNil(try parse("").snmpAgent)
    }

    func testSocketsAndPingInterval() throws {
        let unix = try XCTUnwrap(try parse("snmp_agent: {agentx_socket: unix:/run/snmp/agentx.sock, ping_interval: 15s}\n").snmpAgent)
        XCTAssertEqual(unix.socket, .unix(path: "/run/snmp/agentx.sock"))
        XCTAssertEqual(unix.socket.description, "unix:/run/snmp/agentx.sock")
        XCTAssertEqual(unix.pingSeconds, 15)
        let tcp = try XCTUnwrap(try parse("snmp_agent: {agentx_socket: \"tcp:127.0.0.1:705\", ping_interval: 1m}\n").snmpAgent)
        XCTAssertEqual(tcp.socket, .tcp(host: "127.0.0.1", port: 705))
        XCTAssertEqual(tcp.pingSeconds, 60)
        let defaults = try XCTUnwrap(try parse("snmp_agent: {}\n").snmpAgent)
        XCTAssertEqual(defaults.socket.description, "unix:/var/agentx/master", "Net-SNMP's default master socket")
        XCTAssertEqual(defaults.pingSeconds, 15)
    }

    func testMistakesNameTheKeyAndTheLine() {
        let file = directory.file("node.yaml")
        let relative = problems("snmp_agent:\n  agentx_socket: unix:agentx.sock\n")
        XCTAssertEqual(relative.count, 1, "\(relative)")
        XCTAssertTrue(relative.first?.hasPrefix("\(file):4: snmp_agent.agentx_socket: expected unix:/PATH or tcp:HOST:PORT") == true, "\(relative)")
        XCTAssertTrue(relative.first?.contains("must be absolute") == true, "\(relative)")
        let noPort = problems("snmp_agent: {agentx_socket: \"tcp:localhost\"}\n")
        XCTAssertTrue(noPort.first?.contains("no port from 1 to 65535") == true, "\(noPort)")
        let udp = problems("snmp_agent: {agentx_socket: \"udp:127.0.0.1:705\"}\n")
        XCTAssertTrue(udp.first?.contains("found `udp:127.0.0.1:705`") == true, "\(udp)")
        let fraction = problems("snmp_agent:\n  ping_interval: 1500ms\n")
        XCTAssertTrue(fraction.first?.hasPrefix("\(file):4: snmp_agent.ping_interval: must be whole seconds") == true, "\(fraction)")
        let tooShort = problems("snmp_agent: {ping_interval: 100ms}\n")
        XCTAssertTrue(tooShort.first?.contains("snmp_agent.ping_interval: must be at least 1s") == true, "\(tooShort)")
        let unknown = problems("snmp_agent: {socket: unix:/x}\n")
        XCTAssertTrue(unknown.first?.contains("snmp_agent.socket") == true, "\(unknown)")
    }
}
