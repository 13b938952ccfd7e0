import Foundation
import VacataireChecks
import VacataireCore
import VacataireTestSupport
import XCTest

@testable import VacataireAgent

/// Start and stop actions that call OCF resource agents, and `failover.resources` in
/// order: Debian's Dummy and nginx agents with Debian's nginx, and agents written for a
/// test where Debian's cannot show a case (a stop answering 7, the order of calls).
final class OCFActionRunnerTests: XCTestCase {
    private let runner = ServiceActionRunner(node: "alpha", peer: "beta")
    private let context = ServiceActionContext(role: .active, epoch: 4, event: .failover, incident: IncidentID(epoch: 4, topic: .roleChange), reason: "taking over")
    private var directory: TemporaryDirectory?

    override func setUpWithError() throws {
        try DebianTool.ocfDummy.require(for: "actions that call ocf:heartbeat:Dummy")
        directory = try TemporaryDirectory("ocf-actions")
    }

    override func tearDown() {
        directory?.remove()
    }

    private func dummy(_ instance: String) throws -> OCFResource {
        OCFResource(provider: "heartbeat", type: "Dummy", instance: instance, parameters: ["state": try XCTUnwrap(directory).file("\(instance).state")])
    }

    private func monitor(_ resource: OCFResource) async -> ProgramRun.Termination {
        await resource.call(.monitor, timeout: .seconds(10)).termination
    }

    private func action(_ resource: OCFResource, timeout: Double = 10) -> FailoverConfig.ActionCommand {
        FailoverConfig.ActionCommand(program: .ocf(resource), timeout: ConfigDuration(seconds: timeout))
    }

    // MARK: - One agent

    func testDummyStartsAndStopsAndAStopWhenStoppedSucceeds() async throws {
        let resource = try dummy("app")
        let start = await runner.run(.start, action(resource), context: context)
        XCTAssertTrue(start.succeeded, start.summary)
        XCTAssertTrue(start.summary.hasPrefix("start: ocf:heartbeat:Dummy (app) exited 0 (OCF_SUCCESS: success) after "), start.summary)
        let running = await monitor(resource)
        XCTAssertEqual(running, .exited(0))

        let stop = await runner.run(.stop, action(resource), context: context)
        XCTAssertTrue(stop.succeeded, stop.summary)
        let stopped = await monitor(resource)
        XCTAssertEqual(stopped, .exited(7))

        let again = await runner.run(.stop, action(resource), context: context)
        XCTAssertTrue(again.succeeded, "a stop of a stopped resource is a success: \(again.summary)")
        XCTAssertEqual(again.termination, .exited(0))
        XCTAssertEqual(again.outcome, .succeeded)
    }

    func testAStatusActionAsksTheAgentsMonitor() async throws {
        let resource = try dummy("status")
        let stopped = await runner.run(action(resource), label: "status", context: nil)
        XCTAssertFalse(stopped.succeeded)
        XCTAssertTrue(stopped.summary.hasPrefix("monitor: ocf:heartbeat:Dummy (status) exited 7 (OCF_NOT_RUNNING: not running)"), stopped.summary)
        let start = await runner.run(.start, action(resource), context: context)
        XCTAssertTrue(start.succeeded, start.summary)
        let running = await runner.run(action(resource), label: "status", context: nil)
        XCTAssertTrue(running.succeeded, running.summary)
        let stop = await runner.run(.stop, action(resource), context: context)
        XCTAssertTrue(stop.succeeded, stop.summary)
    }

    func testAStopAnsweringNotRunningSucceedsAndAStartDoesNot() async throws {
        let agent = try ScriptedAgent(in: try XCTUnwrap(directory).path, type: "gone", body: "echo 'ocf-exit-reason:nothing runs here'\nexit 7\n")
        let resource = OCFResource(root: agent.root, provider: "test", type: "gone")
        let stop = await runner.run(.stop, action(resource), context: context)
        XCTAssertTrue(stop.succeeded, stop.summary)
        XCTAssertEqual(stop.termination, .exited(7))
        let start = await runner.run(.start, action(resource), context: context)
        XCTAssertFalse(start.succeeded)
        XCTAssertEqual(start.outcome, .failed("\(start.summary): nothing runs here"))
        XCTAssertTrue(start.summary.hasPrefix("start: ocf:test:gone exited 7 (OCF_NOT_RUNNING: not running) after "), start.summary)
    }

    func testTheAgentGetsTheActionAloneAndBothEnvironments() async throws {
        let agent = try ScriptedAgent(in: try XCTUnwrap(directory).path, type: "env", body: #"""
            echo "$# $1 $OCF_RESOURCE_INSTANCE $OCF_RESKEY_CRM_meta_timeout $OCF_RESKEY_port ${OCF_RESKEY_CRM_meta_interval-none}"
            echo "$VACATAIRE_ACTION $VACATAIRE_ROLE $VACATAIRE_EPOCH $VACATAIRE_INCIDENT"
            """#)
        let resource = OCFResource(root: agent.root, provider: "test", type: "env", instance: "web", parameters: ["port": "8080"])
        let report = await runner.run(.start, action(resource, timeout: 2.5), context: context)
        XCTAssertTrue(report.succeeded, report.summary)
        XCTAssertEqual(report.outputTail, "1 start web 2500 8080 none\nstart active 4 e4\n")
    }

    func testAFailedStartNamesTheCodeItsMeaningAndTheAgentsReason() async throws {
        try DebianTool.ocfNginx.require(for: "a start of ocf:heartbeat:nginx")
        let resource = OCFResource(provider: "heartbeat", type: "nginx", instance: "web", parameters: ["configfile": "/nonexistent/nginx.conf"])
        let report = await runner.run(.start, action(resource), context: context)
        XCTAssertFalse(report.succeeded)
        XCTAssertEqual(report.termination, .exited(6))
        XCTAssertTrue(report.summary.hasPrefix("start: ocf:heartbeat:nginx (web) exited 6 (OCF_ERR_CONFIGURED: not configured: the resource's configuration is invalid (fatal)) after "), report.summary)
        XCTAssertEqual(report.outcome, .failed("\(report.summary): Cannot parse config file [/nonexistent/nginx.conf]"))
    }

    // MARK: - Resources in order

    /// Scripted resources that log each call (`INSTANCE ACTION`) to `calls.log`; `fail`
    /// lists the calls that exit 1.
    private func loggingResources(_ names: [String], fail: Set<String> = []) throws -> (resources: [FailoverConfig.Resource], log: String) {
        let root = try XCTUnwrap(directory)
        let log = root.file("calls.log")
        let failing = fail.map { "\"\($0)\"" }.joined(separator: "|")
        let agent = try ScriptedAgent(in: root.path, type: "logged", body: """
            echo "$OCF_RESOURCE_INSTANCE $1" >> \(log)
            case "$OCF_RESOURCE_INSTANCE $1" in
              \(failing.isEmpty ? "\"-\"" : failing)) echo "ocf-exit-reason:$OCF_RESOURCE_INSTANCE cannot $1"; exit 1;;
            esac
            exit 0
            """)
        let resources = names.map {
            FailoverConfig.Resource(ocf: OCFResource(root: agent.root, provider: "test", type: "logged", instance: $0),
                                    startTimeout: ConfigDuration(seconds: 5), stopTimeout: ConfigDuration(seconds: 5))
        }
        return (resources, log)
    }

    private func sequence(_ resources: [FailoverConfig.Resource]) -> FailoverConfig.ActionCommand {
        FailoverConfig.ActionCommand(program: .resources(resources), timeout: FailoverConfig.Resource.startTimeout(resources))
    }

    private func calls(_ log: String) -> [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func testResourcesStartInOrderAndStopInReverse() async throws {
        let (resources, log) = try loggingResources(["data", "address", "web"])
        let start = await runner.run(.start, sequence(resources), context: context)
        XCTAssertTrue(start.succeeded, start.summary)
        XCTAssertTrue(start.summary.hasPrefix("start: 3 resource(s) started in order (data, address, web) after "), start.summary)
        let stop = await runner.run(.stop, sequence(resources), context: context)
        XCTAssertTrue(stop.succeeded, stop.summary)
        XCTAssertEqual(calls(log), ["data start", "address start", "web start", "web stop", "address stop", "data stop"])
    }

    func testAFailedStartStopsWhatStartedInReverse() async throws {
        let (resources, log) = try loggingResources(["data", "address", "web"], fail: ["address start"])
        let report = await runner.run(.start, sequence(resources), context: context)
        XCTAssertFalse(report.succeeded)
        XCTAssertEqual(calls(log), ["data start", "address start", "address stop", "data stop"], "web never started")
        XCTAssertTrue(report.summary.hasPrefix("start: ocf:test:logged (address) exited 1 (OCF_ERR_GENERIC: generic error) after "), report.summary)
        XCTAssertTrue(report.summary.hasSuffix("; stopped again: address, data"), report.summary)
        XCTAssertEqual(report.outcome, .failed("\(report.summary): address cannot start"))
    }

    func testAFailedStopLeavesWhatIsBelowIt() async throws {
        let (resources, log) = try loggingResources(["data", "address", "web"], fail: ["address stop"])
        let report = await runner.run(.stop, sequence(resources), context: context)
        XCTAssertFalse(report.succeeded)
        XCTAssertEqual(calls(log), ["web stop", "address stop"], "data stays mounted under an address that did not go")
        XCTAssertTrue(report.summary.hasSuffix("; left as they are (below a resource that did not stop): data"), report.summary)
    }

    func testDummyThenABrokenNginxIsUndone() async throws {
        try DebianTool.nginx.require(for: "a start of ocf:heartbeat:nginx")
        try DebianTool.ocfNginx.require(for: "a start of ocf:heartbeat:nginx")
        let root = try XCTUnwrap(directory)
        let site = try NginxSite(in: root.path, name: "web", port: try FreePort.tcp(), page: "ok\n")
        try "events {}\nhttp { server { listen 127.0.0.1:1; no_such_directive on; } }\n".write(toFile: site.configFile, atomically: true, encoding: .utf8)
        let data = try dummy("data")
        let web = OCFResource(provider: "heartbeat", type: "nginx", instance: "web", parameters: ["configfile": site.configFile])
        let resources = [data, web].map { FailoverConfig.Resource(ocf: $0, startTimeout: ConfigDuration(seconds: 10), stopTimeout: ConfigDuration(seconds: 10)) }
        let report = await runner.run(.start, sequence(resources), context: context)
        XCTAssertFalse(report.succeeded)
        XCTAssertTrue(report.summary.hasPrefix("start: ocf:heartbeat:nginx (web) exited "), report.summary)
        XCTAssertTrue(report.summary.hasSuffix("; stopped again: web, data"), report.summary)
        let dataAfter = await monitor(data)
        XCTAssertEqual(dataAfter, .exited(7), "the Dummy started first was stopped again")
    }

    func testNginxServesBetweenItsStartAndItsStop() async throws {
        try DebianTool.nginx.require(for: "a start of ocf:heartbeat:nginx")
        let root = try XCTUnwrap(directory)
        let site = try NginxSite(in: root.path, name: "web", port: try FreePort.tcp(), page: "served by the agent\n")
        defer { site.crash() }
        let web = OCFResource(provider: "heartbeat", type: "nginx", instance: "web", parameters: ["configfile": site.configFile])
        let resources = [try dummy("data"), web].map { FailoverConfig.Resource(ocf: $0, startTimeout: ConfigDuration(seconds: 20), stopTimeout: ConfigDuration(seconds: 20)) }
        let start = await runner.run(.start, sequence(resources), context: context)
        XCTAssertTrue(start.succeeded, "\(start.summary)\n\(start.outputTail)")
        let page = try LoopbackClient.http(port: site.port, path: "/")
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.body, "served by the agent\n")

        let stop = await runner.run(.stop, sequence(resources), context: context)
        XCTAssertTrue(stop.succeeded, "\(stop.summary)\n\(stop.outputTail)")
        XCTAssertFalse(site.running, "nginx still runs after the stop")
        XCTAssertThrowsError(try LoopbackClient.http(port: site.port, path: "/"), "nothing answers after the stop")
    }
}
