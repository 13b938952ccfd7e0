import VacataireCore
import VacataireTestSupport
import XCTest

final class ConfigTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("config")
    }

    override func tearDown() {
        directory.remove()
    }

    private let valid = """
        node:
          name: alpha
          cluster: web-pair
        state_dir: state
        notify:
          email:
            - name: oncall
              url: smtp://127.0.0.1:2525
              from: vacataire@example.org
              to: [oncall@example.org, boss@example.org]
              starttls: "off"
              timeout: 5s
          snmp:
            - address: 127.0.0.1
              port: 1162
              community: secret-community
        """

    /// Parses `text` and returns its problems; fails the test if it parsed.
    private func problems(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [ConfigProblem] {
        do {
            _ = try Config.parse(text, file: directory.file("node.yaml"))
            XCTFail("expected errors", file: file, line: line)
            return []
        } catch {
            return error.problems
        }
    }

    func testValidConfigurationReadsEveryValue() throws {
        let config = try Config.parse(valid, file: directory.file("node.yaml"))
        XCTAssertEqual(config.node, NodeIdentity(name: "alpha", cluster: "web-pair"))
        XCTAssertEqual(config.stateDirectory, directory.file("state"))
        XCTAssertEqual(config.notify.email.count, 1)
        let email = try XCTUnwrap(config.notify.email.first)
        XCTAssertEqual(email.name, "oncall")
        XCTAssertEqual(email.endpoint, "127.0.0.1:2525")
        XCTAssertEqual(email.to.map(\.address), ["oncall@example.org", "boss@example.org"])
        XCTAssertEqual(email.timeout, ConfigDuration(seconds: 5))
        XCTAssertEqual(email.starttls, .off)
        let snmp = try XCTUnwrap(config.notify.snmp.first)
        XCTAssertEqual(snmp.endpoint, "127.0.0.1:1162")
        XCTAssertEqual(snmp.name, "127.0.0.1:1162")
        XCTAssertEqual(snmp.version, .v2c)
        XCTAssertEqual(snmp.community, "secret-community")
    }

    func testStartTLSIsRequiredUnlessTurnedOff() throws {
        let text = valid.replacingOccurrences(of: "      starttls: \"off\"\n", with: "")
        let config = try Config.parse(text, file: directory.file("node.yaml"))
        XCTAssertEqual(config.notify.email.first?.starttls, .required)
    }

    func testUnknownKeyIsNamedWithItsLine() {
        let text = valid.replacingOccurrences(of: "      to: [oncall", with: "      recipents: [x@example.org]\n      to: [oncall")
        let found = problems(text)
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found.first?.key, "notify.email[0].recipents")
        XCTAssertEqual(found.first?.line, 10)
        XCTAssertTrue(found.first?.message.contains("unknown key") == true)
        XCTAssertTrue(found.first?.description.hasPrefix(directory.file("node.yaml") + ":10: notify.email[0].recipents:") == true)
    }

    func testWrongTypeSaysWhatIsExpected() {
        let found = problems(valid.replacingOccurrences(of: "port: 1162", with: "port: [1162]"))
        XCTAssertEqual(found.map(\.key), ["notify.snmp[0].port"])
        XCTAssertTrue(found[0].message.contains("expected a port number from 1 to 65535, found a list"), found[0].message)
        let outOfRange = problems(valid.replacingOccurrences(of: "port: 1162", with: "port: 70000"))
        XCTAssertTrue(outOfRange[0].message.contains("found `70000`"), outOfRange[0].message)
        XCTAssertEqual(outOfRange[0].line, 15)
    }

    func testEmptyRecipientListIsAnError() {
        let found = problems(valid.replacingOccurrences(of: "to: [oncall@example.org, boss@example.org]", with: "to: []"))
        XCTAssertEqual(found.map(\.key), ["notify.email[0].to"])
        XCTAssertTrue(found[0].message.contains("at least one recipient"))
    }

    func testTwoDestinationsWithOneNameAreAnError() {
        let second = "    - name: oncall\n      url: smtp://127.0.0.1:2526\n      from: vacataire@example.org\n      to: ops@example.org\n"
        let twice = valid.replacingOccurrences(of: "  snmp:", with: second + "  snmp:")
        let found = problems(twice)
        XCTAssertEqual(found.map(\.key), ["notify.email"])
        XCTAssertTrue(found.first?.message.contains("two destinations are named `oncall`") ?? false, "\(found)")
    }

    func testBadAddressesAreErrors() {
        let badMail = problems(valid.replacingOccurrences(of: "boss@example.org", with: "boss at example"))
        XCTAssertEqual(badMail.map(\.key), ["notify.email[0].to[1]"])
        XCTAssertTrue(badMail[0].message.contains("expected an email address"))
        let badHost = problems(valid.replacingOccurrences(of: "address: 127.0.0.1", with: "address: 300.1.2.3"))
        XCTAssertEqual(badHost.map(\.key), ["notify.snmp[0].address"])
        let badURL = problems(valid.replacingOccurrences(of: "smtp://127.0.0.1:2525", with: "http://127.0.0.1:2525"))
        XCTAssertEqual(badURL.map(\.key), ["notify.email[0].url"])
        XCTAssertTrue(badURL[0].message.contains("smtp://HOST[:PORT]"))
    }

    func testMissingFilesAreErrors() {
        let noTemplates = problems(valid + "\ntemplates_dir: no-such-dir\n")
        XCTAssertEqual(noTemplates.map(\.key), ["templates_dir"])
        XCTAssertTrue(noTemplates[0].message.contains("no such directory"))
        XCTAssertThrowsError(try Config.load(path: directory.file("absent.yaml"))) { error in
            let problems = (error as? ConfigErrors)?.problems ?? []
            XCTAssertEqual(problems.count, 1)
            XCTAssertTrue(problems.first?.description.contains("absent.yaml: cannot read the file") == true, "\(problems)")
        }
        let noPassword = problems(valid.replacingOccurrences(of: "      timeout: 5s", with: "      timeout: 5s\n      username: bot\n      password_file: nope"))
        XCTAssertEqual(noPassword.map(\.key), ["notify.email[0].password_file"])
    }

    func testMissingRequiredKeysAreAllReported() {
        let found = problems("node:\n  name: alpha\nnotify:\n  email:\n    - url: smtp://localhost\n")
        XCTAssertEqual(Set(found.map(\.key)), ["node.cluster", "notify.email[0].from", "notify.email[0].to"])
    }

    func testSyntaxErrorsAndDuplicatesGiveALine() {
        let syntax = problems("node:\n  name: alpha\n   cluster: [x\n")
        XCTAssertEqual(syntax.count, 1)
        XCTAssertNotNil(syntax.first?.line)
        XCTAssertTrue(syntax.first?.message.hasPrefix("not valid YAML") == true)
        let duplicate = problems("node:\n  name: alpha\n  name: beta\n  cluster: c\n")
        XCTAssertTrue(duplicate.first?.message.contains("duplicate") == true, "\(duplicate)")
        let empty = problems("")
        XCTAssertTrue(empty.first?.message.contains("empty") == true)
    }

    func testDurationsAndIdentifiers() {
        XCTAssertEqual(try ConfigDuration.parse("250ms").get(), ConfigDuration(seconds: 0.25))
        XCTAssertEqual(try ConfigDuration.parse("2m").get(), ConfigDuration(seconds: 120))
        XCTAssertEqual(try ConfigDuration.parse("1.5").get(), ConfigDuration(seconds: 1.5))
        XCTAssertThrowsError(try ConfigDuration.parse("soon").get())
        XCTAssertThrowsError(try ConfigDuration.parse("-1s").get())
        let badName = problems(valid.replacingOccurrences(of: "name: alpha", with: "name: \"al pha\""))
        XCTAssertEqual(badName.map(\.key), ["node.name"])
    }
}
