import Foundation
import VacataireChecks
import VacataireCore
import VacataireTestSupport
import XCTest

final class ProcessCheckTests: XCTestCase {
    private var scratch: CheckScratchDirectory!
    private var child: Process?
    /// A name no other process on the machine has: a copy of sleep under it.
    private var uniqueName = ""

    override func setUpWithError() throws {
        scratch = try CheckScratchDirectory("process")
        uniqueName = "vchk\(UInt32.random(in: 100_000...999_999))"
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: scratch.file(uniqueName))
    }

    override func tearDown() {
        if let child, child.isRunning {
            kill(child)
        }
        scratch?.remove()
    }

    private func startChild(arguments: [String] = ["300"]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: scratch.file(uniqueName))
        process.arguments = arguments
        try process.run()
        child = process
        // The exec has happened once /proc shows the new name.
        for _ in 0..<100 {
            let comm = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/comm", encoding: .utf8)
            if comm?.hasPrefix(uniqueName) == true { break }
            usleep(20_000)
        }
        return process
    }

    /// SIGKILL, since a child started from a test thread may inherit a mask that blocks SIGTERM.
    private func kill(_ process: Process) {
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    private func run(_ match: ProcessCheckSettings.Match, minimum: Int = 1) async -> CheckResult {
        await ProcessCheck(ProcessCheckSettings(match: match, minimum: minimum)).run(timeout: .seconds(5))
    }

    func testFoundByNameThenGoneAfterKill() async throws {
        let process = try startChild()
        let found = await run(.name(uniqueName))
        XCTAssertEqual(found.status, .ok, found.message)
        XCTAssertTrue(found.message.contains("\(process.processIdentifier)"), found.message)
        let tooFew = await run(.name(uniqueName), minimum: 2)
        XCTAssertEqual(tooFew.status, .critical)
        XCTAssertTrue(tooFew.message.contains("expected at least 2"), tooFew.message)
        kill(process)
        let gone = await run(.name(uniqueName))
        XCTAssertEqual(gone.status, .critical, gone.message)
        XCTAssertTrue(gone.message.contains("found 0"), gone.message)
    }

    func testFoundByCommandLinePatternThenGoneAfterKill() async throws {
        let process = try startChild()
        let pattern = "\(uniqueName) 30+$"
        let found = await run(.commandLine(pattern))
        XCTAssertEqual(found.status, .ok, found.message)
        XCTAssertEqual(found.perfdata.first?.value, 1)
        kill(process)
        let gone = await run(.commandLine(pattern))
        XCTAssertEqual(gone.status, .critical, gone.message)
    }

    /// A command line longer than a page (a JVM's class path, say), matched by its last
    /// argument.
    func testALongCommandLineIsMatchedByItsEnd() async throws {
        let process = try startChild(arguments: ["300"] + Array(repeating: "0", count: 3_000) + ["1"])
        let found = await run(.commandLine("\(uniqueName) 300( 0)+ 1$"))
        XCTAssertEqual(found.status, .ok, found.message)
        kill(process)
    }

    func testFoundByPidfileThenStaleAfterKill() async throws {
        let process = try startChild()
        let pidfile = scratch.file("app.pid")
        try "\(process.processIdentifier)\n".write(toFile: pidfile, atomically: true, encoding: .utf8)
        let alive = await run(.pidfile(pidfile))
        XCTAssertEqual(alive.status, .ok, alive.message)
        kill(process)
        let stale = await run(.pidfile(pidfile))
        XCTAssertEqual(stale.status, .critical)
        XCTAssertTrue(stale.message.contains("stale pidfile"), stale.message)
    }

    func testMissingOrEmptyPidfile() async throws {
        let missing = await run(.pidfile(scratch.file("none.pid")))
        XCTAssertEqual(missing.status, .critical)
        XCTAssertTrue(missing.message.contains("cannot read pidfile"), missing.message)
        try "garbage".write(toFile: scratch.file("bad.pid"), atomically: true, encoding: .utf8)
        let garbage = await run(.pidfile(scratch.file("bad.pid")))
        XCTAssertEqual(garbage.status, .critical)
        XCTAssertTrue(garbage.message.contains("holds no pid"), garbage.message)
    }
}
