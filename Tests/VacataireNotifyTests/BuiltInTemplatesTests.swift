import Foundation
@testable import VacataireNotify
import VacataireTestSupport
import XCTest

/// The templates compiled into the binary: the same as Templates/, used when no defaults
/// directory is given, overridden file by file.
final class BuiltInTemplatesTests: XCTestCase {
    func testBuiltInTemplatesAreExactlyTemplatesDirectory() throws {
        let directory = Repository.path("Templates")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".mustache") }
        let regenerate = "Sources/VacataireNotify/BuiltInTemplates.swift is out of date: run `make templates`"
        XCTAssertEqual(Set(names), Set(BuiltInTemplates.files.keys), regenerate)
        for name in names {
            let text = try String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)
            XCTAssertEqual(BuiltInTemplates.files[name], text, "\(name): \(regenerate)")
        }
    }

    func testALoneBinaryHasEveryTemplate() throws {
        let templates = try TemplateSet(defaults: nil, overrides: nil)
        XCTAssertEqual(templates.sources.count, BuiltInTemplates.files.count)
        XCTAssertTrue(templates.sources.values.allSatisfy { $0.hasPrefix(TemplateSet.builtInPrefix) }, "\(templates.sources)")
        let rendered = templates.render(NotifiableEvent(
            kind: .failover, node: "alpha", cluster: "web-pair", peer: "beta", incidentID: "e12",
            oldRole: "active", newRole: "failed", reason: "check web failed", checks: [],
            time: Date(timeIntervalSince1970: 1_800_000_000), ackAuthor: nil, ackComment: nil,
            suppressedCount: 0, suppressedSummary: nil))
        XCTAssertTrue(rendered.subject.hasPrefix("[web-pair] "), rendered.subject)
        XCTAssertTrue(rendered.body.contains("Incident:  e12"), rendered.body)
    }

    func testAFileInTemplatesDirOverridesOneBuiltIn() throws {
        let overrides = try TemporaryDirectory("templates")
        defer { overrides.remove() }
        try overrides.write("failover.subject.mustache", "moved {{node}}\n")
        let templates = try TemplateSet(defaults: nil, overrides: overrides.path)
        XCTAssertEqual(templates.sources["failover.subject.mustache"], overrides.file("failover.subject.mustache"))
        XCTAssertEqual(templates.sources["failover.body.mustache"], "built-in:failover.body.mustache")
        XCTAssertEqual(templates.sources["details.partial.mustache"], "built-in:details.partial.mustache")
    }

    func testCheckConfigSaysWhereEachTemplateCameFrom() throws {
        let directory = try TemporaryDirectory("builtin-cli")
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.file("templates"), withIntermediateDirectories: false)
        try directory.write("templates/test.subject.mustache", "custom {{node}}\n")
        let config = try directory.write("alpha.yaml", """
            node: {name: alpha, cluster: web-pair}
            state_dir: state
            templates_dir: templates
            """)
        let result = try Repository.runVacataire(["check-config", config], environment: ["VACATAIRE_TEMPLATES": ""])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("templates: \(BuiltInTemplates.files.count - 1) built-in, 1 from files:"), result.stdout)
        XCTAssertTrue(result.stdout.contains("    test.subject.mustache: \(directory.path)/templates/test.subject.mustache"), result.stdout)
    }
}
