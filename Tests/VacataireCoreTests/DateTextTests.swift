import Foundation
import VacataireCore
import XCTest

final class DateTextTests: XCTestCase {
    /// 2026-11-27 23:14:09.75 UTC, a Friday.
    private let friday = Date(timeIntervalSince1970: 1_795_821_249.75)

    func testTheEmailDateHeaderIsRFC5322InUTCWithEnglishNames() {
        XCTAssertEqual(DateText.rfc5322(friday), "Fri, 27 Nov 2026 23:14:09 +0000")
        XCTAssertEqual(DateText.rfc5322(Date(timeIntervalSince1970: 0)), "Thu, 01 Jan 1970 00:00:00 +0000")
    }

    func testLocalTimeFollowsTheMachinesZoneWithItsAbbreviation() {
        let saved = ProcessInfo.processInfo.environment["TZ"]
        defer {
            if let saved { setenv("TZ", saved, 1) } else { unsetenv("TZ") }
            tzset()
        }
        setenv("TZ", "Europe/Paris", 1)
        XCTAssertEqual(DateText.local(friday), "2026-11-28 00:14:09 CET")
        XCTAssertEqual(DateText.local(Date(timeIntervalSince1970: 1_782_000_000)), "2026-06-21 02:00:00 CEST")
        XCTAssertEqual(DateText.local(friday, withZone: false), "2026-11-28 00:14:09")
        setenv("TZ", "UTC", 1)
        XCTAssertEqual(DateText.local(friday), "2026-11-27 23:14:09 UTC")
    }

    func testTheStoredTextIsUTCToTheMillisecond() {
        XCTAssertEqual(DateText.stored(friday), "2026-11-27 23:14:09.750")
        XCTAssertEqual(DateText.stored(Date(timeIntervalSince1970: 0.125)), "1970-01-01 00:00:00.125")
        XCTAssertEqual(DateText.stored(Date(timeIntervalSince1970: 60.0625)), "1970-01-01 00:01:00.062", "rounded down")
    }

    func testADateBeyondTheYear9999IsWrittenAsItsLastSecondAndNeverTraps() {
        let huge = Date(timeIntervalSince1970: 1e300)
        XCTAssertEqual(DateText.rfc5322(huge), "Fri, 31 Dec 9999 23:59:59 +0000")
        XCTAssertEqual(DateText.stored(huge), "9999-12-31 23:59:59.999")
        XCTAssertTrue(DateText.rfc5322(Date(timeIntervalSince1970: -1e300)).hasPrefix("Mon, 01 Jan "))
        XCTAssertFalse(DateText.local(huge).isEmpty)
    }

    func testISO8601IsUTCToTheSecond() {
        XCTAssertEqual(DateText.iso8601(friday), "2026-11-27T23:14:09Z")
    }
}
