import VacataireChecks
import VacataireCore
import VacataireTestSupport
import XCTest

final class MemoryCheckTests: XCTestCase {
    /// Runs the check against `Tests/Fixtures/checks/meminfo/<fixture>/meminfo`.
    private func run(_ fixture: String, available: Double = 10, swap: Double = 10) async -> CheckResult {
        let settings = MemoryCheckSettings(
            minAvailablePercent: available, minSwapFreePercent: swap, procRoot: CheckFixtures.path("meminfo/\(fixture)")
        )
        return await MemoryCheck(settings).run(timeout: .seconds(5))
    }

    func testAboveThresholds() async {
        let result = await run("ok")
        XCTAssertEqual(result.status, .ok, result.message)
        XCTAssertEqual(result.message, "50% memory available (488 of 976 MiB), 75% swap free")
        XCTAssertEqual(result.perfdata.map(\.label), ["mem_available", "swap_free"])
    }

    func testExactlyAtThresholdsPasses() async {
        let result = await run("at-threshold")
        XCTAssertEqual(result.status, .ok, result.message)
    }

    func testJustBelowAvailableThresholdFails() async {
        let result = await run("low-available")
        XCTAssertEqual(result.status, .critical)
        XCTAssertTrue(result.message.contains("memory available 9.9% is below 10%"), result.message)
    }

    func testLowSwapFails() async {
        let result = await run("low-swap")
        XCTAssertEqual(result.status, .critical)
        XCTAssertEqual(result.message, "swap free 5% is below 10%")
    }

    func testNoSwapPassesTheSwapTestAndSaysSo() async {
        let result = await run("no-swap", swap: 50)
        XCTAssertEqual(result.status, .ok, result.message)
        XCTAssertTrue(result.message.hasSuffix("no swap"), result.message)
        XCTAssertEqual(result.perfdata.map(\.label), ["mem_available"])
    }

    func testOldKernelWithoutMemAvailableIsUnknown() async {
        let result = await run("no-available")
        XCTAssertEqual(result.status, .unknown)
        XCTAssertTrue(result.message.contains("MemAvailable"), result.message)
    }

    func testMissingFileIsUnknown() async {
        let result = await run("nonexistent")
        XCTAssertEqual(result.status, .unknown)
        XCTAssertTrue(result.message.contains("cannot read"), result.message)
    }

    func testTheRealProcMeminfoParses() async throws {
        let text = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        let info = try MemInfo.parse(text).get()
        XCTAssertGreaterThan(info.memTotal, 0)
        XCTAssertLessThanOrEqual(info.memAvailable, info.memTotal)
        let result = await MemoryCheck(MemoryCheckSettings(minAvailablePercent: 0, minSwapFreePercent: 0)).run(timeout: .seconds(5))
        XCTAssertEqual(result.status, .ok, result.message)
    }
}
