import VacataireCore
import VacataireTestSupport
import XCTest

final class CheckConfigTests: XCTestCase {
    private func parse(_ checks: String, file: String = "/etc/vacataire/node.yaml") -> Result<[CheckConfig], ConfigErrors> {
        let text = "node:\n  name: alpha\n  cluster: pair\nchecks:\n" + checks
        do {
            return .success(try Config.parse(text, file: file).checks)
        } catch {
            return .failure(error)
        }
    }

    private func problems(_ checks: String) -> [ConfigProblem] {
        guard case .failure(let errors) = parse(checks) else {
            XCTFail("expected configuration errors")
            return []
        }
        return errors.problems
    }

    func testReadsEveryKindWithDefaults() throws {
        let checks = try parse("""
              - name: nginx
                kind: process
                process_name: nginx
                min_count: 2
              - name: memory
                kind: memory
                min_available_percent: 15%
              - name: page
                kind: http
                url: https://127.0.0.1/index.html
                expect_status: 200-399
                expect_bytes: 1234
                headers: ["Host: www.example.org"]
                severity: warning
              - name: db
                kind: tcp
                host: 127.0.0.1
                port: 5432
                interval: 5s
                timeout: 500ms
              - name: disk
                kind: exec
                command: [check_disk, -w, "10%"]
                on_timeout: unknown
                rise: 1
                fall: 5
            """).get()
        XCTAssertEqual(checks.map(\.name), ["nginx", "memory", "page", "db", "disk"])
        XCTAssertEqual(checks[0].kind, .process(ProcessCheckSettings(match: .name("nginx"), minimum: 2)))
        XCTAssertEqual(checks[0].interval, CheckConfig.defaultInterval)
        XCTAssertEqual(checks[0].rise, 2)
        XCTAssertEqual(checks[0].fall, 3)
        XCTAssertEqual(checks[0].severity, .critical)
        XCTAssertEqual(checks[1].kind, .memory(MemoryCheckSettings(minAvailablePercent: 15, minSwapFreePercent: 10)))
        guard case .http(let http) = checks[2].kind else { return XCTFail("not http") }
        XCTAssertEqual(http.expectStatus, 200...399)
        XCTAssertEqual(http.expectBytes, 1234)
        XCTAssertTrue(http.verifyTLS)
        XCTAssertEqual(checks[2].severity, .warning)
        XCTAssertEqual(checks[3].timeout, ConfigDuration(seconds: 0.5))
        XCTAssertEqual(checks[4].kind, .exec(ExecCheckSettings(command: ["check_disk", "-w", "10%"], onTimeout: .unknown)))
        XCTAssertEqual(checks[4].fall, 5)
    }

    func testRelativePathsResolveAgainstTheConfigDirectory() throws {
        let checks = try parse("""
              - name: script
                kind: exec
                command: [./hang.sh, x]
              - name: pid
                kind: process
                pidfile: run/app.pid
            """, file: CheckFixtures.path("node.yaml")).get()
        XCTAssertEqual(checks[0].kind, .exec(ExecCheckSettings(command: [CheckFixtures.path("hang.sh"), "x"])))
        XCTAssertEqual(checks[1].kind, .process(ProcessCheckSettings(match: .pidfile(CheckFixtures.path("run/app.pid")))))
    }

    func testUnknownKindNamesLineAndKey() {
        let found = problems("""
              - name: web
                kind: smtp
            """)
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found.first?.key, "checks[0].kind")
        XCTAssertEqual(found.first?.line, 6)
        XCTAssertTrue(found.first?.message.contains("one of: process, memory, http, tcp, exec") ?? false, "\(found)")
        XCTAssertTrue(found.first?.description.hasPrefix("/etc/vacataire/node.yaml:6: checks[0].kind:") ?? false, "\(found)")
    }

    func testMisspelledKindIsTheOnlyProblemReported() {
        let found = problems("""
              - name: web
                kind: htp
                url: http://127.0.0.1/
                expect_bytes: 12
            """)
        XCTAssertEqual(found.map(\.key), ["checks[0].kind"])
    }

    func testTimeoutDefaultsToAtMostTheInterval() throws {
        let checks = try parse("""
              - name: db
                kind: tcp
                host: 127.0.0.1
                port: 5432
                interval: 2s
            """).get()
        XCTAssertEqual(checks.first?.timeout, ConfigDuration(seconds: 2))
    }

    func testUnknownKeyOfTheKindIsReported() {
        let found = problems("""
              - name: web
                kind: http
                url: http://127.0.0.1/
                expect_byte: 12
            """)
        XCTAssertEqual(found.map(\.key), ["checks[0].expect_byte"])
        XCTAssertEqual(found.first?.line, 8)
        XCTAssertTrue(found.first?.message.contains("unknown key") ?? false)
    }

    func testBadValuesAreEachReported() {
        let found = problems("""
              - name: web
                kind: http
                url: ftp://127.0.0.1/
                expect_status: 700
                method: get
                rise: 0
                interval: 5s
                timeout: 10s
              - name: proc
                kind: process
                process_name: nginx
                pidfile: /run/nginx.pid
              - name: plugin
                kind: exec
                command: [/nonexistent/check_x]
              - name: port
                kind: tcp
                host: 127.0.0.1
                port: 70000
            """)
        let keys = Set(found.map(\.key))
        for key in [
            "checks[0].url", "checks[0].expect_status", "checks[0].method", "checks[0].rise", "checks[0].timeout",
            "checks[1].kind", "checks[2].command", "checks[3].port",
        ] {
            XCTAssertTrue(keys.contains(key), "no problem for \(key) in \(found)")
        }
        XCTAssertEqual(found.first { $0.key == "checks[0].url" }?.line, 7)
        XCTAssertEqual(found.first { $0.key == "checks[3].port" }?.line, 23)
        XCTAssertTrue(found.allSatisfy { $0.line != nil }, "\(found)")
    }

    func testDuplicateNamesAndSecretHeadersStayOutOfMessages() {
        let found = problems("""
              - name: web
                kind: tcp
                host: 127.0.0.1
                port: 80
              - name: web
                kind: http
                url: http://127.0.0.1/
                headers: ["Authorization Bearer hunter2"]
            """)
        XCTAssertTrue(found.contains { $0.message.contains("two checks are named `web`") }, "\(found)")
        XCTAssertTrue(found.contains { $0.key == "checks[1].headers" }, "\(found)")
        XCTAssertFalse(found.description.contains("hunter2"))
    }

    func testWrongTypeIsReportedWithTheExpectation() {
        let found = problems("""
              - name: mem
                kind: memory
                min_available_percent: lots
                fall: [1, 2]
            """)
        XCTAssertTrue(found.contains { $0.key == "checks[0].min_available_percent" && $0.message.contains("percentage") }, "\(found)")
        XCTAssertTrue(found.contains { $0.key == "checks[0].fall" && $0.message.contains("whole number") }, "\(found)")
    }
}
