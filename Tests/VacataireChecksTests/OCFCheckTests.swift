import Foundation
import VacataireChecks
import VacataireCore
import VacataireTestSupport
import XCTest

/// `kind: ocf`: a resource agent's monitor, with Debian's `ocf:heartbeat:Dummy` and agents
/// written for the test where Dummy cannot show the contract.
final class OCFCheckTests: XCTestCase {
    private var scratch: CheckScratchDirectory?

    override func setUpWithError() throws {
        try DebianTool.ocfDummy.require(for: "the ocf check against ocf:heartbeat:Dummy")
        scratch = try CheckScratchDirectory("ocf-check")
    }

    override func tearDown() {
        scratch?.remove()
    }

    private func dummy() throws -> (resource: OCFResource, state: String) {
        let state = try XCTUnwrap(scratch).path + "/dummy.state"
        return (OCFResource(provider: "heartbeat", type: "Dummy", instance: "check-test", parameters: ["state": state]), state)
    }

    func testDummyIsFailingUntilStartedAndAfterItsStateFileIsRemoved() async throws {
        let (resource, state) = try dummy()
        let check = OCFCheck(OCFCheckSettings(resource: resource), interval: .seconds(10))

        let before = await check.run(timeout: .seconds(10))
        XCTAssertEqual(before.status, .critical)
        XCTAssertEqual(before.message, "ocf:heartbeat:Dummy (check-test) monitor exited 7 (OCF_NOT_RUNNING: not running): No process state file found")

        let start = await resource.call(.start, timeout: .seconds(10))
        XCTAssertEqual(start.termination, .exited(0), start.tail.text)
        XCTAssertTrue(FileManager.default.fileExists(atPath: state), "Dummy keeps its state in its `state` parameter's file")
        let running = await check.run(timeout: .seconds(10))
        XCTAssertEqual(running.status, .ok, running.message)
        XCTAssertEqual(running.message, "ocf:heartbeat:Dummy (check-test) monitor: running")

        try FileManager.default.removeItem(atPath: state)
        let removed = await check.run(timeout: .seconds(10))
        XCTAssertEqual(removed.status, .critical)
        XCTAssertTrue(removed.message.contains("exited 7 (OCF_NOT_RUNNING: not running)"), removed.message)
    }

    func testTheMonitorGetsTheContractsEnvironmentAndNothingInherited() async throws {
        let agent = try ScriptedAgent(in: try XCTUnwrap(scratch).path, type: "env", body: """
            echo "ocf-exit-reason:$1 interval=$OCF_RESKEY_CRM_meta_interval timeout=$OCF_RESKEY_CRM_meta_timeout instance=$OCF_RESOURCE_INSTANCE root=$OCF_ROOT name=$OCF_RESKEY_name stray=${OCF_RESKEY_stray-unset}"
            exit 6
            """)
        setenv("OCF_RESKEY_stray", "from the agent's own environment", 1)
        defer { unsetenv("OCF_RESKEY_stray") }
        let resource = OCFResource(root: agent.root, provider: "test", type: "env", instance: "web", parameters: ["name": "value with spaces"])
        let result = await OCFCheck(OCFCheckSettings(resource: resource), interval: .milliseconds(2_500)).run(timeout: .milliseconds(1_500))
        XCTAssertEqual(result.status, .critical)
        XCTAssertEqual(result.message, "ocf:test:env (web) monitor exited 6 (OCF_ERR_CONFIGURED: not configured: the resource's configuration is invalid (fatal)): "
            + "monitor interval=2500 timeout=1500 instance=web root=\(agent.root) name=value with spaces stray=unset")
    }

    func testAnyOtherCodeFailsWithItsMeaningAndTheLastLine() async throws {
        let agent = try ScriptedAgent(in: try XCTUnwrap(scratch).path, type: "generic", body: "echo starting up\necho 'cannot reach the database'\nexit 1\n")
        let resource = OCFResource(root: agent.root, provider: "test", type: "generic")
        let result = await OCFCheck(OCFCheckSettings(resource: resource), interval: .seconds(1)).run(timeout: .seconds(5))
        XCTAssertEqual(result.status, .critical)
        XCTAssertEqual(result.message, "ocf:test:generic monitor exited 1 (OCF_ERR_GENERIC: generic error): cannot reach the database")
    }

    func testAHungMonitorIsKilledAtItsTimeout() async throws {
        let agent = try ScriptedAgent(in: try XCTUnwrap(scratch).path, type: "hang", body: "sleep 60\n")
        let resource = OCFResource(root: agent.root, provider: "test", type: "hang")
        let result = await OCFCheck(OCFCheckSettings(resource: resource), interval: .seconds(1)).run(timeout: .milliseconds(300))
        XCTAssertEqual(result.status, .critical)
        XCTAssertEqual(result.message, "ocf:test:hang monitor timed out after 300ms; its process group was killed")
    }

    func testTheConfigurationBuildsTheCheck() throws {
        let (resource, _) = try dummy()
        let config = CheckConfig(name: "dummy", kind: .ocf(OCFCheckSettings(resource: resource)), interval: ConfigDuration(seconds: 7))
        let check = try XCTUnwrap(config.makeCheck() as? OCFCheck)
        XCTAssertEqual(check.interval, .seconds(7))
        XCTAssertEqual(config.scope, .service)
    }
}
