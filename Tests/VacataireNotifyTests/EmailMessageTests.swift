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
}
