import Foundation
import VacataireTestSupport
import XCTest

/// `vacataire check-config` and `vacataire run` on configurations that name OCF resource
/// agents: both run each agent's `validate-all` and refuse what it refuses, with the key;
/// a missing agent is refused with its path and the package to install.
final class OCFCheckConfigTests: XCTestCase {
    private var directory: TemporaryDirectory?

    override func setUpWithError() throws {
        try DebianTool.ocfNginx.require(for: "check-config with ocf:heartbeat:nginx")
        try DebianTool.nginx.require(for: "check-config with ocf:heartbeat:nginx")
        let made = try TemporaryDirectory("ocf-check-config")
        try made.writePeerKey()
        directory = made
    }

    override func tearDown() {
        directory?.remove()
    }

    /// A master whose service is `resources` (lines under `resources:`).
    private func write(_ resources: String) throws -> String {
        try XCTUnwrap(directory).write("alpha.yaml", """
            node: {name: alpha, cluster: web}
            state_dir: state
            failover:
              role: master
              peer: {name: beta, addresses: ["127.0.0.1:7412"]}
              keys: [{id: 1, file: peer.key}]
              no_witness: takeover
              dead_after: 30s
              handoff_timeout: 20s
              resources:
            \(resources)

            """)
    }

    func testTheExampleIsAccepted() throws {
        let text = try String(contentsOfFile: Repository.path("Config/ocf/nginx.yaml"), encoding: .utf8)
        let key = try XCTUnwrap(directory).file("peer.key")
        let copy = try XCTUnwrap(directory).write("nginx.yaml", text.replacingOccurrences(of: "/etc/vacataire/peer.key", with: key))
        let result = try Repository.runVacataire(["check-config", copy])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("resource agent ocf:heartbeat:nginx (web) (/usr/lib/ocf/resource.d/heartbeat/nginx) at failover.resources[0].ocf"), result.stdout)
        XCTAssertTrue(result.stdout.contains("web (ocf, critical, service scope)"), result.stdout)
    }

    func testAnAgentThatSaysNotConfiguredIsRefusedByCheckConfigAndRun() throws {
        let file = try write("    - {name: web, ocf: heartbeat:nginx, params: {configfile: /nonexistent/nginx.conf}}")
        let expected = "alpha.yaml:11: failover.resources[0].ocf: ocf:heartbeat:nginx (web) validate-all exited 6 (OCF_ERR_CONFIGURED: not configured: "
            + "the resource's configuration is invalid (fatal)): Cannot parse config file [/nonexistent/nginx.conf]"
        let checked = try Repository.runVacataire(["check-config", file])
        XCTAssertEqual(checked.status, 1, checked.stdout)
        XCTAssertTrue(checked.stderr.contains(expected), checked.stderr)
        XCTAssertTrue(checked.stderr.contains("1 problem(s); vacataire refuses to start with this file"), checked.stderr)

        let run = try Repository.runVacataire(["run", "--config", file])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains(expected), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: try XCTUnwrap(directory).file("state")), "run refused before it made its state")
    }

    func testAMissingAgentNamesItsPathAndThePackage() throws {
        let file = try write("    - {name: web, ocf: heartbeat:nginxx}")
        for arguments in [["check-config", file], ["run", "--config", file]] {
            let result = try Repository.runVacataire(arguments)
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("alpha.yaml:11: failover.resources[0].ocf: no resource agent heartbeat:nginxx at "
                + "/usr/lib/ocf/resource.d/heartbeat/nginxx; install Debian's resource agents (apt-get install resource-agents)"), "\(arguments[0]): \(result.stderr)")
        }
    }
}
