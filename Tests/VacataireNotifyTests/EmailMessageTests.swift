import Foundation
import VacataireCore
@testable import VacataireNotify
import XCTest

final class EmailMessageTests: XCTestCase {
    private func message(subject: String = "hello", body: String = "line one\nline two\n") -> EmailMessage {
        EmailMessage(
            from: EmailAddress(address: "vacataire@example.org"),
            to: [EmailAddress(address: "a@example.org"), EmailAddress(address: "b@example.org")],
            subject: subject, body: body, date: Date(timeIntervalSince1970: 1_800_000_000),
            messageID: "m1@alpha.pair.vacataire", threadID: "first@alpha.pair.vacataire",
            extraHeaders: [("X-Vacataire-Event", "failover")]
        )
    }

    func testHeadersAreRFC5322WithCRLF() {
        let raw = message().rendered
        let head = raw.components(separatedBy: "\r\n\r\n")[0]
        XCTAssertTrue(head.contains("From: vacataire@example.org\r\n"))
        XCTAssertTrue(head.contains("To: a@example.org, b@example.org\r\n"))
        XCTAssertTrue(head.contains("Date: Fri, 15 Jan 2027 08:00:00 +0000\r\n"), head)
        XCTAssertTrue(head.contains("Message-ID: <m1@alpha.pair.vacataire>\r\n"))
        XCTAssertTrue(head.contains("In-Reply-To: <first@alpha.pair.vacataire>\r\n"))
        XCTAssertTrue(head.contains("References: <first@alpha.pair.vacataire>\r\n"))
        XCTAssertTrue(head.contains("Auto-Submitted: auto-generated\r\n"))
        XCTAssertTrue(head.contains("Content-Type: text/plain; charset=utf-8\r\n"))
        XCTAssertTrue(raw.hasSuffix("line one\r\nline two\r\n"))
        XCTAssertFalse(raw.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "a bare LF in \(raw)")
    }

    func testNonASCIISubjectIsEncodedAndBodyIsBase64() throws {
        let raw = message(subject: "Bascule réussie sur nœud — ok", body: "Été\n").rendered
        let subjectLine = try XCTUnwrap(raw.components(separatedBy: "\r\n").first { $0.hasPrefix("Subject:") })
        XCTAssertTrue(subjectLine.hasPrefix("Subject: =?utf-8?b?"), subjectLine)
        XCTAssertTrue(raw.contains("Content-Transfer-Encoding: base64"))
        let encoded = raw.components(separatedBy: "\r\n\r\n")[1].replacingOccurrences(of: "\r\n", with: "")
        XCTAssertEqual(Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) }, "Été\r\n")
    }

    func testHeaderValuesCannotInjectHeaders() {
        let raw = message(subject: "ok\r\nBcc: victim@example.org\nX-Evil: 1").rendered
        let head = raw.components(separatedBy: "\r\n\r\n")[0]
        XCTAssertFalse(head.components(separatedBy: "\r\n").contains { $0.hasPrefix("Bcc:") || $0.hasPrefix("X-Evil:") }, head)
    }

    func testALineLongerThanSMTPAllowsGoesAsBase64InShortLines() throws {
        let long = String(repeating: "dropped 10454 events; ", count: 200)
        let raw = message(body: "digest\n\(long)\nend\n").rendered
        XCTAssertTrue(raw.contains("Content-Transfer-Encoding: base64\r\n"))
        XCTAssertLessThanOrEqual(raw.components(separatedBy: "\r\n").map(\.utf8.count).max() ?? 0, 998)
        let encoded = raw.components(separatedBy: "\r\n\r\n")[1].replacingOccurrences(of: "\r\n", with: "")
        XCTAssertEqual(Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) }, "digest\r\n\(long)\r\nend\r\n")
    }

    func testALineOfExactly998OctetsStaysPlain() {
        let raw = message(body: String(repeating: "a", count: 998) + "\n").rendered
        XCTAssertTrue(raw.contains("Content-Transfer-Encoding: 7bit\r\n"))
        XCTAssertFalse(message(body: String(repeating: "a", count: 999)).rendered.contains("7bit"))
    }

    func testAnOverlongSubjectIsFoldedIntoEncodedWords() throws {
        let subject = String(repeating: "check web flapping ", count: 80)
        let raw = message(subject: subject).rendered
        let head = raw.components(separatedBy: "\r\n\r\n")[0]
        XCTAssertLessThanOrEqual(head.components(separatedBy: "\r\n").map(\.utf8.count).max() ?? 0, 998)
        let words = head.components(separatedBy: "\r\n").drop { !$0.hasPrefix("Subject:") }
            .prefix { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") }
            .map { $0.replacingOccurrences(of: "Subject: ", with: "").trimmingCharacters(in: .whitespaces) }
        let decoded = try words.map { word -> String in
            let payload = String(word.dropFirst("=?utf-8?b?".count).dropLast("?=".count))
            return try XCTUnwrap(Data(base64Encoded: payload).map { String(decoding: $0, as: UTF8.self) })
        }
        XCTAssertEqual(decoded.joined(), subject)
    }
}
