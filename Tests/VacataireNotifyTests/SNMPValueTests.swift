@testable import VacataireNotify
import XCTest

/// Values sent as the MIB's DisplayStrings: at most 255 octets, never half a character.
final class SNMPValueTests: XCTestCase {
    func testShortTextIsSentWhole() {
        XCTAssertEqual(SNMPChannel.displayStringBytes("web-1 failed"), Array("web-1 failed".utf8))
    }

    func testLongTextIsCutAtACharacterBoundary() {
        let text = String(repeating: "é", count: 200)  // 400 bytes of UTF-8
        let bytes = SNMPChannel.displayStringBytes(text)
        XCTAssertEqual(bytes.count, 254, "127 two-byte characters fit in 255 octets")
        XCTAssertEqual(String(validating: bytes, as: UTF8.self), String(repeating: "é", count: 127))
    }
}
