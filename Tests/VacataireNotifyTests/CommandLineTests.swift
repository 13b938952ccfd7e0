import Foundation
import VacataireTestSupport
import XCTest

/// The `vacataire` executable itself: exit codes and what it prints.
final class CommandLineTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("cli")
    }

    override func tearDown() {
        directory.remove()
    }

    private func writeConfig(smtpPort: Int, trapPort: Int) throws -> String {
        try directory.write("alpha.yaml", """
            node:
              name: alpha
              cluster: web-pair
            state_dir: state
            notify:
              email:
                - url: smtp://127.0.0.1:\(smtpPort)
                  from: vacataire@example.org
                  to: oncall@example.org
                  starttls: "off"
              snmp:
                - address: 127.0.0.1
                  port: \(trapPort)
                  community: do-not-print-me
            """)
    }

    func testCheckConfigAndCheckShowEachChecksScope() throws {
        let config = try directory.write("scoped.yaml", """
            node: {name: alpha, cluster: web-pair}
            state_dir: state
            checks:
              - {name: page, kind: http, url: "http://127.0.0.1:9/", expect_bytes: 4096}
              - {name: mem, kind: memory, min_available_percent: 1}
              - {name: disk, kind: exec, command: [/bin/true], scope: node}
            """)
        let checked = try Repository.runVacataire(["check-config", config])
        XCTAssertEqual(checked.status, 0, checked.stderr)
        let asTheOthers = try Repository.runVacataire(["check-config", "--config", config])
        XCTAssertEqual(asTheOthers.stdout, checked.stdout, "--config FILE, as every other command takes it, checks the same file")
        let two = try Repository.runVacataire(["check-config", config, "--config", "/etc/other.yaml"])
        XCTAssertEqual(two.status, 2)
        XCTAssertTrue(two.stderr.contains("two configuration files given"), two.stderr)
        XCTAssertTrue(checked.stdout.contains("page (http, critical, service scope)"), checked.stdout)
        XCTAssertTrue(checked.stdout.contains("mem (memory, critical, node scope)"), checked.stdout)
        XCTAssertTrue(checked.stdout.contains("disk (exec, critical, node scope)"), checked.stdout)
        let run = try Repository.runVacataire(["check", "--config", config])
        XCTAssertTrue(run.stdout.contains("scope: service checks (run where the service runs): page; node checks (run everywhere): mem, disk"), run.stdout)
        let json = try Repository.runVacataire(["check", "--config", config, "--json"])
        XCTAssertTrue(json.stdout.contains(#""scope" : "service""#) && json.stdout.contains(#""scope" : "node""#), json.stdout)
        let bad = try directory.write("bad-scope.yaml", """
            node: {name: alpha, cluster: web-pair}
            checks:
              - {name: mem, kind: memory, scope: everywhere}
            """)
        let refused = try Repository.runVacataire(["check-config", bad])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stdout.contains("checks[0].scope") || refused.stderr.contains("checks[0].scope"), refused.stdout + refused.stderr)
    }

    func testCheckConfigSaysOk() throws {
        let result = try Repository.runVacataire(["check-config", try writeConfig(smtpPort: 2525, trapPort: 1162)])
        XCTAssertEqual(result.status, 0, result.stderr)
        // "ok", or "ok, with N warning(s):" for the test's example.org addresses.
        XCTAssertTrue(result.stdout.hasPrefix("ok"), result.stdout)
        XCTAssertFalse(result.stdout.contains("do-not-print-me"), "a secret was printed")
        XCTAssertTrue(result.stdout.contains("  snmp engine id"), result.stdout)
    }

    func testEveryExampleInConfigPassesCheckConfig() throws {
        let directory = Repository.path("Config")
        let examples = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }
        XCTAssertFalse(examples.isEmpty, "Config/ holds no example")
        // The examples name the installed key file, which an admin makes; a test key stands in.
        let key = try self.directory.writePeerKey()
        for example in examples {
            let text = try String(contentsOfFile: "\(directory)/\(example)", encoding: .utf8)
            let copy = try self.directory.write(example, text.replacingOccurrences(of: "/etc/vacataire/peer.key", with: key))
            let result = try Repository.runVacataire(["check-config", copy])
            XCTAssertEqual(result.status, 0, "\(example): \(result.stderr)")
        }
    }

    func testTheExampleAsInstalledLacksOnlyItsKey() throws {
        let result = try Repository.runVacataire(["check-config", Repository.path("Config/vacataire.example.yaml")])
        XCTAssertEqual(result.status, 1, result.stdout)
        let problems = result.stderr.split(separator: "\n").filter { !$0.contains("problem(s); vacataire refuses") }
        XCTAssertEqual(problems.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("failover.keys[0].file: cannot read the key file /etc/vacataire/peer.key"), result.stderr)
    }

    func testThePairExamplePassesCheckConfigOnceItHasAKey() throws {
        let pair = directory.file("pair")
        try FileManager.default.copyItem(atPath: Repository.path("Config/pair"), toPath: pair)
        try directory.writePeerKey("pair/peer.key")
        for file in ["master.yaml", "standby.yaml"] {
            let result = try Repository.runVacataire(["check-config", "\(pair)/\(file)"])
            XCTAssertEqual(result.status, 0, "\(file): \(result.stderr)")
            XCTAssertTrue(result.stdout.contains("failover: configured"), result.stdout)
        }
    }

    /// Key files the YAML may name but `run` cannot use: `check-config` refuses each as
    /// `run` does, with the same words, and so an empty control socket path.
    func testCheckConfigRefusesTheKeyFilesAndSocketRunRefuses() throws {
        let pair = directory.file("pair")
        try FileManager.default.copyItem(atPath: Repository.path("Config/pair"), toPath: pair)
        let key = "\(pair)/peer.key"
        let variants: [(String, () throws -> Void, String)] = [
            ("empty", { try Data().write(to: URL(fileURLWithPath: key)) }, "the key has 0 bytes, fewer than the 16 required"),
            ("3 bytes", { try Data("abc".utf8).write(to: URL(fileURLWithPath: key)) }, "the key has 3 bytes"),
            ("5 MB", { try Data(repeating: 0x61, count: 5 << 20).write(to: URL(fileURLWithPath: key)) }, "longer than 1024 bytes"),
            ("a directory", { try FileManager.default.createDirectory(atPath: key, withIntermediateDirectories: false) }, "not a regular file"),
            ("a fifo", { XCTAssertEqual(mkfifo(key, 0o600), 0) }, "not a regular file"),
        ]
        for (what, make, message) in variants {
            try? FileManager.default.removeItem(atPath: key)
            try make()
            chmod(key, 0o600)
            let checked = try Repository.runVacataire(["check-config", "\(pair)/master.yaml"])
            XCTAssertEqual(checked.status, 1, "\(what): \(checked.stdout)")
            XCTAssertTrue(checked.stderr.contains("peer key file \(key): \(message)"), "\(what): \(checked.stderr)")
            let run = try Repository.runVacataire(["run", "--config", "\(pair)/master.yaml"])
            XCTAssertEqual(run.status, 1, "\(what): run refuses it too")
            XCTAssertTrue(run.stderr.contains("peer key file \(key): \(message)"), "\(what): \(run.stderr)")
        }
        try? FileManager.default.removeItem(atPath: key)
        try directory.writePeerKey("pair/peer.key")
        let master = try String(contentsOfFile: "\(pair)/master.yaml", encoding: .utf8)
        let emptySocket = try directory.write("pair/empty-socket.yaml", master.replacingOccurrences(
            of: "socket: state-alpha/control.sock", with: "socket: \"\""))
        let checked = try Repository.runVacataire(["check-config", emptySocket])
        XCTAssertEqual(checked.status, 1, checked.stdout)
        XCTAssertTrue(checked.stderr.contains("control.socket: empty; give the socket's path"), checked.stderr)
    }

    func testAUsageErrorOfCheckIsUnknownNotCritical() throws {
        let result = try Repository.runVacataire(["check", "--bogus"])
        XCTAssertEqual(result.status, 3, "monitoring-plugin convention: UNKNOWN")
        XCTAssertTrue(result.stderr.contains("Unknown option '--bogus'"), result.stderr)
        XCTAssertEqual(try Repository.runVacataire(["status", "--bogus"]).status, 2, "other commands: usage error")
    }

    func testCheckConfigNamesFileLineAndKey() throws {
        let file = try directory.write("bad.yaml", "node:\n  name: alpha\n  cluster: pair\nnotify:\n  snmp:\n    - address: 127.0.0.1\n      prot: 162\n")
        let result = try Repository.runVacataire(["check-config", file])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("\(file):7: notify.snmp[0].prot: unknown key"), result.stderr)
        XCTAssertTrue(result.stdout.isEmpty)
    }

    func testBrokenOverrideTemplateFailsCheckConfig() throws {
        try FileManager.default.createDirectory(atPath: directory.file("templates"), withIntermediateDirectories: true)
        try directory.write("templates/failover.subject.mustache", "{{#open}} never closed")
        let file = try directory.write("t.yaml", "node: {name: a, cluster: b}\ntemplates_dir: templates\n")
        let result = try Repository.runVacataire(["check-config", file])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("failover.subject.mustache"), result.stderr)
    }

    func testUsageErrorExitsTwo() throws {
        let result = try Repository.runVacataire(["notify-test", "--channel", "pigeon", "--config", "x.yaml"])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("pigeon"), result.stderr)
    }

    func testNotifyTestReachesRealServersAndPrintsOneLineEach() throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let receiver = try TrapReceiver(community: "do-not-print-me")
        defer { receiver.stop() }
        let config = try writeConfig(smtpPort: sink.port, trapPort: receiver.port)
        let result = try Repository.runVacataire(["notify-test", "--config", config])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 2, result.stdout)
        XCTAssertTrue(result.stdout.contains("email smtp://127.0.0.1:\(sink.port) (127.0.0.1:\(sink.port)): ok"), result.stdout)
        XCTAssertTrue(result.stdout.contains("snmp 127.0.0.1:\(receiver.port) (127.0.0.1:\(receiver.port)): ok"), result.stdout)
        XCTAssertEqual(try sink.waitForMessages(1).count, 1)
        XCTAssertEqual(try receiver.waitForNotifications(1).first?.value("vacEventKind"), "STRING: test")
        XCTAssertFalse((result.stdout + result.stderr).contains("do-not-print-me"), "a secret was printed")
        XCTAssertFalse(result.stderr.contains("Cannot find module"), "Net-SNMP must start quietly: \(result.stderr)")
    }

    func testNotifyTestFailsWithThePreciseError() throws {
        let closed = try FreePort.tcp()
        let config = try writeConfig(smtpPort: closed, trapPort: 1162)
        let result = try Repository.runVacataire(["notify-test", "--config", config, "--channel", "email"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(
            result.stdout,
            "email smtp://127.0.0.1:\(closed) (127.0.0.1:\(closed)): failed: connection refused by 127.0.0.1:\(closed)\n"
        )
    }
}
