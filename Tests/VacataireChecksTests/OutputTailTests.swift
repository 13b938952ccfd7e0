import VacataireChecks
import XCTest

/// The tail of a command's output: the last lines within a byte limit, valid UTF-8.
final class OutputTailTests: XCTestCase {
    func testKeepsTheLastTwentyLines() {
        var tail = OutputTail()
        for line in 1...100 { tail.append(Array("line \(line)\n".utf8)) }
        XCTAssertEqual(tail.text, (81...100).map { "line \($0)\n" }.joined())
        XCTAssertEqual(tail.totalBytes, (1...100).map { "line \($0)\n".utf8.count }.reduce(0, +))
    }

    func testACutCharacterIsDroppedAndTheTextIsValidUTF8() {
        var tail = OutputTail()
        tail.append(Array(String(repeating: "é", count: 3001).utf8).dropFirst().map { $0 })
        let text = tail.text
        XCTAssertLessThanOrEqual(text.utf8.count, OutputTail.defaultByteLimit)
        XCTAssertFalse(text.contains("\u{FFFD}"), "no replacement character for a cut é")
        XCTAssertTrue(text.allSatisfy { $0 == "é" })
    }

    func testInvalidBytesBecomeReplacementCharacters() {
        var tail = OutputTail()
        tail.append([0x6F, 0x6B, 0xFF, 0x0A])
        XCTAssertEqual(tail.text, "ok\u{FFFD}\n")
    }

    func testMemoryStaysBoundedAcrossSmallAppends() {
        var tail = OutputTail()
        for _ in 0..<100_000 { tail.append(Array("x".utf8)) }
        XCTAssertEqual(tail.totalBytes, 100_000)
        XCTAssertEqual(tail.text.utf8.count, OutputTail.defaultByteLimit)
    }
}
