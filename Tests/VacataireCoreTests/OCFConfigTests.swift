import Foundation
import VacataireTestSupport
import XCTest
@testable import VacataireCore

/// Actions and checks that name an OCF resource agent, and `failover.resources`: what is
/// read, and every way to get it wrong, against Debian's resource agents.
final class OCFConfigTests: XCTestCase, ConfigProblemChecks {
    var directory: TemporaryDirectory?

    override func setUpWithError() throws {
        try DebianTool.ocfDummy.require(for: "reading actions that name ocf:heartbeat:Dummy")
        try DebianTool.ocfNginx.require(for: "reading actions that name ocf:heartbeat:nginx")
        let made = try TemporaryDirectory("ocf-config")
        try made.writePeerKey()
        directory = made
    }

    override func tearDown() {
        directory?.remove()
    }

    /// A master's file whose `failover:` service part (actions or resources) is `service`,
    /// and whose `checks:` are `checks`; both indented as under their sections.
    func document(_ service: String, checks: String = "", timings: String = "") -> String {
        """
        node: {name: alpha, cluster: web}
        checks:
        \(checks.isEmpty ? "  []" : checks)
        failover:
          role: master
          peer: {name: beta, addresses: ["127.0.0.1:7412"]}
          keys: [{id: 1, file: peer.key}]
          no_witness: takeover
        \(timings.isEmpty ? "  handoff_timeout: 40s\n  dead_after: 60s" : timings)
        \(service)
        """
    }

    func parse(_ text: String) throws(ConfigErrors) -> Config {
        try Config.parse(text, file: (directory?.path ?? "/tmp") + "/alpha.yaml")
    }



    static let dummyActions = """
          actions:
            start: {ocf: heartbeat:Dummy, params: {state: /run/dummy.state, fake: "7"}, timeout: 5s}
            stop: {ocf: heartbeat:Dummy, params: {state: /run/dummy.state}, timeout: 3s}
            status: {ocf: heartbeat:Dummy}
        """

    // MARK: - Actions

    func testAnActionMayNameAnAgent() throws {
        let failover = try XCTUnwrap(try parse(document(Self.dummyActions)).failover)
        guard case .ocf(let start) = failover.start.program else { return XCTFail("start: \(failover.start.program)") }
        XCTAssertEqual(start.agentPath, "/usr/lib/ocf/resource.d/heartbeat/Dummy")
        XCTAssertEqual(start.instance, "Dummy", "the type names the instance by default")
        XCTAssertEqual(start.parameters, ["state": "/run/dummy.state", "fake": "7"])
        XCTAssertEqual(start.origin.key, "failover.actions.start.ocf")
        XCTAssertEqual(start.origin.line, 12)
        XCTAssertEqual(failover.start.timeout, ConfigDuration(seconds: 5))
        XCTAssertEqual(failover.stop.timeout, ConfigDuration(seconds: 3))
        XCTAssertEqual(failover.status?.timeout, ConfigDuration(seconds: 5), "status keeps its default timeout")
        XCTAssertEqual(failover.resources, [], "actions are not resources")
    }

    func testAnAgentOutsideTheDefaultRootAndANamedInstance() throws {
        let root = try XCTUnwrap(directory).file("ocf")
        try FileManager.default.createDirectory(atPath: root + "/resource.d/local", withIntermediateDirectories: true)
        try "#!/bin/sh\nexit 0\n".write(toFile: root + "/resource.d/local/app", atomically: true, encoding: .utf8)
        chmod(root + "/resource.d/local/app", 0o755)
        let actions = """
              actions:
                start: {ocf: "local:app", ocf_root: ocf, name: app-1}
                stop: {ocf: "local:app", ocf_root: ocf, name: app-1}
            """
        let failover = try XCTUnwrap(try parse(document(actions)).failover)
        guard case .ocf(let start) = failover.start.program else { return XCTFail("start: \(failover.start.program)") }
        XCTAssertEqual(start.root, root, "ocf_root resolves against the file's directory")
        XCTAssertEqual(start.instance, "app-1")
        XCTAssertEqual(start.description, "ocf:local:app (app-1)")
    }

    func testExactlyOneOfCommandOrAgent() {
        assertProblem(document(Self.dummyActions.replacingOccurrences(of: "start: {ocf: heartbeat:Dummy,", with: "start: {command: \"true\", ocf: heartbeat:Dummy,")),
                      key: "failover.actions.start.ocf", contains: "either `command` (a shell command) or `ocf` (a resource agent), not both")
        assertProblem(document(Self.dummyActions.replacingOccurrences(of: "stop: {ocf: heartbeat:Dummy, params: {state: /run/dummy.state}, timeout: 3s}", with: "stop: {timeout: 3s}")),
                      key: "failover.actions.stop.command", contains: "missing; expected `command` (a shell command) or `ocf`")
        assertProblem(document(Self.dummyActions.replacingOccurrences(of: "stop: {ocf: heartbeat:Dummy,", with: "stop: {command: \"true\",")),
                      key: "failover.actions.stop.params", contains: "only an `ocf` agent takes `params`")
    }

    func testAWrongTimeoutIsReportedOnce() {
        let found = problems(document(Self.dummyActions.replacingOccurrences(of: "timeout: 5s}", with: "timeout: 2h}")))
        XCTAssertEqual(found.filter { $0.key == "failover.actions.start.timeout" }.map(\.message), ["must be at most 3600s, found 7200s"])
        let shell = problems(document("""
              actions:
                start: {command: "systemctl start web", timeout: 2h}
                stop: {command: "systemctl stop web", timeout: 1s}
            """))
        XCTAssertEqual(shell.filter { $0.key == "failover.actions.start.timeout" }.map(\.message), ["must be at most 3600s, found 7200s"])
    }

    func testMalformedAgentsAndParameters() {
        assertProblem(document(Self.dummyActions.replacingOccurrences(of: "start: {ocf: heartbeat:Dummy,", with: "start: {ocf: Dummy,")),
                      key: "failover.actions.start.ocf", contains: "expected PROVIDER:TYPE of an OCF resource agent, such as heartbeat:nginx, found `Dummy`")
        assertProblem(document(Self.dummyActions.replacingOccurrences(of: "start: {ocf: heartbeat:Dummy,", with: "start: {ocf: \"heartbeat:../../x\",")),
                      key: "failover.actions.start.ocf", contains: "expected PROVIDER:TYPE")
        assertProblem(document(Self.dummyActions.replacingOccurrences(of: "fake: \"7\"", with: "fake-it: \"7\"")),
                      key: "failover.actions.start.params.fake-it", contains: "letters, digits and `_` only (it becomes OCF_RESKEY_fake-it)")
        assertProblem(document(Self.dummyActions.replacingOccurrences(of: "fake: \"7\"", with: "fake: [1, 2]")),
                      key: "failover.actions.start.params.fake", contains: "expected a text value, found a list")
        assertProblem(document(Self.dummyActions.replacingOccurrences(of: "params: {state: /run/dummy.state, fake: \"7\"}", with: "params: [state]")),
                      key: "failover.actions.start.params", contains: "expected a mapping")
    }

    func testAMissingAgentNamesItsPathAndThePackage() {
        assertProblem(document(Self.dummyActions.replacingOccurrences(of: "start: {ocf: heartbeat:Dummy,", with: "start: {ocf: heartbeat:NoSuchAgent,")),
                      key: "failover.actions.start.ocf",
                      contains: "no resource agent heartbeat:NoSuchAgent at /usr/lib/ocf/resource.d/heartbeat/NoSuchAgent; install Debian's resource agents (apt-get install resource-agents)")
    }

    // MARK: - Resources

    static let resources = """
          resources:
            - {name: data, ocf: heartbeat:Dummy, params: {state: /run/data.state}, start_timeout: 4s, stop_timeout: 2s}
            - name: web
              ocf: heartbeat:nginx
              params: {configfile: /etc/nginx/nginx.conf}
        """

    func testResourcesAreTheStartAndTheStop() throws {
        let failover = try XCTUnwrap(try parse(document(Self.resources)).failover)
        XCTAssertEqual(failover.resources.map(\.ocf.instance), ["data", "web"])
        XCTAssertEqual(failover.resources.map(\.startTimeout), [ConfigDuration(seconds: 4), ConfigDuration(seconds: 20)], "Pacemaker's 20 s by default")
        XCTAssertEqual(failover.resources.map(\.stopTimeout), [ConfigDuration(seconds: 2), ConfigDuration(seconds: 20)])
        XCTAssertEqual(failover.start.program, failover.stop.program)
        XCTAssertEqual(failover.start.timeout, ConfigDuration(seconds: 4 + 20 + 2 + 20), "every start, then every stop undoing them")
        XCTAssertEqual(failover.stop.timeout, ConfigDuration(seconds: 2 + 20))
        XCTAssertNil(failover.status)
        XCTAssertEqual(failover.resources.last?.ocf.origin.key, "failover.resources[1].ocf")
    }

    func testResourcesOrActionsNotBoth() {
        assertProblem(document(Self.resources + "\n" + Self.dummyActions), key: "failover.actions", contains: "either `actions`")
        assertProblem(document("  resources: []"), key: "failover.resources", contains: "at least one resource")
        assertProblem(document(Self.resources.replacingOccurrences(of: "name: data", with: "name: web")), key: "failover.resources",
                      contains: "two resources are named `web`")
        assertProblem(document(Self.resources.replacingOccurrences(of: "start_timeout: 4s", with: "start_tmeout: 4s")), key: "failover.resources[0].start_tmeout",
                      contains: "unknown key")
    }

    func testTheTimingRulesNameTheResourcesTimeouts() {
        assertProblem(document(Self.resources, timings: "  handoff_timeout: 5s\n  dead_after: 60s"), key: "failover.handoff_timeout",
                      contains: "must be more than the resources' start (every start_timeout and stop_timeout of failover.resources: 46s)")
    }

    // MARK: - Checks

    func testAnOCFCheckTakesItsResourceByName() throws {
        let checks = """
              - {name: web, kind: ocf, resource: web, interval: 10s}
              - {name: dummy, kind: ocf, ocf: heartbeat:Dummy, instance: data, params: {state: /run/data.state}}
            """
        let config = try parse(document(Self.resources, checks: checks))
        guard case .ocf(let web) = config.checks[0].kind, case .ocf(let dummy) = config.checks[1].kind else {
            return XCTFail("\(config.checks.map(\.kind))")
        }
        XCTAssertEqual(web.resource, config.failover?.resources.last?.ocf, "the monitor sees the start's parameters")
        XCTAssertEqual(web.resource.origin.key, "checks[0].resource")
        XCTAssertEqual(dummy.resource, config.failover?.resources.first?.ocf)
        XCTAssertEqual(config.checks.map(\.scope), [.service, .service], "an agent's monitor judges the service")
    }

    func testOCFCheckProblems() {
        assertProblem(document(Self.resources, checks: "  - {name: web, kind: ocf, resource: www}"), key: "checks[0].resource",
                      contains: "no resource named `www` in failover.resources (data, web)")
        assertProblem(document(Self.dummyActions, checks: "  - {name: web, kind: ocf, resource: web}"), key: "checks[0].resource",
                      contains: "no failover.resources to take `web` from")
        assertProblem(document(Self.resources, checks: "  - {name: web, kind: ocf, resource: web, params: {x: y}}"), key: "checks[0].params",
                      contains: "takes the agent and its parameters from failover.resources")
        assertProblem(document(Self.resources, checks: "  - {name: web, kind: ocf}"), key: "checks[0].kind", contains: "needs `ocf: PROVIDER:TYPE`")
        assertProblem(document(Self.resources, checks: "  - {name: web, kind: ocf, ocf: heartbeat:Nope}"), key: "checks[0].ocf",
                      contains: "apt-get install resource-agents")
    }
}
