import Foundation
import VacataireChecks
import VacataireCore
import VacataireTestSupport
import XCTest

/// `validate-all`, as `check-config` and `run` ask it of every agent: Debian's nginx and
/// Dummy agents refusing settings, and agents that do not offer it.
final class OCFValidationTests: XCTestCase {
    private var directory: TemporaryDirectory?

    override func setUpWithError() throws {
        try DebianTool.ocfDummy.require(for: "validating ocf:heartbeat:Dummy")
        try DebianTool.ocfNginx.require(for: "validating ocf:heartbeat:nginx")
        directory = try TemporaryDirectory("ocf-validate")
    }

    override func tearDown() {
        directory?.remove()
    }

    /// A configuration with only checks (no failover section), each line a check under `checks:`.
    private func config(_ checks: String) throws -> Config {
        let file = try XCTUnwrap(directory).file("node.yaml")
        return try Config.parse("node: {name: alpha, cluster: web}\nchecks:\n\(checks)\n", file: file)
    }

    func testAMissingNginxConfigurationIsRefusedWithTheAgentsReason() async throws {
        let config = try config("  - {name: web, kind: ocf, ocf: heartbeat:nginx, params: {configfile: /nonexistent/nginx.conf}}")
        let findings = await OCFValidation.of(config)
        XCTAssertEqual(findings.warnings, [])
        let refusal = try XCTUnwrap(findings.refusals.first, "refused")
        XCTAssertEqual(refusal.key, "checks[0].ocf")
        XCTAssertEqual(refusal.line, 3)
        XCTAssertEqual(refusal.message, "ocf:heartbeat:nginx validate-all exited 6 (OCF_ERR_CONFIGURED: not configured: the resource's configuration is invalid (fatal)): "
            + "Cannot parse config file [/nonexistent/nginx.conf]; fix its `params` or what they name")
    }

    func testInvalidParametersOnThisNodeAreRefused() async throws {
        let config = try config("  - {name: dummy, kind: ocf, ocf: heartbeat:Dummy, params: {state: /nonexistent/dir/dummy.state}}")
        let findings = await OCFValidation.of(config)
        XCTAssertEqual(findings.refusals.map(\.message), [
            "ocf:heartbeat:Dummy validate-all exited 2 (OCF_ERR_ARGS: invalid arguments or parameters on this node): "
                + "State file \"/nonexistent/dir/dummy.state\" is not writable; fix its `params` or what they name",
        ])
    }

    func testAValidSiteAndAWritableStatePass() async throws {
        let root = try XCTUnwrap(directory)
        let site = try NginxSite(in: root.path, name: "web", port: try FreePort.tcp(), page: "ok\n")
        let config = try config("""
              - {name: web, kind: ocf, ocf: heartbeat:nginx, params: \(site.params)}
              - {name: dummy, kind: ocf, ocf: heartbeat:Dummy, params: {state: \(root.file("dummy.state"))}}
            """)
        let findings = await OCFValidation.of(config)
        XCTAssertEqual(findings, OCFValidation.Findings())
        XCTAssertEqual(OCFValidation.agents(of: config).count, 2)
    }

    func testOnlyAnAgentThatOffersValidationIsAsked() async throws {
        let root = try XCTUnwrap(directory)
        let silent = try ScriptedAgent(in: root.path, type: "silent", body: """
            case "$1" in
              meta-data) echo '<resource-agent name="silent"><actions><action name="start" timeout="5s"/></actions></resource-agent>'; exit 0;;
              *) echo "ocf-exit-reason:asked $1"; exit 6;;
            esac
            """)
        let unsure = try ScriptedAgent(in: root.path, type: "unsure", body: """
            case "$1" in
              meta-data) echo '<actions><action name="validate-all"  timeout="5s" /></actions>'; exit 0;;
              *) echo "ocf-exit-reason:the database did not answer"; exit 1;;
            esac
            """)
        let config = try config("""
              - {name: silent, kind: ocf, ocf: \(silent.agent), ocf_root: \(silent.root)}
              - {name: unsure, kind: ocf, ocf: \(unsure.agent), ocf_root: \(unsure.root)}
            """)
        let findings = await OCFValidation.of(config)
        XCTAssertEqual(findings.refusals, [], "an agent whose meta-data lists no validate-all is not asked")
        XCTAssertEqual(findings.warnings.map(\.description), [
            "\(root.file("node.yaml")):4: checks[1].ocf: ocf:test:unsure validate-all exited 1 (OCF_ERR_GENERIC: generic error): the database did not answer; "
                + "it could not say whether its settings are valid",
        ])
    }
}
