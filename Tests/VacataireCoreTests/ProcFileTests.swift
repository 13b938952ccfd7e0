import Foundation
import VacataireCore
import XCTest

/// Procfs files say they are empty; `ProcFile` reads them to the end all the same.
final class ProcFileTests: XCTestCase {
    func testAProcFileLongerThanAPageIsReadWhole() throws {
        let maps = try XCTUnwrap(ProcFile.read("/proc/self/maps"))
        XCTAssertGreaterThan(maps.utf8.count, 4096, "this test process maps more than a page of lines")
        XCTAssertTrue(maps.hasSuffix("\n"), "the last line was cut")
        // The stack and the vDSO come after every file this process maps.
        XCTAssertTrue(maps.contains("[stack]"), "the maps stop before the stack: \(maps.suffix(200))")
    }

    func testAFileThatIsNotThereIsNil() {
        XCTAssertNil(ProcFile.read("/proc/self/no-such-file"))
        XCTAssertNil(ProcFile.read("/proc/999999999/stat"))
    }
}
