import Foundation
import VacataireChecks
import VacataireCore
import VacataireTestSupport
import XCTest

final class ExecCheckTests: XCTestCase {
    private static let plugins = "/usr/lib/nagios/plugins"

    /// The path of a Debian monitoring plugin; fails the test, saying what to install, when absent.
    private func plugin(_ name: String) throws -> String {
        let path = "\(Self.plugins)/\(name)"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            XCTFail("\(path) is missing: apt-get install monitoring-plugins-basic")
            throw CheckFixtureError("missing \(path)")
        }
        return path
    }

    /// Kills the hang script's child if it is still there, so a failing test leaves nothing behind.
    private func killLeftover(_ pidFile: String) {
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
           let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 {
            _ = kill(pid, SIGKILL)
        }
    }

    private func run(_ command: [String], timeout: Duration = .seconds(5), onTimeout: ExecTimeoutStatus = .critical) async -> CheckResult {
        await ExecCheck(ExecCheckSettings(command: command, onTimeout: onTimeout)).run(timeout: timeout)
    }

    func testCheckDummyExitCodesMapToStatuses() async throws {
        let dummy = try plugin("check_dummy")
        for (code, status) in [("0", CheckStatus.ok), ("1", .warning), ("2", .critical), ("3", .unknown)] {
            let result = await run([dummy, code, "from the test"])
            XCTAssertEqual(result.status, status, result.message)
            XCTAssertTrue(result.message.hasSuffix(": from the test"), result.message)
        }
    }

    func testCheckTCPAgainstARealServerAndARefusedPort() async throws {
        let checkTCP = try plugin("check_tcp")
        let server = try HTTPFixtureServer()
        defer { server.stop() }
        let open = await run([checkTCP, "-H", "127.0.0.1", "-p", "\(server.port)"])
        XCTAssertEqual(open.status, .ok, open.message)
        XCTAssertTrue(open.message.hasPrefix("TCP OK"), open.message)
        XCTAssertEqual(open.perfdata.first?.label, "time")
        XCTAssertEqual(open.perfdata.first?.unit, "s")
        let refused = await run([checkTCP, "-H", "127.0.0.1", "-p", "\(try CheckFixtures.refusedPort())"])
        XCTAssertEqual(refused.status, .critical, refused.message)
    }

    func testHangingScriptIsKilledWithItsProcessGroup() async throws {
        let scratch = try CheckScratchDirectory("exec")
        defer { scratch.remove() }
        let childFile = scratch.file("child.pid")
        defer { killLeftover(childFile) }
        let result = await run([CheckFixtures.path("hang.sh"), childFile], timeout: .seconds(1))
        XCTAssertEqual(result.status, .critical)
        XCTAssertTrue(result.message.contains("timed out after 1s"), result.message)
        let childPid = try String(contentsOfFile: childFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(childPid.isEmpty)
        // The script's own child (sleep 300) must be gone too: absent, or a zombie waiting for init.
        var alive = true
        for _ in 0..<50 {
            let stat = try? String(contentsOfFile: "/proc/\(childPid)/stat", encoding: .utf8)
            alive = stat.map { !$0.contains(") Z") && !$0.contains(") X") } ?? false
            if !alive { break }
            usleep(20_000)
        }
        XCTAssertFalse(alive, "the hanging script's child \(childPid) survived the timeout")
    }

    func testTimeoutCanCountAsUnknown() async throws {
        let scratch = try CheckScratchDirectory("exec")
        defer { scratch.remove() }
        defer { killLeftover(scratch.file("child.pid")) }
        let result = await run([CheckFixtures.path("hang.sh"), scratch.file("child.pid")], timeout: .milliseconds(500), onTimeout: .unknown)
        XCTAssertEqual(result.status, .unknown, result.message)
    }

    func testLongOutputWithPerfdata() async {
        let result = await run([CheckFixtures.path("multiline.sh")])
        XCTAssertEqual(result.status, .warning)
        XCTAssertEqual(result.message, "DISK WARNING - free space: / 3326 MB (56%);")
        XCTAssertEqual(result.perfdata.map(\.label), ["/", "/boot", "/home"])
        XCTAssertTrue(result.details.contains("/boot 68 MB"), result.details)
    }

    func testExitCodeOutsideTheAPIIsUnknown() async {
        let result = await run([CheckFixtures.path("exit7.sh")])
        XCTAssertEqual(result.status, .unknown)
        XCTAssertEqual(result.message, "something odd (exit code 7)")
    }

    func testMissingPluginIsUnknown() async {
        let byPath = await run(["/nonexistent/check_nothing"])
        XCTAssertEqual(byPath.status, .unknown, byPath.message)
        let byName = await run(["check_nothing_\(UInt32.random(in: 1000...9999))"])
        XCTAssertEqual(byName.status, .unknown, byName.message)
    }
}
