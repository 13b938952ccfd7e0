import VacataireChecks
import VacataireCore
import VacataireTestSupport
import XCTest

final class TCPCheckTests: XCTestCase {
    private func settings(_ port: UInt16, host: String = "127.0.0.1") throws -> TCPCheckSettings {
        TCPCheckSettings(host: try HostAddress.parse(host).get(), port: Port(port))
    }

    func testListeningPortIsOK() async throws {
        let server = try HTTPFixtureServer()
        defer { server.stop() }
        let result = await TCPCheck(try settings(server.port)).run(timeout: .seconds(2))
        XCTAssertEqual(result.status, .ok, result.message)
        XCTAssertTrue(result.message.contains("127.0.0.1 port \(server.port) accepted"), result.message)
        let byName = await TCPCheck(try settings(server.port, host: "localhost")).run(timeout: .seconds(2))
        XCTAssertEqual(byName.status, .ok, byName.message)
    }

    func testRefusedPortIsCritical() async throws {
        let port = try CheckFixtures.refusedPort()
        let result = await TCPCheck(try settings(port)).run(timeout: .seconds(2))
        XCTAssertEqual(result.status, .critical)
        XCTAssertTrue(result.message.contains("connection refused"), result.message)
    }
}
