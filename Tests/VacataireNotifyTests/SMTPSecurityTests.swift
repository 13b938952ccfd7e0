import Foundation
import VacataireCore
import VacataireNotify
import VacataireTestSupport
import XCTest

/// Email over TLS (STARTTLS and smtps), with AUTH, and through an ordered list of servers,
/// against real aiosmtpd sinks and a certificate made with openssl for each test.
final class SMTPSecurityTests: XCTestCase {
    private var state: TemporaryDirectory!
    private var certificate: TestCertificate!
    private let password = "c0rrect-h0rse"

    override func setUpWithError() throws {
        state = try TemporaryDirectory("smtp-security")
        certificate = try TestCertificate(in: state)
    }

    override func tearDown() {
        state.remove()
    }

    /// One destination; `extra` lines go under it (indented like `from:`).
    private func sender(servers: [String], extra: [String] = []) throws -> NotificationSender {
        var text = """
            node: {name: alpha, cluster: web-pair}
            state_dir: \(state.path)/state
            notify:
              email:
                - name: ops
                  from: vacataire@example.org
                  to: [oncall@example.org, second@example.org]
                  timeout: 5s
                  connect_timeout: 2s

            """
        text += servers.count == 1
            ? "      url: \(servers[0])\n"
            : "      servers: [\(servers.joined(separator: ", "))]\n"
        text += extra.map { "      \($0)\n" }.joined()
        let config = try Config.parse(text, file: state.file("node.yaml"))
        return NotificationSender(config: config, templates: try TemplateSet(defaults: Repository.path("Templates"), overrides: nil))
    }

    private func send(_ sender: NotificationSender) async throws -> DeliveryOutcome {
        let outcomes = await sender.send(sender.testNotification(requestedBy: "marie"), channels: [.email])
        return try XCTUnwrap(outcomes.first)
    }

    private func failure(_ sender: NotificationSender) async throws -> DeliveryError {
        let outcome = try await send(sender)
        return try XCTUnwrap(outcome.error, outcome.line)
    }

    private func passwordFile(_ text: String) throws -> String {
        try state.write("smtp.password", text + "\n")
    }

    private var tlsArguments: [String] { ["--tls-cert", certificate.certificate, "--tls-key", certificate.key] }

    func testRequiredStartTLSWithAuthDelivers() async throws {
        let sink = try SMTPSink(arguments: tlsArguments + ["--require-starttls", "--auth", "vacataire:\(password)"])
        defer { sink.stop() }
        let sender = try sender(servers: ["smtp://127.0.0.1:\(sink.port)"], extra: [
            "starttls: required", "ca_file: \(certificate.certificate)",
            "username: vacataire", "password_file: \(try passwordFile(password))",
        ])
        let outcome = try await send(sender)
        XCTAssertEqual(outcome.line, "email ops (127.0.0.1:\(sink.port)): ok")
        let mail = try XCTUnwrap(sink.waitForMessages(1).first)
        XCTAssertTrue(mail.tls, "the session was not upgraded to TLS")
        XCTAssertTrue(mail.authenticated, "the session did not authenticate")
        XCTAssertEqual(mail.recipients, ["oncall@example.org", "second@example.org"])
    }

    func testWrongPasswordIsAClearErrorThatNeverShowsThePassword() async throws {
        let sink = try SMTPSink(arguments: tlsArguments + ["--require-starttls", "--auth", "vacataire:\(password)"])
        defer { sink.stop() }
        let wrong = "wr0ng-battery-staple"
        let sender = try sender(servers: ["smtp://127.0.0.1:\(sink.port)"], extra: [
            "ca_file: \(certificate.certificate)", "username: vacataire", "password_file: \(try passwordFile(wrong))",
        ])
        let outcome = try await send(sender)
        let error = try XCTUnwrap(outcome.error)
        XCTAssertEqual(error.kind, .authentication)
        XCTAssertTrue(error.message.hasPrefix("authentication failed at 127.0.0.1:\(sink.port)"), error.message)
        XCTAssertTrue(error.message.contains("vacataire"), error.message)
        for secret in [wrong, password] {
            XCTAssertFalse(outcome.line.contains(secret), "a password was printed: \(outcome.line)")
        }
        XCTAssertTrue(sink.messages().isEmpty)
    }

    func testSMTPSTrustsTheConfiguredCA() async throws {
        let sink = try SMTPSink(arguments: tlsArguments + ["--smtps"])
        defer { sink.stop() }
        let sender = try sender(servers: ["smtps://127.0.0.1:\(sink.port)"], extra: ["ca_file: \(certificate.certificate)"])
        let outcome = try await send(sender)
        XCTAssertEqual(outcome.line, "email ops (127.0.0.1:\(sink.port)): ok")
        let mail = try XCTUnwrap(sink.waitForMessages(1).first)
        XCTAssertTrue(mail.tls, "smtps must be TLS from the first byte")
    }

    func testSMTPSWithoutTheCARefusesTheCertificate() async throws {
        let sink = try SMTPSink(arguments: tlsArguments + ["--smtps"])
        defer { sink.stop() }
        let sender = try sender(servers: ["smtps://127.0.0.1:\(sink.port)"])
        let error = try await failure(sender)
        XCTAssertEqual(error.kind, .tls)
        XCTAssertTrue(error.message.hasPrefix("the certificate of 127.0.0.1:\(sink.port) is not trusted"), error.message)
        XCTAssertTrue(sink.messages().isEmpty)
    }

    func testFirstServerDownSecondDelivers() async throws {
        let down = try FreePort.tcp()
        let sink = try SMTPSink()
        defer { sink.stop() }
        let sender = try sender(
            servers: ["smtp://127.0.0.1:\(down)", "smtp://127.0.0.1:\(sink.port)"], extra: ["starttls: \"off\""]
        )
        let outcome = try await send(sender)
        XCTAssertEqual(
            outcome.line,
            "email ops (127.0.0.1:\(down), 127.0.0.1:\(sink.port)): ok via 127.0.0.1:\(sink.port)"
                + " (after: connection refused by 127.0.0.1:\(down))"
        )
        // The sink writes a message before it answers 250, and the sender waits for that
        // answer before `send` returns: every message this send made is already counted.
        XCTAssertEqual(sink.messages().count, 1, "one destination gets one message")
    }

    func testFirstServerUpSecondIsNotUsed() async throws {
        let first = try SMTPSink()
        let second = try SMTPSink()
        defer {
            first.stop()
            second.stop()
        }
        let sender = try sender(
            servers: ["smtp://127.0.0.1:\(first.port)", "smtp://127.0.0.1:\(second.port)"], extra: ["starttls: \"off\""]
        )
        let outcome = try await send(sender)
        XCTAssertEqual(outcome.line, "email ops (127.0.0.1:\(first.port), 127.0.0.1:\(second.port)): ok via 127.0.0.1:\(first.port)")
        XCTAssertEqual(try first.waitForMessages(1).count, 1)
        XCTAssertTrue(second.messages().isEmpty)
    }

    func testEveryServerDownNamesEachFailure() async throws {
        let first = try FreePort.tcp()
        let second = try FreePort.tcp()
        let sender = try sender(servers: ["smtp://127.0.0.1:\(first)", "smtp://127.0.0.1:\(second)"], extra: ["starttls: \"off\""])
        let error = try await failure(sender)
        XCTAssertEqual(error.kind, .connection)
        XCTAssertEqual(
            error.message,
            "all 2 servers failed: connection refused by 127.0.0.1:\(first); connection refused by 127.0.0.1:\(second)"
        )
    }
}
