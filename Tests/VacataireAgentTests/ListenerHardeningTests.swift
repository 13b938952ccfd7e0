import Foundation
import Logging
@testable import VacataireCore
import VacataireTestSupport
import XCTest

@testable import VacataireAgent

/// In-process: the listeners' connection limits and request
/// timeout, one 400 for a malformed request line, and a stop action that cannot be started.
final class ListenerHardeningTests: XCTestCase {
    private func endpoint() async throws -> (HTTPEndpoint, Task<Void, Never>, Int) {
        let endpoint = try await HTTPEndpoint.bind(
            FailoverConfig.Endpoint(host: HostAddress(host: "127.0.0.1"), port: Port(0)), source: HTTPEndpointTests.FixedSource(verdict: ServingVerdict(state: .active, role: .active, healthy: true)), logger: Logger(label: "test"))
        let task = Task { await endpoint.run() }
        let port = try XCTUnwrap(Int(endpoint.address.split(separator: ":").last ?? ""))
        return (endpoint, task, port)
    }

    /// Case 12: exactly one 400, then the connection is closed.
    func testAMalformedRequestLineGetsExactlyOne400() async throws {
        let (server, task, port) = try await endpoint()
        for request in ["GARBAGE\r\n\r\n", "GET / HTTP/1.1 extra words\r\nHost: x\r\n\r\n", "\u{1}\u{2}\u{3} / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"] {
            let answer = try LoopbackClient.exchange(port: port, send: request)
            XCTAssertEqual(answer.components(separatedBy: "HTTP/1.1 400").count - 1, 1, "one 400 for \(request.debugDescription):\n\(answer)")
            XCTAssertFalse(answer.contains("200 OK"), answer)
        }
        let health = try LoopbackClient.http(port: port, path: "/health")
        XCTAssertEqual(health.status, 200, "the endpoint still answers")
        await server.close()
        task.cancel()
        await task.value
    }

    /// Case 6: idle clients beyond the limit push out the oldest idle ones; a real request
    /// is answered at once; silent clients are closed after the request timeout.
    func testIdleClientsCannotStarveTheEndpoint() async throws {
        let (server, task, port) = try await endpoint()
        var idle: [Int32] = []
        defer { idle.forEach { close($0) } }
        let clients = 2 * DescriptorBudget.listenerCapacity()
        for _ in 0..<clients {
            idle.append(try LoopbackClient.connect(port: port))
        }
        // Evidence that the crowd arrived: the listener holds as many as it may.
        let full = Wait.until(timeout: 10, every: 0.02) { server.slots.counts.open >= DescriptorBudget.listenerCapacity() }
        XCTAssertTrue(full, "the listener never filled its \(DescriptorBudget.listenerCapacity()) slots: \(server.slots.counts.open)")
        XCTAssertLessThanOrEqual(server.slots.counts.open, DescriptorBudget.listenerCapacity())
        // Answered while the crowd holds on (the client gives up after 5 s); the time is a
        // figure to read, not an assertion.
        let start = ContinuousClock.now
        let health = try LoopbackClient.http(port: port, path: "/health")
        let elapsed = ContinuousClock.now - start
        XCTAssertEqual(health.status, 200)
        print("/health with \(clients) idle clients connected: \(elapsed)")
        await server.close()
        task.cancel()
        await task.value
    }

    /// Case 6: a stop action that cannot be started is tried again, then the start action's
    /// process group is stopped with signals.
    func testAStopThatCannotStartIsRetriedThenTheStartGroupIsKilled() async throws {
        let started = StartedServiceGroup()
        let runner = ServiceActionRunner(node: "alpha", peer: "beta", startedService: started)
        let context = ServiceActionContext(role: .active, epoch: 3, event: nil, incident: nil, reason: "test")
        let directory = try TemporaryDirectory("stop")
        defer { directory.remove() }
        let pidFile = directory.file("service.pid")
        let start = await runner.run(.start, FailoverConfig.ActionCommand(
            command: "sleep 300 >/dev/null 2>&1 & echo $! > \(pidFile)", timeout: ConfigDuration(seconds: 5)), context: context)
        XCTAssertTrue(start.succeeded, start.summary)
        let pid = try XCTUnwrap(pid_t((try String(contentsOfFile: pidFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertEqual(kill(pid, 0), 0, "the service runs")

        var broken = runner
        broken.shell = "/nonexistent/sh"
        let stop = await broken.run(.stop, FailoverConfig.ActionCommand(command: "true", timeout: ConfigDuration(seconds: 3)), context: context)
        guard case .notStarted = stop.termination else { return XCTFail("the stop could not start: \(stop.summary)") }
        XCTAssertTrue(stop.summary.contains("(\(StopEscalation.attempts) tries)"), stop.summary)
        XCTAssertTrue(stop.summary.contains("SIGTERM ended the start action's process group"), stop.summary)
        XCTAssertFalse(stop.succeeded, "still a failure: only the stop command can say the service is stopped")
        // Gone, or a zombie that this container's init has not reaped yet.
        let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))
            .flatMap { $0.split(separator: ")").last?.split(separator: " ").first }
        XCTAssertTrue(state == nil || state == "Z", "the service's process is gone (state \(state.map(String.init) ?? "none"))")
    }
}
