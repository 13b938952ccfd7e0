import Foundation
import VacataireTestSupport
import XCTest

/// Config/monitoring: the Prometheus alerting rules pass promtool's check and its unit
/// tests, and the Grafana dashboard's queries are valid PromQL over metrics that exist.
final class MonitoringTests: XCTestCase {
    private let monitoring = Repository.path("Config/monitoring")

    func testAlertingRulesPassPromtoolCheck() throws {
        let result = try DebianTool.promtool.run(["check", "rules", "\(monitoring)/vacataire-alerts.yml"], for: "checking the alerting rules")
        XCTAssertTrue(result.stdout.contains("SUCCESS"), result.stdout)
    }

    func testAlertingRulesPassTheirUnitTests() throws {
        let result = try DebianTool.promtool.run(["test", "rules", "\(monitoring)/vacataire-alerts.test.yml"], for: "testing the alerting rules")
        XCTAssertTrue(result.stdout.contains("SUCCESS"), result.stdout)
    }

    func testEveryDashboardQueryIsValidPromQL() throws {
        let expressions = try dashboardExpressions()
        XCTAssertGreaterThanOrEqual(expressions.count, 10)
        // promtool checks PromQL inside rule files: each query becomes a recording rule,
        // with Grafana's variables replaced by values.
        let directory = try TemporaryDirectory("dashboard")
        defer { directory.remove() }
        var rules = "groups:\n  - name: dashboard\n    rules:\n"
        for (index, expression) in expressions.enumerated() {
            let concrete = expression
                .replacingOccurrences(of: "$__rate_interval", with: "1m")
                .replacingOccurrences(of: "$job", with: "vacataire")
                .replacingOccurrences(of: "$instance", with: ".*")
            let quoted = String(decoding: try JSONEncoder().encode(concrete), as: UTF8.self)
            rules += "      - record: dashboard:query_\(index)\n        expr: \(quoted)\n"
        }
        let file = try directory.write("dashboard-rules.yml", rules)
        try DebianTool.promtool.run(["check", "rules", file], for: "checking the dashboard's queries")
    }

    func testRulesAndDashboardUseOnlyDocumentedMetrics() throws {
        let documented = try metricNames(in: String(contentsOfFile: Repository.path("Docs/load-balancers.md"), encoding: .utf8))
        XCTAssertTrue(documented.contains("vacataire_outbox_oldest_pending_seconds"), "\(documented)")
        let rules = try String(contentsOfFile: "\(monitoring)/vacataire-alerts.yml", encoding: .utf8)
        let used = metricNames(in: rules).union(metricNames(in: try dashboardExpressions().joined(separator: "\n")))
        XCTAssertEqual(used.subtracting(documented), [], "metrics that /metrics does not have (Docs/load-balancers.md lists them)")
        for needed in ["vacataire_role", "vacataire_peer_last_heard_seconds", "vacataire_outbox_pending",
                       "vacataire_outbox_oldest_pending_seconds", "vacataire_notifications_total", "vacataire_peer_rejected_datagrams_total"] {
            XCTAssertTrue(used.contains(needed), "\(needed) is watched by neither the rules nor the dashboard")
        }
    }

    private func dashboardExpressions() throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(monitoring)/vacataire-grafana.json"))
        let dashboard = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(dashboard["title"] as? String, "Le Vacataire")
        let panels = try XCTUnwrap(dashboard["panels"] as? [[String: Any]])
        return panels.flatMap { panel in
            ((panel["targets"] as? [[String: Any]]) ?? []).compactMap { $0["expr"] as? String }
        }
    }

    private func metricNames(in text: String) -> Set<String> {
        Set(text.matches(of: /vacataire_[a-z_]+/).map { String($0.output) })
    }
}

/// A test that lacks a tool fails with the Debian package to install, never passes silently.
final class DebianToolTests: XCTestCase {
    func testAMissingToolNamesItsDebianPackage() {
        let missing = DebianTool("/usr/bin/vacataire-no-such-tool", package: "no-such-package")
        XCTAssertThrowsError(try missing.require(for: "this test")) { error in
            XCTAssertEqual("\(error)", "this test needs /usr/bin/vacataire-no-such-tool, which is missing: apt-get install no-such-package (or make deps)")
        }
        XCTAssertEqual(DebianTool.promtool.package, "prometheus")
    }
}
