import Foundation
import XCTest

@testable import VacataireAgent
import VacataireCore
import VacataireTestSupport

/// The release of the pages only the start used (`StartupPages`): which mappings it
/// advises, and that advising them leaves a running process whole.
final class StartupPagesTests: XCTestCase {
    /// The start's release comes `settleTime` after the start whatever happens; then one
    /// every `releaseInterval`, or `quietTime` after an incident's last step if sooner.
    func testPagesAreReleasedOnceSettledThenAfterEachIncidentIsQuiet() {
        let start = MonotonicInstant(nanoseconds: 1_000_000_000)
        var schedule = StartupPages.Schedule(started: start)
        XCTAssertTrue(schedule.isFirst)
        schedule.activity(at: start + .seconds(2))  // the start's own transitions
        XCTAssertEqual(schedule.due, start + .seconds(10))

        let first = start + .seconds(10)
        schedule.released(at: first)
        XCTAssertFalse(schedule.isFirst)
        XCTAssertEqual(schedule.due, first + .seconds(600), "quiet: the periodic release")

        schedule.activity(at: first + .seconds(100))  // a take-over
        XCTAssertEqual(schedule.due, first + .seconds(130))
        schedule.activity(at: first + .seconds(120))  // its page delivered: the wait starts again
        XCTAssertEqual(schedule.due, first + .seconds(150))
        schedule.released(at: first + .seconds(150))
        XCTAssertEqual(schedule.due, first + .seconds(750), "the incident over, quiet again")

        schedule.activity(at: first + .seconds(740))  // close to the periodic one: it comes first
        XCTAssertEqual(schedule.due, first + .seconds(750))
    }

    func testOnlyPrivateMappingsOfFilesAreAdvised() {
        let executable = StartupPages.privateFileMapping("5581a0e00000-5581a2400000 r-xp 00000000 08:01 1234   /usr/bin/vacataire")
        XCTAssertEqual(executable, .init(range: 0x5581_a0e0_0000..<0x5581_a240_0000, writable: false))
        let relocated = StartupPages.privateFileMapping("7f10c0000000-7f10c0010000 rw-p 0023f000 08:01 99 /usr/lib/x86_64-linux-gnu/libcrypto.so.3")
        XCTAssertEqual(relocated, .init(range: 0x7f10_c000_0000..<0x7f10_c001_0000, writable: true))
        XCTAssertNil(StartupPages.privateFileMapping("7f10c0000000-7f10c0008000 rw-s 00000000 08:01 77 /var/lib/vacataire/vacataire.db-shm"),
                     "a shared mapping (SQLite's -shm) would be written back, not dropped")
        XCTAssertNil(StartupPages.privateFileMapping("5581a3000000-5581a3400000 rw-p 00000000 00:00 0 [heap]"))
        XCTAssertNil(StartupPages.privateFileMapping("7ffd1e000000-7ffd1e002000 r-xp 00000000 00:00 0 [vdso]"))
        XCTAssertNil(StartupPages.privateFileMapping("7f10c0000000-7f10c0100000 rw-p 00000000 00:00 0"))
        XCTAssertNil(StartupPages.privateFileMapping("7f10c0100000-7f10c0000000 r--p 00000000 08:01 5 /usr/lib/libc.so.6"), "an empty range")
        XCTAssertNil(StartupPages.privateFileMapping("garbage"))
    }

    /// A read-only private mapping of a file with one page written before it was made
    /// read-only, as the loader writes relocations before `mprotect`: the release unmaps
    /// the file's pages and keeps the written copy, which no file holds.
    func testThePrivateCopyOfAReadOnlyMappingIsKept() throws {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("startup-pages-\(getpid()).bin")
        try Data(repeating: UInt8(ascii: "a"), count: 4 * pageSize).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let descriptor = open(file.path, O_RDONLY)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        defer { close(descriptor) }
        let mapped = mmap(nil, 4 * pageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE, descriptor, 0)
        let base = try XCTUnwrap(mapped == MAP_FAILED ? nil : mapped)
        defer { munmap(base, 4 * pageSize) }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        XCTAssertEqual(bytes[0] &+ bytes[pageSize] &+ bytes[3 * pageSize], 3 &* UInt8(ascii: "a"), "the file's pages read in")
        bytes[2 * pageSize] = UInt8(ascii: "b")
        XCTAssertEqual(mprotect(base, 4 * pageSize, PROT_READ), 0)

        let low = UInt(bitPattern: base)
        let pagemap = open("/proc/self/pagemap", O_RDONLY)
        XCTAssertGreaterThanOrEqual(pagemap, 0)
        defer { close(pagemap) }
        let page = UInt(pageSize)
        XCTAssertEqual(StartupPages.filePageRuns(of: low..<low + 4 * page, pagemap: pagemap),
                       [low..<low + 2 * page, low + 3 * page..<low + 4 * page], "the written page splits the runs")

        let release = try XCTUnwrap(StartupPages.release())
        XCTAssertGreaterThanOrEqual(release.unmappedBytes, 3 * pageSize)
        XCTAssertEqual(bytes[2 * pageSize], UInt8(ascii: "b"), "the private copy was dropped")
        XCTAssertEqual(bytes[0], UInt8(ascii: "a"))
        XCTAssertEqual(bytes[3 * pageSize], UInt8(ascii: "a"))
    }

    /// This test process unmaps its own code and libraries' read-only pages, then goes on
    /// using them (mapped again from the page cache).
    func testReleasingThePagesOfARunningProcessKeepsItWhole() throws {
        let release = try XCTUnwrap(StartupPages.release(), "/proc/self/maps or pagemap could not be read")
        XCTAssertGreaterThan(release.unmappedBytes, 0, "no read-only page was unmapped")
        XCTAssertNotNil(release.residentBefore)
        XCTAssertNotNil(release.residentAfter)
        // The code just unmapped runs again.
        let again = try XCTUnwrap(StartupPages.release())
        XCTAssertGreaterThan(again.unmappedBytes, 0)
        let text = try JSONEncoder().encode(["node": "alpha"])
        XCTAssertEqual(String(decoding: text, as: UTF8.self), #"{"node":"alpha"}"#)
    }
}

/// The release in a running pair, on a disk kept busy: it unmaps pages that stay in the page
/// cache, so nothing it does waits for the disk, and a 100 ms check never times out for it.
final class StartupPagesUnderLoadTests: XCTestCase {
    private var pair: PairFixture?
    private var writer: Process?

    override func tearDown() {
        writer?.terminate()
        writer = nil
        pair?.tearDown()
        pair = nil
    }

    func testTheReleaseOnABusyDiskDelaysNoCheck() async throws {
        let pair = try PairFixture(checks: """
              - name: page
                kind: http
                url: http://127.0.0.1:SERVICEPORT/
                expect_status: 200
                interval: 100ms
                timeout: 100ms
                rise: 1
                fall: 1
            """)
        self.pair = pair
        // Heavy I/O on the disk that holds the agents' state and files: synced writes of
        // 64 MiB, again and again.
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", "while :; do dd if=/dev/zero of=\(pair.directory.file("io")) bs=1M count=64 conv=fsync status=none; done"]
        try writer.run()
        self.writer = writer
        try await pair.startPair()
        let started = Date()
        try await pair.waitUntil("both agents released their start's pages", timeout: 30) {
            pair.log(.alpha).contains("released the pages") && pair.log(.beta).contains("released the pages")
        }
        try await Task.sleep(for: .seconds(3))  // the pages used again come back from the page cache
        writer.terminate()
        let log = pair.log(.alpha)
        let released = log.split(separator: "\n").first { $0.contains("released the pages") } ?? ""
        print("[pages] \(String(format: "%.1f", Date().timeIntervalSince(started))) s on a busy disk; alpha: \(released)")
        let failures = log.split(separator: "\n").filter { $0.contains("check page") && $0.contains("-> failing") }
        XCTAssertEqual(failures, [], "the 100 ms check failed around the release:\n\(log)")
        XCTAssertFalse(pair.transitions(.alpha).contains { $0.contains("handing-off") }, "a handoff:\n\(pair.logs)")
        let serving = await pair.serving(.alpha)
        XCTAssertTrue(serving, pair.logs)
    }
}
