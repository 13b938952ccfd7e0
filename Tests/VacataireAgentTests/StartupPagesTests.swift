import Foundation
import XCTest

@testable import VacataireAgent

/// The release of the pages only the start used (`StartupPages`): which mappings it
/// advises, and that advising them leaves a running process whole.
final class StartupPagesTests: XCTestCase {
    func testOnlyPrivateMappingsOfFilesAreAdvised() {
        let executable = StartupPages.privateFileMapping("5581a0e00000-5581a2400000 r-xp 00000000 08:01 1234   /usr/bin/vacataire")
        XCTAssertEqual(executable, 0x5581_a0e0_0000..<0x5581_a240_0000)
        let relocated = StartupPages.privateFileMapping("7f10c0000000-7f10c0010000 rw-p 0023f000 08:01 99 /usr/lib/x86_64-linux-gnu/libcrypto.so.3")
        XCTAssertEqual(relocated?.count, 0x10000)
        XCTAssertNil(StartupPages.privateFileMapping("7f10c0000000-7f10c0008000 rw-s 00000000 08:01 77 /var/lib/vacataire/vacataire.db-shm"),
                     "a shared mapping (SQLite's -shm) would be written back, not dropped")
        XCTAssertNil(StartupPages.privateFileMapping("5581a3000000-5581a3400000 rw-p 00000000 00:00 0 [heap]"))
        XCTAssertNil(StartupPages.privateFileMapping("7ffd1e000000-7ffd1e002000 r-xp 00000000 00:00 0 [vdso]"))
        XCTAssertNil(StartupPages.privateFileMapping("7f10c0000000-7f10c0100000 rw-p 00000000 00:00 0"))
        XCTAssertNil(StartupPages.privateFileMapping("7f10c0100000-7f10c0000000 r--p 00000000 08:01 5 /usr/lib/libc.so.6"), "an empty range")
        XCTAssertNil(StartupPages.privateFileMapping("garbage"))
    }

    /// This test process pages out its own code and libraries, then goes on using them.
    func testReleasingThePagesOfARunningProcessKeepsItWhole() throws {
        let release = try XCTUnwrap(StartupPages.release(), "/proc/self/maps could not be read")
        XCTAssertGreaterThan(release.advisedBytes, 0, "no private file mapping was advised")
        XCTAssertNotNil(release.residentBefore)
        XCTAssertNotNil(release.residentAfter)
        // The code just paged out runs again, from the page cache.
        let again = try XCTUnwrap(StartupPages.release())
        XCTAssertGreaterThan(again.advisedBytes, 0)
        let text = try JSONEncoder().encode(["node": "alpha"])
        XCTAssertEqual(String(decoding: text, as: UTF8.self), #"{"node":"alpha"}"#)
    }
}
