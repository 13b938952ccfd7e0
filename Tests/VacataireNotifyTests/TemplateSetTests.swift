import Foundation
import VacataireCore
import VacataireNotify
import VacataireTestSupport
import XCTest

final class TemplateSetTests: XCTestCase {
    private let defaults = Repository.path("Templates")

    private func sample(_ kind: EventKind) -> NotifiableEvent {
        NotifiableEvent(
            kind: kind, node: "alpha", cluster: "web-pair", peer: "beta", incidentID: "INC-7",
            oldRole: "active", newRole: "failed", reason: "check web-content failed 3 times",
            checks: [.init(name: "web-content", status: "CRITICAL", output: "expected 1234 bytes, got 512 & <less>")],
            time: Date(timeIntervalSince1970: 1_800_000_000), ackAuthor: "marie", ackComment: "on it",
            suppressedCount: 2, suppressedSummary: "check-failed web-content x2"
        )
    }

    func testEveryDefaultRendersForEveryEventKind() throws {
        let templates = try TemplateSet(defaults: defaults, overrides: nil)
        for kind in EventKind.allCases {
            let rendered = templates.render(sample(kind))
            XCTAssertTrue(rendered.subject.hasPrefix("[web-pair] "), "\(kind): \(rendered.subject)")
            XCTAssertFalse(rendered.subject.contains("\n"))
            XCTAssertTrue(rendered.body.contains("Reason:    check web-content failed 3 times"), "\(kind): \(rendered.body)")
            XCTAssertTrue(rendered.body.contains("Incident:  INC-7"))
            XCTAssertTrue(rendered.body.contains("web-content: CRITICAL - expected 1234 bytes, got 512 & <less>"), "not plain text: \(rendered.body)")
            XCTAssertTrue(rendered.body.contains("2 more events were suppressed: check-failed web-content x2"))
            XCTAssertTrue(rendered.snmp.contains("alpha \(kind.rawValue)"), rendered.snmp)
            XCTAssertFalse(rendered.body.contains("{{"), rendered.body)
        }
    }

    func testOverrideDirectoryWinsFileByFile() throws {
        let overrides = try TemporaryDirectory("templates")
        defer { overrides.remove() }
        try overrides.write("test.subject.mustache", "custom {{node}} subject\n")
        try overrides.write("details.partial.mustache", "only {{cluster}}\n")
        let templates = try TemplateSet(defaults: defaults, overrides: overrides.path)
        let rendered = templates.render(sample(.test))
        XCTAssertEqual(rendered.subject, "custom alpha subject")
        XCTAssertTrue(rendered.body.contains("only web-pair"))
        XCTAssertTrue(rendered.body.hasPrefix("This is a test notification"), "the body default stays")
        XCTAssertEqual(templates.sources["test.subject.mustache"], overrides.file("test.subject.mustache"))
    }

    func testBrokenTemplateNamesFileAndLine() throws {
        let overrides = try TemporaryDirectory("templates")
        defer { overrides.remove() }
        try overrides.write("failover.body.mustache", "fine\n{{#checks}}\nnever closed\n")
        XCTAssertThrowsError(try TemplateSet(defaults: defaults, overrides: overrides.path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(overrides.file("failover.body.mustache")), text)
            XCTAssertTrue(text.contains("template syntax error"), text)
        }
    }

    func testMissingDefaultIsNamed() throws {
        let empty = try TemporaryDirectory("templates")
        defer { empty.remove() }
        XCTAssertThrowsError(try TemplateSet(defaults: empty.path, overrides: nil)) { error in
            XCTAssertTrue("\(error)".contains("test.subject.mustache: missing or unreadable template"), "\(error)")
        }
    }

    func testAMissingPartialAndAStrayOverrideAreErrors() throws {
        let overrides = try TemporaryDirectory("templates")
        defer { overrides.remove() }
        try overrides.write("failover.body.mustache", "{{node}} moved\n\n{{> detials}}\n")
        try overrides.write("failovr.subject.mustache", "typo\n")
        try overrides.write("README", "not a template, left alone\n")
        XCTAssertThrowsError(try TemplateSet(defaults: defaults, overrides: overrides.path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("\(overrides.file("failover.body.mustache")):3: partial `detials` does not exist"), text)
            XCTAssertTrue(text.contains("\(overrides.file("failovr.subject.mustache")): replaces no template"), text)
            XCTAssertFalse(text.contains("README"), text)
        }
    }
}
