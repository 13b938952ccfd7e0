import Foundation
import VacataireCore
import VacataireNotify
import VacataireTestSupport
import XCTest

/// SNMPv2c informs and SNMPv3 (USM) traps and informs against a real snmptrapd that loads
/// LE-VACATAIRE-MIB, and the agent's engine id.
final class SNMPInformTests: XCTestCase {
    private var state: TemporaryDirectory!
    private let authPassword = "auth-pass-0123"
    private let privPassword = "priv-pass-4567"

    override func setUpWithError() throws {
        state = try TemporaryDirectory("snmp-inform")
    }

    override func tearDown() {
        state.remove()
    }

    /// A configuration with one SNMP target written as `target` (YAML flow mapping body).
    private func sender(target: String, engineID: SNMPEngineID? = nil) throws -> NotificationSender {
        var text = """
            node: {name: alpha, cluster: web-pair}
            state_dir: \(state.path)/state

            """
        if let engineID { text += "snmp_engine_id: \"\(engineID)\"\n" }
        text += "notify:\n  snmp:\n    - {\(target)}\n"
        let config = try Config.parse(text, file: state.file("node.yaml"))
        return NotificationSender(config: config, templates: try TemplateSet(defaults: Repository.path("Templates"), overrides: nil))
    }

    private func send(_ sender: NotificationSender) async throws -> DeliveryOutcome {
        let outcomes = await sender.send(sender.testNotification(requestedBy: "marie"), channels: [.snmp])
        return try XCTUnwrap(outcomes.first)
    }

    private func v3Target(port: Int, inform: Bool, level: String = "authPriv") throws -> String {
        let auth = try state.write("auth.password", authPassword + "\n")
        let priv = try state.write("priv.password", privPassword + "\n")
        var target = "address: 127.0.0.1, port: \(port), version: 3, user: vacataire, security_level: \(level),"
            + " auth_protocol: SHA, auth_password_file: \(auth), inform: \(inform), timeout: 1s, retries: 1"
        if level == "authPriv" { target += ", priv_protocol: AES, priv_password_file: \(priv)" }
        return target
    }

    private func assertVarbindsByName(_ received: TrapReceiver.Received, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(received.value("snmpTrapOID"), "OID: LE-VACATAIRE-MIB::vacTest", file: file, line: line)
        XCTAssertEqual(received.value("vacNodeName"), "STRING: alpha", file: file, line: line)
        XCTAssertEqual(received.value("vacReason"), "STRING: notification test requested by marie", file: file, line: line)
    }

    func testV2cInformIsAcknowledged() async throws {
        let receiver = try TrapReceiver(community: "s3cret")
        defer { receiver.stop() }
        let sender = try sender(target: "address: 127.0.0.1, port: \(receiver.port), community: s3cret, inform: true")
        let outcome = try await send(sender)
        XCTAssertEqual(outcome.line, "snmp 127.0.0.1:\(receiver.port) (127.0.0.1:\(receiver.port)): ok")
        let inform = try XCTUnwrap(receiver.waitForNotifications(1).first)
        XCTAssertTrue(inform.security.hasPrefix("INFORM"), inform.security)
        XCTAssertTrue(inform.security.contains("SNMP v2c"), inform.security)
        assertVarbindsByName(inform)
    }

    func testUnansweredInformSaysHowOftenItWasTried() async throws {
        let silent = try SilentUDPPort()
        defer { silent.close() }
        let sender = try sender(target: "address: 127.0.0.1, port: \(silent.port), inform: true, timeout: 200ms, retries: 2")
        let outcome = try await send(sender)
        let error = try XCTUnwrap(outcome.error, outcome.line)
        XCTAssertEqual(error.kind, .timeout)
        XCTAssertEqual(error.message, "no acknowledgement from 127.0.0.1:\(silent.port) after 3 tries")
        XCTAssertEqual(silent.datagramsWaiting(), 3, "the first try and two retries reached the silent receiver")
    }

    func testV3AuthPrivTrapWithTheConfiguredEngineID() async throws {
        let engineID = try XCTUnwrap(SNMPEngineID(octets: [0x80, 0x00, 0x7e, 0xd9, 0x05, 0x74, 0x65, 0x73, 0x74, 0x01]))
        let user = TrapReceiver.User(
            name: "vacataire", authPassword: authPassword, privPassword: privPassword, engineID: engineID.description
        )
        let receiver = try TrapReceiver(users: [user])
        defer { receiver.stop() }
        let sender = try sender(target: try v3Target(port: receiver.port, inform: false), engineID: engineID)
        XCTAssertEqual(sender.snmp?.engine.id, engineID)
        let outcome = try await send(sender)
        XCTAssertNil(outcome.error, outcome.line)
        let trap = try XCTUnwrap(receiver.waitForNotifications(1).first, receiver.log)
        XCTAssertTrue(trap.security.contains("SNMP v3"), trap.security)
        XCTAssertTrue(trap.security.contains("vacataire"), trap.security)
        assertVarbindsByName(trap)
    }

    func testV3TrapWithAnotherEngineIDIsNotAccepted() async throws {
        let user = TrapReceiver.User(
            name: "vacataire", authPassword: authPassword, privPassword: privPassword, engineID: "0x80007ed9050000000001"
        )
        let receiver = try TrapReceiver(users: [user])
        defer { receiver.stop() }
        let other = try XCTUnwrap(SNMPEngineID(octets: [0x80, 0x00, 0x7e, 0xd9, 0x05, 0, 0, 0, 0, 2]))
        let sender = try sender(target: try v3Target(port: receiver.port, inform: false), engineID: other)
        _ = try await send(sender)
        // A v2c trap sent after it: snmptrapd reads its socket in order, so once this one is
        // logged, the v3 trap has been dealt with.
        let marker = try self.sender(target: "address: 127.0.0.1, port: \(receiver.port), community: public")
        _ = try await send(marker)
        let logged = try receiver.waitForNotifications(1)
        XCTAssertEqual(logged.map(\.security).filter { $0.contains("SNMP v3") }, [], "a receiver must know the sender's engine id")
        XCTAssertEqual(logged.count, 1, "the v2c trap alone: \(logged.map(\.security))")
    }

    func testV3AuthPrivInformDiscoversTheReceiversEngine() async throws {
        let receiver = try TrapReceiver(users: [TrapReceiver.User(name: "vacataire", authPassword: authPassword, privPassword: privPassword)])
        defer { receiver.stop() }
        let sender = try sender(target: try v3Target(port: receiver.port, inform: true))
        let outcome = try await send(sender)
        XCTAssertNil(outcome.error, outcome.line)
        let inform = try XCTUnwrap(receiver.waitForNotifications(1).first, receiver.log)
        XCTAssertTrue(inform.security.hasPrefix("INFORM"), inform.security)
        XCTAssertTrue(inform.security.contains("SNMP v3"), inform.security)
        assertVarbindsByName(inform)
    }

    func testV3AuthNoPrivTrap() async throws {
        let engineID = try XCTUnwrap(SNMPEngineID(octets: [0x80, 0x00, 0x7e, 0xd9, 0x05, 0x74, 0x65, 0x73, 0x74, 0x02]))
        let user = TrapReceiver.User(
            name: "vacataire", authPassword: authPassword, privProtocol: nil, engineID: engineID.description
        )
        let receiver = try TrapReceiver(users: [user])
        defer { receiver.stop() }
        let sender = try sender(target: try v3Target(port: receiver.port, inform: false, level: "authNoPriv"), engineID: engineID)
        let outcome = try await send(sender)
        XCTAssertNil(outcome.error, outcome.line)
        let trap = try XCTUnwrap(receiver.waitForNotifications(1).first, receiver.log)
        assertVarbindsByName(trap)
    }

    func testV3InformToASilentReceiverTimesOut() async throws {
        let silent = try SilentUDPPort()
        defer { silent.close() }
        let sender = try sender(target: try v3Target(port: silent.port, inform: true))
        let outcome = try await send(sender)
        let error = try XCTUnwrap(outcome.error, outcome.line)
        XCTAssertEqual(error.kind, .timeout)
        XCTAssertTrue(error.message.hasPrefix("no acknowledgement from 127.0.0.1:\(silent.port) after 2 tries"), error.message)
    }

    func testShortPasswordIsRefusedWithoutShowingIt() async throws {
        let user = TrapReceiver.User(name: "vacataire", authPassword: authPassword, privPassword: privPassword)
        let receiver = try TrapReceiver(users: [user])
        defer { receiver.stop() }
        let target = try v3Target(port: receiver.port, inform: true)
        _ = try state.write("auth.password", "short\n")
        let outcome = try await send(try sender(target: target))
        let error = try XCTUnwrap(outcome.error)
        XCTAssertEqual(error.kind, .configuration)
        XCTAssertTrue(error.message.contains("shorter than 8 characters"), error.message)
        XCTAssertFalse(outcome.line.contains("short\n") || outcome.line.hasSuffix("short"), outcome.line)
    }

    /// RFC 3414: each start counts a boot, and a receiver accepts a new boot whatever engine
    /// time it saw last. Here the receiver has already seen our engine at boot N with an
    /// engine time of 1000 s (a long run); after a restart, our trap says boot N+1 and
    /// arrives. (With boots stuck at 1 it was dropped as outside the time window.)
    func testAfterARestartTrapsCarryTheNextBootAndAreAcceptedByAReceiverThatSawALaterTime() throws {
        let engineID = "0x80007ed90574657374020304"
        let user = TrapReceiver.User(name: "vacataire", authPassword: authPassword, privPassword: privPassword, engineID: engineID)
        let receiver = try TrapReceiver(users: [user])
        defer { receiver.stop() }
        let config = try state.write("agent.yaml", """
            node: {name: alpha, cluster: web-pair}
            state_dir: \(state.path)/agent-state
            snmp_engine_id: "\(engineID)"
            notify:
              snmp:
                - {\(try v3Target(port: receiver.port, inform: false))}
            """)
        // The first start: boot 1 (the trap is sent by a process of its own, as the agent's would be).
        var result = try Repository.runVacataire(["notify-test", "--config", config, "--channel", "snmp"])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertEqual(try receiver.waitForNotifications(1).count, 1, receiver.log)
        let bootsFile = "\(state.path)/agent-state/snmp/engine-boots"
        let boots = try XCTUnwrap(Int(try String(contentsOfFile: bootsFile, encoding: .utf8).split(separator: " ").last?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
        // That boot ran long: the receiver sees our engine at this boot with 1000 s on its clock.
        let seeded = try Repository.run("/usr/bin/snmptrap", [
            "-v", "3", "-u", "vacataire", "-l", "authPriv", "-a", "SHA", "-A", authPassword, "-x", "AES", "-X", privPassword,
            "-e", engineID, "-Z", "\(boots),1000", "-M", "", "-m", "", "127.0.0.1:\(receiver.port)", "",
            "1.3.6.1.6.3.1.1.5.1",
        ])
        XCTAssertEqual(seeded.status, 0, seeded.stderr)
        XCTAssertEqual(try receiver.waitForNotifications(2).count, 2, "the seeding trap: \(seeded.stderr)\n\(receiver.log)")
        // The restart: the next boot, engine time from 0, accepted.
        result = try Repository.runVacataire(["notify-test", "--config", config, "--channel", "snmp"])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        let all = try receiver.waitForNotifications(3, timeout: 5)
        XCTAssertEqual(all.count, 3, "the trap after the restart was dropped:\n\(receiver.log)")
        XCTAssertEqual(all.last?.value("snmpTrapOID"), "OID: LE-VACATAIRE-MIB::vacTest")
        let after = try String(contentsOfFile: bootsFile, encoding: .utf8)
        XCTAssertTrue(after.hasSuffix(" \(boots + 1)\n"), after)
    }

    func testGeneratedEngineIDIsKeptAndBootsCount() throws {
        let config = try Config.parse("""
            node: {name: alpha, cluster: web-pair}
            state_dir: \(state.path)/state
            """, file: state.file("node.yaml"))
        XCTAssertTrue(SNMPEngineIdentity.describe(config).contains("generated at the first start"))
        let first = try SNMPEngineIdentity.load(config)
        let second = try SNMPEngineIdentity.load(config)
        XCTAssertEqual(first.id, second.id, "the engine id must be stable across starts")
        XCTAssertEqual(first.source, .generated(path: "\(state.path)/state/snmp/engine-id"))
        XCTAssertEqual(second.source, .stored(path: "\(state.path)/state/snmp/engine-id"))
        XCTAssertEqual(second.boots, first.boots + 1)
        XCTAssertEqual(Array(first.id.octets.prefix(5)), [0x80, 0x00, 0x7e, 0xd9, 0x05])
        XCTAssertEqual(
            SNMPEngineIdentity.describe(config), "snmp engine id \(first.id) (generated, kept in \(state.path)/state/snmp/engine-id)"
        )
    }
}

/// A bound UDP port on 127.0.0.1 that never answers.
private final class SilentUDPPort {
    let port: Int
    private let descriptor: Int32

    init() throws {
        descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw FixtureError("cannot open a UDP socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = descriptor
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(descriptor)
            throw FixtureError("cannot bind a UDP socket on 127.0.0.1")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// How many datagrams arrived and were never read (it reads them now).
    func datagramsWaiting() -> Int {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var count = 0
        while recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT)) >= 0 { count += 1 }
        return count
    }

    func close() {
        Glibc.close(descriptor)
    }
}
