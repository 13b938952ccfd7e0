import VacataireCore
import VacataireTestSupport
import XCTest

/// The `http:` and `agent_check:` sections: off when absent, `{address, port}` when set,
/// and every mistake named with its file, line and key.
final class LoadBalancerConfigTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("lb-config")
    }

    override func tearDown() {
        directory.remove()
    }

    private let node = "node: {name: alpha, cluster: web}\n"

    private func parse(_ text: String) throws(ConfigErrors) -> Config {
        try Config.parse(node + text, file: directory.file("node.yaml"))
    }

    private func problems(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [ConfigProblem] {
        do {
            _ = try parse(text)
            XCTFail("expected errors", file: file, line: line)
            return []
        } catch {
            return error.problems
        }
    }

    func testBothAreOffWhenAbsent() throws {
        let config = try parse("")
        XCTAssertNil(config.loadBalancer.http)
        XCTAssertNil(config.loadBalancer.agentCheck)
    }

    func testAddressAndPort() throws {
        let config = try parse("http: {address: 0.0.0.0, port: 9411}\nagent_check:\n  port: 9511\n")
        XCTAssertEqual(config.loadBalancer.http?.description, "0.0.0.0:9411")
        XCTAssertEqual(config.loadBalancer.agentCheck?.description, "127.0.0.1:9511")
    }

    func testMistakesNameFileLineAndKey() {
        let found = problems("""
            http:
              address: web-1.example.org
              port: 70000
            agent_check: {adress: 127.0.0.1, port: 9511}
            """).sorted { ($0.line ?? 0) < ($1.line ?? 0) }
        let file = directory.file("node.yaml")
        XCTAssertEqual(found.map(\.key), ["http.address", "http.port", "agent_check.adress"], "\(found)")
        XCTAssertEqual(found.map(\.line), [3, 4, 5])
        XCTAssertTrue(found.allSatisfy { $0.file == file })
        XCTAssertTrue(found[0].message.contains("expected an IP address"), found[0].message)
        XCTAssertTrue(found[1].message.contains("1 to 65535"), found[1].message)
        XCTAssertTrue(found[2].message.contains("unknown key"), found[2].message)
    }

    func testPortIsRequiredAndNotShared() {
        let missing = problems("http: {address: 127.0.0.1}\n")
        XCTAssertEqual(missing.map(\.key), ["http.port"])
        XCTAssertTrue(missing[0].message.hasPrefix("missing"), missing[0].message)

        let shared = problems("http: {port: 9411}\nagent_check: {address: 0.0.0.0, port: 9411}\n")
        XCTAssertEqual(shared.map(\.key), ["agent_check"])
        XCTAssertEqual(shared.first?.line, 3)
        XCTAssertTrue(shared[0].message.contains("also the `http:` port"), shared[0].message)

        let notAMapping = problems("http: 9411\n")
        XCTAssertEqual(notAMapping.map(\.key), ["http"])
    }
}
