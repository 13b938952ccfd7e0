import XCTest
@testable import VacataireCore

/// The OCF contract's exit codes, what they mean for each action, and the environment.
final class OCFActionTests: XCTestCase {
    func testAStopOfAStoppedResourceSucceeds() {
        XCTAssertTrue(OCFAction.stop.succeeded(0))
        XCTAssertTrue(OCFAction.stop.succeeded(7), "7 (not running) answers a stop: stopped")
        XCTAssertFalse(OCFAction.stop.succeeded(1))
        XCTAssertFalse(OCFAction.start.succeeded(7))
        XCTAssertFalse(OCFAction.monitor.succeeded(7))
        XCTAssertTrue(OCFAction.monitor.succeeded(0))
    }

    func testEveryCodeHasItsNameAndMeaning() {
        XCTAssertEqual(OCFExitCode.describe(6), "6 (OCF_ERR_CONFIGURED: not configured: the resource's configuration is invalid (fatal))")
        XCTAssertEqual(OCFExitCode.describe(7), "7 (OCF_NOT_RUNNING: not running)")
        XCTAssertEqual(OCFExitCode.describe(5), "5 (OCF_ERR_INSTALLED: a required component is not installed)")
        XCTAssertEqual(OCFExitCode.describe(42), "42 (not an OCF exit code)")
        XCTAssertEqual(Set(OCFExitCode.allCases.map(\.name)).count, 10)
    }

    func testTheExitReasonIsTheLastMarkedLine() {
        let output = "INFO: Using /usr/sbin/nginx\nocf-exit-reason:first\nls: cannot access x\nocf-exit-reason:Cannot parse config file [/x.conf]\nmore\n"
        XCTAssertEqual(OCFExitCode.exitReason(in: output), "Cannot parse config file [/x.conf]")
        XCTAssertNil(OCFExitCode.exitReason(in: "no reason here\n"))
    }

    func testValidateAllRefusesOnlyWhatTheAgentJudgedInvalid() {
        let verdicts = (0...9).map { OCFValidationVerdict(exitCode: $0) }
        XCTAssertEqual(verdicts, [.valid, .undecided, .refused, .valid, .undecided, .refused, .refused, .undecided, .undecided, .undecided])
        XCTAssertEqual(OCFValidationVerdict(exitCode: 127), .undecided)
    }

    func testWhatTheAgentSaysWithoutItsLogTimestamp() {
        XCTAssertEqual(OCFExitCode.agentSays("Dec 07 09:31:08 INFO: Using nginx\nDec  7 09:31:08 INFO: nginx not running\n\n"), "INFO: nginx not running")
        XCTAssertEqual(OCFExitCode.agentSays("INFO: x\nocf-exit-reason:State file is not writable\nDec 07 09:31:08 INFO: after\n"), "State file is not writable")
        XCTAssertEqual(OCFExitCode.agentSays("cannot reach the database\n"), "cannot reach the database")
        XCTAssertNil(OCFExitCode.agentSays(""))
        XCTAssertNil(OCFExitCode.agentSays("\n  \n"))
    }

    func testTheEnvironmentFollowsTheContract() {
        let resource = OCFResource(provider: "heartbeat", type: "nginx", instance: "web", parameters: ["configfile": "/etc/nginx/nginx.conf"])
        XCTAssertEqual(resource.agentPath, "/usr/lib/ocf/resource.d/heartbeat/nginx")
        XCTAssertEqual(resource.description, "ocf:heartbeat:nginx (web)")
        let start = resource.environment(for: .start, timeout: .milliseconds(30_500))
        XCTAssertEqual(start["OCF_ROOT"], "/usr/lib/ocf")
        XCTAssertEqual(start["OCF_RESOURCE_INSTANCE"], "web")
        XCTAssertEqual(start["OCF_RESOURCE_TYPE"], "nginx")
        XCTAssertEqual(start["OCF_RESKEY_configfile"], "/etc/nginx/nginx.conf")
        XCTAssertEqual(start["OCF_RESKEY_CRM_meta_timeout"], "30500")
        XCTAssertNil(start["OCF_RESKEY_CRM_meta_interval"], "only a recurring monitor has an interval")
        let monitor = resource.environment(for: .monitor, timeout: .seconds(5), interval: .seconds(10))
        XCTAssertEqual(monitor["OCF_RESKEY_CRM_meta_interval"], "10000")
        XCTAssertEqual(OCFResource(provider: "heartbeat", type: "Dummy").description, "ocf:heartbeat:Dummy", "the instance is the type by default")
    }

    func testParameterNames() {
        XCTAssertTrue(OCFResource.isParameterName("configfile"))
        XCTAssertTrue(OCFResource.isParameterName("status10url"))
        XCTAssertTrue(OCFResource.isParameterName("op_sleep"))
        XCTAssertFalse(OCFResource.isParameterName("config-file"))
        XCTAssertFalse(OCFResource.isParameterName("a b"))
        XCTAssertFalse(OCFResource.isParameterName(""))
        XCTAssertFalse(OCFResource.isParameterName("é"))
    }
}
