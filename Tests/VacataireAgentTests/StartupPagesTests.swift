import Foundation
import XCTest

@testable import VacataireAgent
import VacataireCore

/// The release of the pages only the start used (`StartupPages`): which mappings it
/// advises, and that advising them leaves a running process whole.
final class StartupPagesTests: XCTestCase {
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

    /// This test process pages out its own code and libraries, then goes on using them.
    func testReleasingThePagesOfARunningProcessKeepsItWhole() throws {
        let maps = try XCTUnwrap(ProcFile.read("/proc/self/maps"))
        let mapped = maps.split(separator: "\n").compactMap(StartupPages.privateFileMapping).reduce(0) { $0 + $1.range.count }
        let release = try XCTUnwrap(StartupPages.release(), "/proc/self/maps could not be read")
        // Every mapping, the shared libraries listed after the first 4 KiB of the maps too.
        XCTAssertEqual(release.pagedOutBytes, mapped)
        XCTAssertGreaterThan(release.pagedOutBytes, 0, "no private file mapping was advised")
        XCTAssertGreaterThan(release.unmappedBytes, 0, "no read-only page was unmapped")
        XCTAssertNotNil(release.residentBefore)
        XCTAssertNotNil(release.residentAfter)
        // The code just paged out runs again, from the page cache.
        let again = try XCTUnwrap(StartupPages.release())
        XCTAssertGreaterThan(again.pagedOutBytes, 0)
        let text = try JSONEncoder().encode(["node": "alpha"])
        XCTAssertEqual(String(decoding: text, as: UTF8.self), #"{"node":"alpha"}"#)
    }
}
