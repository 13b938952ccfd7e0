import VacataireChecks
import VacataireCore
import VacataireTestSupport
import XCTest

final class HTTPCheckTests: XCTestCase {
    private static let page = 1234
    private var server: HTTPFixtureServer!

    override func setUpWithError() throws {
        server = try HTTPFixtureServer()
    }

    override func tearDown() {
        server?.stop()
    }

    private func run(_ settings: HTTPCheckSettings, timeout: Duration = .seconds(5)) async -> CheckResult {
        await HTTPCheck(settings).run(timeout: timeout)
    }

    func testFullPageIsOK() async {
        let result = await run(HTTPCheckSettings(url: server.url("/full"), expectStatus: 200...200, expectBytes: Self.page))
        XCTAssertEqual(result.status, .ok, result.message)
        XCTAssertTrue(result.message.contains("status 200, 1234 bytes"), result.message)
        XCTAssertEqual(result.perfdata.first { $0.label == "size" }?.value, 1234)
    }

    func testTruncatedPageIsCriticalWithBothByteCounts() async {
        let result = await run(HTTPCheckSettings(url: server.url("/truncated"), expectBytes: Self.page))
        XCTAssertEqual(result.status, .critical)
        XCTAssertTrue(result.message.contains("expected 1234 bytes, got 512"), result.message)
    }

    func testConnectionCutShortIsCriticalWithBothByteCounts() async {
        let result = await run(HTTPCheckSettings(url: server.url("/cut"), expectBytes: Self.page))
        XCTAssertEqual(result.status, .critical)
        XCTAssertTrue(result.message.contains("expected 1234 bytes, got 512"), result.message)
        let unchecked = await run(HTTPCheckSettings(url: server.url("/cut")))
        XCTAssertEqual(unchecked.status, .critical)
        XCTAssertTrue(unchecked.message.contains("cut short after 512 bytes"), unchecked.message)
    }

    func testServerErrorIsCritical() async {
        let result = await run(HTTPCheckSettings(url: server.url("/error")))
        XCTAssertEqual(result.status, .critical)
        XCTAssertTrue(result.message.contains("expected status 200-299, got 500"), result.message)
        let accepted = await run(HTTPCheckSettings(url: server.url("/error"), expectStatus: 500...599))
        XCTAssertEqual(accepted.status, .ok, accepted.message)
    }

    func testSlowAnswerPastTheTimeoutIsCritical() async {
        let result = await run(HTTPCheckSettings(url: server.url("/slow")), timeout: .seconds(1))
        XCTAssertEqual(result.status, .critical)
        XCTAssertTrue(result.message.contains("no complete answer within 1s"), result.message)
    }

    func testRefusedPortIsCritical() async throws {
        let port = try CheckFixtures.refusedPort()
        let result = await run(HTTPCheckSettings(url: "http://127.0.0.1:\(port)/"))
        XCTAssertEqual(result.status, .critical)
        XCTAssertTrue(result.message.contains("http://127.0.0.1:\(port)/"), result.message)
    }

    func testBodyPatternMethodAndSecretHeader() async {
        let matched = await run(HTTPCheckSettings(url: server.url("/full"), bodyPattern: "<title>Le Vacataire</title>"))
        XCTAssertEqual(matched.status, .ok, matched.message)
        let missed = await run(HTTPCheckSettings(url: server.url("/full"), bodyPattern: "maintenance"))
        XCTAssertEqual(missed.status, .critical)
        XCTAssertTrue(missed.message.contains("body does not match `maintenance`"), missed.message)
        let post = await run(HTTPCheckSettings(url: server.url("/method"), method: "POST", bodyPattern: "^POST$"))
        XCTAssertEqual(post.status, .ok, post.message)
        let head = await run(HTTPCheckSettings(url: server.url("/full"), method: "HEAD", expectBytes: 0))
        XCTAssertEqual(head.status, .ok, head.message)
        let denied = await run(HTTPCheckSettings(url: server.url("/token")))
        XCTAssertEqual(denied.status, .critical)
        let allowed = await run(HTTPCheckSettings(url: server.url("/token"), headers: ["X-Check-Token: sesame"]))
        XCTAssertEqual(allowed.status, .ok, allowed.message)
        XCTAssertFalse(allowed.message.contains("sesame"))
    }

    func testCredentialsInTheURLAreNotShown() async {
        let result = await run(HTTPCheckSettings(url: "http://admin:hunter2@127.0.0.1:\(server.port)/error?token=abc"))
        XCTAssertEqual(result.status, .critical)
        XCTAssertFalse(result.message.contains("hunter2"), result.message)
        XCTAssertFalse(result.message.contains("abc"), result.message)
    }

    /// The check keeps its libcurl handle from run to run, but never a connection: each run
    /// must reach the service as a new client would (a service that no longer accepts
    /// connections fails its check), although this server would keep one open.
    func testEachRunOpensItsOwnConnection() async {
        let check = HTTPCheck(HTTPCheckSettings(url: server.url("/full"), expectBytes: Self.page))
        for _ in 1...3 {
            let result = await check.run(timeout: .seconds(5))
            XCTAssertEqual(result.status, .ok, result.message)
        }
        let count = await run(HTTPCheckSettings(url: server.url("/connections"), bodyPattern: "^4$"))
        XCTAssertEqual(count.status, .ok, "three runs and this one: four connections (\(count.message))")
        server.stop()
        let after = await check.run(timeout: .seconds(5))
        XCTAssertEqual(after.status, .critical, after.message)
    }

    func testHTTPSVerifiesUnlessGivenTheCAFile() async throws {
        let scratch = try CheckScratchDirectory("https")
        defer { scratch.remove() }
        let certificate = try HTTPFixtureCertificate(in: scratch.path)
        let tls = try HTTPFixtureServer(tls: certificate)
        defer { tls.stop() }
        let url = tls.url("/full", https: true)
        let untrusted = await run(HTTPCheckSettings(url: url, expectBytes: Self.page))
        XCTAssertEqual(untrusted.status, .critical)
        XCTAssertTrue(untrusted.message.lowercased().contains("certificate"), untrusted.message)
        let trusted = await run(HTTPCheckSettings(url: url, caFile: certificate.certificate, expectBytes: Self.page))
        XCTAssertEqual(trusted.status, .ok, trusted.message)
        let unverified = await run(HTTPCheckSettings(url: url, verifyTLS: false, expectBytes: Self.page))
        XCTAssertEqual(unverified.status, .ok, unverified.message)
    }
}
