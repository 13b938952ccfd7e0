import Foundation
import VacataireCore
import VacataireNotify
import VacataireTestSupport
import XCTest

/// Email and SNMP delivery against real servers: aiosmtpd and snmptrapd on loopback.
final class DeliveryTests: XCTestCase {
    private var state: TemporaryDirectory!

    override func setUpWithError() throws {
        state = try TemporaryDirectory("state")
    }

    override func tearDown() {
        state.remove()
    }

    private func config(smtpPorts: [Int], trapPort: Int?, community: String = "public") throws -> Config {
        var text = """
            node: {name: alpha, cluster: web-pair}
            state_dir: \(state.path)
            notify:
              email:

            """
        for port in smtpPorts {
            text += """
                    - url: smtp://127.0.0.1:\(port)
                      from: vacataire@example.org
                      to: [oncall@example.org, second@example.org]
                      starttls: "off"
                      timeout: 5s

                """
        }
        if let trapPort {
            text += "  snmp:\n    - {address: 127.0.0.1, port: \(trapPort), community: \(community)}\n"
        }
        return try Config.parse(text, file: state.file("node.yaml"))
    }

    private func sender(_ config: Config) throws -> NotificationSender {
        NotificationSender(config: config, templates: try TemplateSet(defaults: Repository.path("Templates"), overrides: nil))
    }

    func testEmailArrivesRenderedFromTheTemplate() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let sender = try sender(try config(smtpPorts: [sink.port], trapPort: nil))
        let outcomes = await sender.send(sender.testNotification(requestedBy: "marie"), channels: [.email])
        XCTAssertEqual(outcomes.map(\.line), ["email smtp://127.0.0.1:\(sink.port) (127.0.0.1:\(sink.port)): ok"])
        let mail = try XCTUnwrap(sink.waitForMessages(1).first)
        XCTAssertEqual(mail.mailFrom, "vacataire@example.org")
        XCTAssertEqual(mail.recipients, ["oncall@example.org", "second@example.org"])
        let headers = mail.headers
        XCTAssertEqual(headers["subject"], "[web-pair] test notification from alpha")
        XCTAssertEqual(headers["from"], "vacataire@example.org")
        XCTAssertEqual(headers["to"], "oncall@example.org, second@example.org")
        XCTAssertEqual(headers["auto-submitted"], "auto-generated")
        XCTAssertEqual(headers["mime-version"], "1.0")
        XCTAssertEqual(headers["content-type"], "text/plain; charset=utf-8")
        XCTAssertTrue(headers["message-id"]?.hasSuffix("@alpha.web-pair.vacataire>") == true, "\(headers)")
        XCTAssertNotNil(headers["date"])
        XCTAssertTrue(mail.body.contains("This is a test notification from Le Vacataire on alpha."), mail.body)
        XCTAssertTrue(mail.body.contains("Reason:    notification test requested by marie"), mail.body)
    }

    /// aiosmtpd, like most servers, refuses a line over 998 octets with a permanent 500:
    /// a digest listing thousands of suppressed events must still arrive whole.
    func testABodyLineLongerThanSMTPAllowsIsDeliveredWhole() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let sender = try sender(try config(smtpPorts: [sink.port], trapPort: nil))
        let user = String(repeating: "marie-", count: 600)
        let outcomes = await sender.send(sender.testNotification(requestedBy: user), channels: [.email])
        XCTAssertEqual(outcomes.map(\.line), ["email smtp://127.0.0.1:\(sink.port) (127.0.0.1:\(sink.port)): ok"])
        let mail = try XCTUnwrap(sink.waitForMessages(1).first)
        XCTAssertTrue(mail.body.contains("Reason:    notification test requested by \(user)"), mail.body)
    }

    func testRefusedConnectionNamesTheServer() async throws {
        let closed = try FreePort.tcp()
        let sender = try sender(try config(smtpPorts: [closed], trapPort: nil))
        let outcomes = await sender.send(sender.testNotification(requestedBy: "marie"), channels: [.email])
        XCTAssertEqual(outcomes.first?.error?.message, "connection refused by 127.0.0.1:\(closed)")
        XCTAssertEqual(outcomes.first?.error?.kind, .connection)
    }

    func testRejectedRecipientIsReported() async throws {
        let sink = try SMTPSink(arguments: ["--reject-rcpt", "second@example.org"])
        defer { sink.stop() }
        let sender = try sender(try config(smtpPorts: [sink.port], trapPort: nil))
        let outcomes = await sender.send(sender.testNotification(requestedBy: "marie"), channels: [.email])
        let error = try XCTUnwrap(outcomes.first?.error)
        XCTAssertEqual(error.kind, .rejected)
        XCTAssertTrue(error.message.contains("127.0.0.1:\(sink.port) rejected the message"), error.message)
        XCTAssertTrue(error.message.contains("550"), error.message)
        XCTAssertTrue(sink.messages().isEmpty)
    }

    func testRequiredStartTLSRefusesAPlainServer() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        var config = try config(smtpPorts: [sink.port], trapPort: nil)
        config.notify.email[0].starttls = .required
        let sender = try sender(config)
        let outcomes = await sender.send(sender.testNotification(requestedBy: "marie"), channels: [.email])
        XCTAssertEqual(outcomes.first?.error?.kind, .tls)
        XCTAssertTrue(outcomes.first?.error?.message.contains("does not offer STARTTLS") == true, "\(outcomes)")
        XCTAssertTrue(sink.messages().isEmpty, "nothing may go out in clear text")
    }

    func testTrapArrivesWithItsVarbindsByName() async throws {
        let receiver = try TrapReceiver(community: "s3cret")
        defer { receiver.stop() }
        let sender = try sender(try config(smtpPorts: [], trapPort: receiver.port, community: "s3cret"))
        let outcomes = await sender.send(sender.testNotification(requestedBy: "marie"), channels: [.snmp])
        XCTAssertEqual(outcomes.map(\.line), ["snmp 127.0.0.1:\(receiver.port) (127.0.0.1:\(receiver.port)): ok"])
        let trap = try XCTUnwrap(receiver.waitForNotifications(1).first)
        XCTAssertEqual(trap.security, "TRAP2, SNMP v2c, community s3cret")
        XCTAssertTrue(trap.varbinds.count >= 12, "\(trap.varbinds)")
        XCTAssertTrue(trap.varbinds[0].contains("sysUpTime"), trap.varbinds[0])
        XCTAssertTrue(trap.varbinds[0].contains("Timeticks"), trap.varbinds[0])
        XCTAssertTrue(trap.varbinds[1].contains("snmpTrapOID.0"), trap.varbinds[1])
        XCTAssertEqual(trap.value("snmpTrapOID"), "OID: LE-VACATAIRE-MIB::vacTest")
        XCTAssertEqual(trap.value("vacNodeName"), "STRING: alpha")
        XCTAssertEqual(trap.value("vacClusterName"), "STRING: web-pair")
        XCTAssertEqual(trap.value("vacEventKind"), "STRING: test")
        XCTAssertEqual(trap.value("vacReason"), "STRING: notification test requested by marie")
        XCTAssertEqual(trap.value("vacMessage"), "STRING: web-pair/alpha test: notification test requested by marie")
    }

    func testOurMIBIsCleanUnderSmilint() throws {
        let smilint = "/usr/bin/smilint"
        guard FileManager.default.isExecutableFile(atPath: smilint) else {
            throw FixtureError("the MIB lint needs smilint: apt-get install smitools")
        }
        let lint = try Repository.run(
            smilint, ["-l", "3", Repository.path("Docs/mibs/LE-VACATAIRE-MIB.txt")], environment: ["SMIPATH": try Repository.baseMIBs()])
        let text = lint.stdout + lint.stderr
        XCTAssertEqual(text, "", "smilint -l 3 complains")
    }
}
