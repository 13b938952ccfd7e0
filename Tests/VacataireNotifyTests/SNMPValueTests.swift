@testable import VacataireNotify
import XCTest

/// Values sent as the MIB's DisplayStrings: at most 255 octets, never half a character.
final class SNMPValueTests: XCTestCase {
    func testShortTextIsSentWhole() {
        XCTAssertEqual(SNMPChannel.displayStringBytes("web-1 failed"), Array("web-1 failed".utf8))
    }

    func testLongTextIsCutAtACharacterBoundaryAndEndsWithAMark() {
        let text = String(repeating: "é", count: 200)  // 400 bytes of UTF-8
        let bytes = SNMPChannel.displayStringBytes(text)
        XCTAssertEqual(bytes.count, 255, "126 two-byte characters and the three-byte mark fit in 255 octets")
        XCTAssertEqual(String(validating: bytes, as: UTF8.self), String(repeating: "é", count: 126) + "…")
        XCTAssertEqual(SNMPChannel.displayStringBytes(String(repeating: "a", count: 255)).count, 255, "255 octets are whole")
        XCTAssertEqual(String(validating: SNMPChannel.displayStringBytes(String(repeating: "a", count: 256)), as: UTF8.self),
                       String(repeating: "a", count: 252) + "…")
    }
}
