import VacataireCore
import VacataireTestSupport
import XCTest

/// The notification settings: server lists, SNMP informs and SNMPv3 users, the engine id.
final class NotifyConfigTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("notify-config")
    }

    override func tearDown() {
        directory.remove()
    }

    private func parse(_ notify: String, top: String = "") throws(ConfigErrors) -> Config {
        try Config.parse("node: {name: alpha, cluster: web-pair}\nstate_dir: state\n\(top)notify:\n\(notify)", file: directory.file("node.yaml"))
    }

    /// The problems as `key: message`, without file and line.
    private func problems(_ notify: String, top: String = "", file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do {
            _ = try parse(notify, top: top)
            XCTFail("expected errors", file: file, line: line)
            return []
        } catch {
            return error.problems.map { "\($0.key): \($0.message)" }
        }
    }

    func testServersAreTriedInOrderAndURLStillWorks() throws {
        let config = try parse("""
              email:
                - servers: [smtp://127.0.0.1:2525, smtps://mail.example.org]
                  from: vacataire@example.org
                  to: oncall@example.org
                - url: smtp://relay.example.org:587
                  from: vacataire@example.org
                  to: oncall@example.org

            """)
        let several = config.notify.email[0]
        XCTAssertEqual(several.servers.map(\.absoluteString), ["smtp://127.0.0.1:2525", "smtps://mail.example.org"])
        XCTAssertEqual(several.endpoints, "127.0.0.1:2525, mail.example.org:465")
        XCTAssertEqual(several.name, "smtp://127.0.0.1:2525")
        XCTAssertEqual(config.notify.email[1].servers.count, 1)
        XCTAssertEqual(config.notify.email[1].endpoint, "relay.example.org:587")
    }

    func testServerListMistakes() {
        let found = problems("""
              email:
                - servers: [smtp://a.example.org]
                  url: smtp://b.example.org
                  from: vacataire@example.org
                  to: oncall@example.org
                - servers: []
                  from: vacataire@example.org
                  to: oncall@example.org
                - servers: [smtp://a.example.org, http://b.example.org]
                  from: vacataire@example.org
                  to: oncall@example.org
                - from: vacataire@example.org
                  to: oncall@example.org

            """)
        XCTAssertEqual(found, [
            "notify.email[0].servers: `url` and `servers` both set; use `url` for one server or `servers` for several",
            "notify.email[1].servers: expected at least one smtp:// or smtps:// URL, found an empty list",
            "notify.email[2].servers: expected smtp://HOST[:PORT] or smtps://HOST[:PORT], found `http://b.example.org`",
            "notify.email[3].url: missing; expected smtp://HOST[:PORT] or smtps://HOST[:PORT] (or `servers:` with several)",
        ])
    }

    func testSNMPv3TargetReadsEveryKey() throws {
        let auth = try directory.write("auth.pw", "authpass1\n")
        let priv = try directory.write("priv.pw", "privpass1\n")
        let config = try parse("""
              snmp:
                - address: 127.0.0.1
                  version: 3
                  user: vacataire
                  auth_protocol: SHA-256
                  auth_password_file: \(auth)
                  priv_protocol: AES
                  priv_password_file: \(priv)
                  inform: true
                  timeout: 500ms
                  retries: 4
                - {address: 127.0.0.1, port: 1162}

            """, top: "snmp_engine_id: 0x80007ed905aabbccdd\n")
        let target = config.notify.snmp[0]
        XCTAssertEqual(target.version, .v3)
        XCTAssertEqual(target.user, SNMPUser(
            name: "vacataire", securityLevel: .authPriv, authProtocol: .sha256, authPasswordFile: auth,
            privProtocol: .aes, privPasswordFile: priv
        ))
        XCTAssertTrue(target.inform)
        XCTAssertEqual(target.timeout, ConfigDuration(seconds: 0.5))
        XCTAssertEqual(target.tries, 5)
        XCTAssertEqual(config.snmpEngineID?.description, "0x80007ed905aabbccdd")
        let plain = config.notify.snmp[1]
        XCTAssertEqual(plain.version, .v2c)
        XCTAssertFalse(plain.inform)
        XCTAssertNil(plain.user)
    }

    func testSNMPMistakesAreNamed() throws {
        let auth = try directory.write("auth.pw", "authpass1\n")
        let found = problems("""
              snmp:
                - {address: 127.0.0.1, version: 3, community: public, auth_password_file: \(auth)}
                - {address: 127.0.0.1, user: vacataire}
                - {address: 127.0.0.1, version: 3, user: v, auth_protocol: MD5, auth_password_file: \(auth), security_level: authNoPriv}
                - {address: 127.0.0.1, retries: 99, inform: maybe}

            """, top: "snmp_engine_id: 0x8000\n")
        XCTAssertEqual(found, [
            "notify.snmp[0].community: is for `version: 2c`; SNMPv3 authenticates with `user`",
            "notify.snmp[0].user: missing; expected a text value",
            "notify.snmp[0].priv_password_file: missing; expected a text value",
            "notify.snmp[1].user: is for `version: 3`; this target speaks SNMPv2c",
            "notify.snmp[2].auth_protocol: expected one of: SHA, SHA-256, SHA-512 (found `MD5`)",
            "notify.snmp[3].inform: expected true or false (found `maybe`)",
            "notify.snmp[3].retries: expected 0 to 20, found 99",
            "snmp_engine_id: expected 5 to 32 octets, this is 2 (found `0x8000`)",
        ])
    }

    /// The outbox's schedule after a failed try: the backoff doubles up to retry_max, a
    /// permanent refusal ends at once, a delivery ends at its first failure past max_age.
    func testTheOutboxScheduleAfterAFailedTry() {
        let outbox = OutboxConfig(retryInitial: ConfigDuration(seconds: 5), retryMax: ConfigDuration(seconds: 60), maxAge: ConfigDuration(seconds: 3600))
        XCTAssertEqual((1...6).map { outbox.afterFailedTry($0, age: 10, error: "connection refused", permanent: false) },
                       [5, 10, 20, 40, 60, 60].map { .retry(after: $0) })
        XCTAssertEqual(outbox.afterFailedTry(1, age: 0, error: "550 no such user", permanent: true),
                       .giveUp(why: "refused for good: 550 no such user"))
        XCTAssertEqual(outbox.afterFailedTry(70, age: 3599.9, error: "timeout", permanent: false), .retry(after: 60))
        XCTAssertEqual(outbox.afterFailedTry(71, age: 3600, error: "timeout", permanent: false),
                       .giveUp(why: "still failing after 71 tries over 3600 s: timeout"))
    }
}
