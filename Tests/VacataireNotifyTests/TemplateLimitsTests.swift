import Foundation
import Mustache
import VacataireCore
@testable import VacataireNotify
import VacataireTestSupport
import XCTest

/// Templates that would crash the daemon (a partial that
/// includes itself, sections nested until the stack runs out) or keep `check-config` busy
/// for minutes are refused at load with their file and line.
final class TemplateLimitsTests: XCTestCase {
    private let defaults = Repository.path("Templates")

    private func loadError(_ files: [String: String]) throws -> String {
        let overrides = try TemporaryDirectory("templates")
        defer { overrides.remove() }
        for (name, text) in files {
            try overrides.write(name, text)
        }
        do {
            _ = try TemplateSet(defaults: defaults, overrides: overrides.path)
            return ""
        } catch {
            return "\(error)".replacingOccurrences(of: overrides.path + "/", with: "")
        }
    }

    /// A stray `{{` before a `{{>c}}` once hid the inclusion from the cycle check while
    /// swift-mustache still included the partial, recursing until the stack ran out (found
    /// by the fuzzer): every `{{>name}}` counts.
    func testASelfInclusionAfterAStrayOpeningIsRefused() throws {
        let partials = ["c": " {{\u{CC}\u{82}bhes}.}hes\n  {:\nIjo{{\n\n  {{>c}}l"]
        let event = NotifiableEvent(
            kind: .failover, node: "alpha", cluster: "web-pair", peer: "beta", incidentID: "e7", oldRole: "active", newRole: "failed",
            reason: "check web failed", checks: [], time: Date(timeIntervalSince1970: 1_800_000_000), ackAuthor: nil, ackComment: nil,
            suppressedCount: 0, suppressedSummary: nil)
        switch TemplateSet.loadAndRender(template: "Cluster: {{cluster}}\n  {{>c}}\n", partials: partials, event: event) {
        case .success(let text): XCTFail("rendered a template whose partial includes itself: \(text.prefix(200))")
        case .failure(let errors): XCTAssertFalse(errors.errors.isEmpty)
        }
    }

    func testAPartialThatIncludesItselfIsRefusedWithItsLine() throws {
        let text = try loadError(["details.partial.mustache": "Node: {{node}}\n{{> details}}\n"])
        XCTAssertTrue(text.contains("details.partial.mustache:2: partial `details` includes itself"), text)
    }

    /// check-config (like `run`, `notify-test` and a SIGHUP reload, which load templates
    /// through the same `TemplateSet`) refuses the cycle instead of saying ok.
    func testCheckConfigRefusesAPartialThatIncludesItself() throws {
        let directory = try TemporaryDirectory("cycle")
        defer { directory.remove() }
        try directory.write("details.partial.mustache", "{{> details}}\n")
        let config = try directory.write("node.yaml", "node: {name: alpha, cluster: web}\nstate_dir: state\ntemplates_dir: \(directory.path)\n")
        let result = try Repository.runVacataire(["check-config", config], environment: ["VACATAIRE_TEMPLATES": defaults])
        XCTAssertNotEqual(result.status, 0, result.stdout)
        XCTAssertTrue((result.stdout + result.stderr).contains("details.partial.mustache:1: partial `details` includes itself"), result.stdout + result.stderr)
    }

    func testAPartialCycleThroughAnotherIsRefused() throws {
        let text = try loadError([
            "details.partial.mustache": "{{> a}}\n",
            "a.partial.mustache": "A\n{{> b}}\n",
            "b.partial.mustache": "B\n\n{{#node}}{{> a}}{{/node}}\n",
        ])
        XCTAssertTrue(text.contains("b.partial.mustache:3: partial `a` includes itself through a -> b -> a"), text)
        XCTAssertEqual(text.components(separatedBy: "includes itself").count, 2, "one line per cycle: \(text)")
    }

    /// Found by FuzzTemplates: swift-mustache reads `{{` followed by a line break as text,
    /// so the inclusion after it is real and closes a cycle.
    func testAnOpeningDelimiterBeforeALineBreakDoesNotHideAnInclusion() throws {
        let text = try loadError(["details.partial.mustache": "Ino{{\n\n  {{>details}}\n"])
        XCTAssertTrue(text.contains("details.partial.mustache:3: partial `details` includes itself"), text)
    }

    func testAPartialIncludedTwiceWithoutACycleLoads() throws {
        let text = try loadError([
            "details.partial.mustache": "{{> a}}{{> a}}{{> b}}\n",
            "a.partial.mustache": "{{> b}}\n",
            "b.partial.mustache": "B\n",
        ])
        XCTAssertEqual(text, "")
    }

    func testDeeplyNestedSectionsAreRefusedBeforeParsing() throws {
        let nested = String(repeating: "{{#node}}", count: 1_000) + "x" + String(repeating: "{{/node}}", count: 1_000) + "\n"
        let text = try loadError(["failover.body.mustache": "first line\n" + nested])
        XCTAssertTrue(text.contains("failover.body.mustache:2: sections nested more than \(TemplateOutline.maximumDepth) deep"), text)
    }

    func testNestingThroughAChainOfPartialsIsBounded() throws {
        var files: [String: String] = [:]
        let levels = 40
        for level in 0..<levels {
            files["p\(level).partial.mustache"] = level + 1 < levels ? "{{#node}}{{> p\(level + 1)}}{{/node}}\n" : "end\n"
        }
        files["details.partial.mustache"] = "{{> p0}}\n"
        let text = try loadError(files)
        XCTAssertTrue(text.contains("nests sections and partials"), text)
    }

    func testATemplateLargerThanTheLimitIsRefusedBySize() throws {
        let text = try loadError(["failover.body.mustache": String(repeating: "x", count: TemplateOutline.maximumBytes + 1)])
        XCTAssertTrue(text.contains("failover.body.mustache: template is \(TemplateOutline.maximumBytes + 1) bytes"), text)
    }

    func testAChangedDelimiterIsFollowed() {
        let outline = try? TemplateOutline.scan("{{=<% %>=}}\n<%#a%><%> inner%><%/a%>\n<%={{ }}=%>{{> other}}", file: "t").get()
        XCTAssertEqual(outline?.depth, 1)
        XCTAssertEqual(outline?.inclusions, [.init(name: "inner", line: 2), .init(name: "other", line: 3)])
    }

    /// Cutting a large template into pieces (`ChunkedTemplate`) changes nothing in what it renders.
    func testALargeTemplateRendersAsIfParsedWhole() throws {
        let body = try String(contentsOfFile: defaults + "/failover.body.mustache", encoding: .utf8)
        let details = try String(contentsOfFile: defaults + "/details.partial.mustache", encoding: .utf8)
        let large = (0..<60).map { "== copy \($0) ==\n  {{#node}}\n  standalone {{node}}\n  {{/node}}\n{{#peer}}\n\n{{/peer}}\n" + body + "\n\n{{! a comment line }}\n  {{> details}}\n" }.joined()
        XCTAssertGreaterThan(large.utf8.count, 3 * TemplateOutline.chunkBytes)
        let event = NotifiableEvent(
            kind: .failover, node: "alpha", cluster: "web-pair", peer: "beta", incidentID: "e7", oldRole: "active", newRole: "failed",
            reason: "check web failed", checks: [.init(name: "web", status: "CRITICAL", output: "timeout")],
            time: Date(timeIntervalSince1970: 1_800_000_000), ackAuthor: nil, ackComment: nil, suppressedCount: 0, suppressedSummary: nil)
        let chunked = try ChunkedTemplate.compile(large, file: "large").get()
        XCTAssertGreaterThan(chunked.0.pieces.count, 2)
        var library = MustacheLibrary()
        library.register(try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT }}" + details), named: "details")
        let whole = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT }}" + large)
        let (cut, uncut) = (chunked.0.render(event.templateContext, library: library), whole.render(event.templateContext, library: library))
        XCTAssertEqual(cut, uncut)
    }

    func testASyntaxErrorFarIntoALargeTemplateNamesTheLineAWholeParseWould() throws {
        let lines = (0..<2_000).map { _ in "line {{node}} {{#peer}}{{peer}}{{/peer}}\n" }
        for tail in ["{{#a}}\n{{/b}}\nmore\n", "{{#broken}}\n", "text {{#a}} {{/a}\n"] {
            let template = lines.joined() + tail
            var wholeLine: Int?
            do {
                _ = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT }}" + template)
            } catch let error as MustacheTemplate.ParserError {
                wholeLine = error.context.lineNumber
            }
            let line = try XCTUnwrap(wholeLine, "\(tail.debugDescription) does not parse")
            let text = try loadError(["failover.body.mustache": template])
            XCTAssertTrue(text.contains("failover.body.mustache:\(line): template syntax error"), "\(tail.debugDescription): \(text)")
        }
    }

    /// Case 5: loading is linear in the number of sections. Prints the figures (Docs/hardening.md);
    /// asserts that each loads (time is a figure, never an assertion).
    func testLoadingTimeGrowsLinearlyWithSections() throws {
        var figures: [String] = []
        for sections in [3_000, 6_000, 12_000] {
            let body = String(repeating: "{{#node}}{{node}}{{/node}}\n", count: sections / 4)
                + String(repeating: "{{^peer}}-{{/peer}}\n", count: sections * 3 / 4)
            let overrides = try TemporaryDirectory("templates")
            defer { overrides.remove() }
            try overrides.write("failover.body.mustache", body)
            let start = ContinuousClock.now
            _ = try TemplateSet(defaults: defaults, overrides: overrides.path)
            let elapsed = ContinuousClock.now - start
            figures.append("\(sections) sections (\(body.utf8.count) bytes): \(elapsed)")
        }
        print("template load times: " + figures.joined(separator: "; "))
    }
}
