import Foundation
import VacataireCore
import VacataireTestSupport
import XCTest

@testable import VacataireAgent

/// The lease mode's etcd client against a real etcd (Debian's etcd-server 3.4): leases,
/// the leader key's transactions, the member keys, the watch, and endpoints tried in turn.
final class EtcdGatewayTests: XCTestCase {
    private var etcd: EtcdServer!

    override func setUpWithError() throws {
        etcd = try EtcdServer()
    }

    override func tearDown() {
        etcd?.stop()
    }

    private func gateway(_ endpoints: [String]? = nil) -> EtcdGateway {
        EtcdGateway(.init(endpoints: endpoints ?? [etcd.endpoint], cluster: "shop"))
    }

    func testTheLeaderKeyGoesToOneCampaignerAndMovesOnlyFromItsHolder() throws {
        let etcd = gateway()
        let alphaLease = try etcd.grant(ttl: .seconds(10))
        let betaLease = try etcd.grant(ttl: .seconds(10))
        XCTAssertTrue(try etcd.keepAlive(alphaLease))
        XCTAssertFalse(try etcd.keepAlive(424_242), "a lease etcd does not know")

        let alpha = try etcd.campaign(name: "alpha", lease: alphaLease)
        XCTAssertTrue(alpha.won)
        let held = try XCTUnwrap(alpha.leader)
        XCTAssertEqual(held.holder, "alpha")
        let beta = try etcd.campaign(name: "beta", lease: betaLease)
        XCTAssertFalse(beta.won, "the key is taken")
        XCTAssertEqual(beta.leader, held, "the loser reads who holds it, at which revision")

        let moved = try etcd.takeOver(from: held, name: "beta", lease: betaLease)
        XCTAssertTrue(moved.won)
        XCTAssertGreaterThan(try XCTUnwrap(moved.leader).revision, held.revision, "the epoch only grows")
        let stale = try etcd.takeOver(from: held, name: "alpha", lease: alphaLease)
        XCTAssertFalse(stale.won, "a move from a holder that is no longer there fails")
        XCTAssertEqual(stale.leader, moved.leader)

        try etcd.publish(MemberRecord(name: "alpha", priority: 2, ready: false), lease: alphaLease)
        try etcd.publish(MemberRecord(name: "beta", priority: 1, ready: true), lease: betaLease)
        let read = try etcd.read()
        XCTAssertEqual(read.leader, moved.leader)
        XCTAssertEqual(read.members, [MemberRecord(name: "alpha", priority: 2, ready: false), MemberRecord(name: "beta", priority: 1, ready: true)])

        try etcd.resign(try XCTUnwrap(moved.leader))
        XCTAssertNil(try etcd.read().leader)
    }

    func testAKeyBoundToALeaseThatIsNotRenewedGoesWithIt() throws {
        let etcd = gateway()
        let lease = try etcd.grant(ttl: .seconds(2))
        XCTAssertTrue(try etcd.campaign(name: "alpha", lease: lease).won)
        try etcd.publish(MemberRecord(name: "alpha", priority: 1, ready: true), lease: lease)
        XCTAssertTrue(Wait.until(timeout: 15, every: 0.2) { (try? etcd.read())?.leader == nil }, "the leader key outlived its lease")
        XCTAssertEqual(try etcd.read().members, [])
        XCTAssertFalse(try etcd.keepAlive(lease))
    }

    func testTheWatchReportsTheLeaderAndTheMembersAsTheyChange() throws {
        let etcd = gateway()
        let start = try etcd.read().revision + 1
        let lease = try etcd.grant(ttl: .seconds(10))
        let seen = LockedChanges()
        let watcher = Thread {
            try? etcd.watch(fromRevision: start) { changes in
                seen.append(changes)
                return seen.count < 5
            }
        }
        watcher.start()
        try etcd.publish(MemberRecord(name: "alpha", priority: 1, ready: true), lease: lease)
        let won = try etcd.campaign(name: "alpha", lease: lease)
        let handoff = HandoffRequest(to: "beta", from: try XCTUnwrap(won.leader), purpose: .failover,
                                     failing: [FailingCheck(name: "home-page", output: #"expected 4096 bytes, got "1024""#)])
        try etcd.requestHandoff(handoff)
        try etcd.announceReady(from: try XCTUnwrap(won.leader), name: "beta", lease: 77)
        try etcd.resign(try XCTUnwrap(won.leader))
        XCTAssertTrue(Wait.until(timeout: 10) { seen.count >= 5 }, "\(seen.all)")
        XCTAssertEqual(seen.all, [
            .member(MemberRecord(name: "alpha", priority: 1, ready: true)), .leader(won.leader),
            .handoff(handoff),
            .targetReady(name: "beta", lease: 77, from: try XCTUnwrap(won.leader)), .leader(nil),
        ])
    }

    func testEndpointsAreTriedInTurnAndAFailureNamesThem() throws {
        let dead = "http://127.0.0.1:\(try FreePort.tcp())"
        XCTAssertGreaterThan(try gateway([dead, etcd.endpoint]).grant(ttl: .seconds(5)), 0, "the second endpoint answers")
        XCTAssertThrowsError(try gateway([dead]).grant(ttl: .seconds(5))) { error in
            XCTAssertTrue("\(error)".contains(dead), "\(error)")
        }
    }
}

/// Changes seen by a watch on another thread.
private final class LockedChanges: @unchecked Sendable {
    private let lock = NSLock()
    private var changes: [EtcdGateway.Change] = []

    func append(_ more: [EtcdGateway.Change]) { lock.withLock { changes += more } }
    var count: Int { lock.withLock { changes.count } }
    var all: [EtcdGateway.Change] { lock.withLock { changes } }
}

/// The etcd client over TLS (a CA file, a client certificate) and with etcd's own users (a
/// password read from a file, signed in again when etcd forgets the token).
final class EtcdSecurityTests: XCTestCase {
    func testTLSWithAClientCertificate() throws {
        let etcd = try EtcdServer(tls: true, clientCertificates: true)
        defer { etcd.stop() }
        let ca = try XCTUnwrap(etcd.ca)
        let trusted = EtcdGateway(.init(endpoints: [etcd.endpoint], cluster: "shop", caFile: ca.certificate,
                                        certificateFile: ca.clientCertificate, keyFile: ca.clientKey))
        let lease = try trusted.grant(ttl: .seconds(10))
        XCTAssertTrue(try trusted.campaign(name: "alpha", lease: lease).won)

        let anonymous = EtcdGateway(.init(endpoints: [etcd.endpoint], cluster: "shop", caFile: ca.certificate))
        XCTAssertThrowsError(try anonymous.grant(ttl: .seconds(10)), "etcd requires a client certificate") { error in
            XCTAssertTrue("\(error)".contains(etcd.endpoint), "names the endpoint: \(error)")
        }
        let untrusting = EtcdGateway(.init(endpoints: [etcd.endpoint], cluster: "shop"))
        XCTAssertThrowsError(try untrusting.grant(ttl: .seconds(10)), "the server's certificate is not trusted without its CA") { error in
            XCTAssertTrue("\(error)".lowercased().contains("certificate"), "\(error)")
        }
    }

    func testAUserSignsInWithAPasswordFileAndAgainWhenTheTokenExpires() throws {
        let etcd = try EtcdServer(tls: true, authTokenTTL: 1)
        defer { etcd.stop() }
        let ca = try XCTUnwrap(etcd.ca)
        let prefix = Data("/vacataire/".utf8).base64EncodedString()
        let end = Data("/vacataire0".utf8).base64EncodedString()
        for (path, body) in [
            ("/v3/auth/user/add", #"{"name":"root","password":"root-secret"}"#),
            ("/v3/auth/user/grant", #"{"user":"root","role":"root"}"#),
            ("/v3/auth/role/add", #"{"name":"vacataire"}"#),
            ("/v3/auth/role/grant", #"{"name":"vacataire","perm":{"permType":"READWRITE","key":"\#(prefix)","range_end":"\#(end)"}}"#),
            ("/v3/auth/user/add", #"{"name":"vacataire","password":"lease-secret"}"#),
            ("/v3/auth/user/grant", #"{"user":"vacataire","role":"vacataire"}"#),
            ("/v3/auth/enable", "{}"),
        ] {
            let answer = try etcd.post(path, body)
            XCTAssertFalse(answer.contains("error"), "\(path): \(answer)")
        }
        let directory = try TemporaryDirectory("etcd-auth")
        defer { directory.remove() }
        let good = try directory.write("etcd.password", "lease-secret\n")
        let bad = try directory.write("wrong.password", "guess\n")
        func gateway(_ file: String) -> EtcdGateway {
            EtcdGateway(.init(endpoints: [etcd.endpoint], cluster: "shop", caFile: ca.certificate, user: "vacataire", passwordFile: file))
        }
        let signedIn = gateway(good)
        let lease = try signedIn.grant(ttl: .seconds(10))
        XCTAssertTrue(try signedIn.campaign(name: "alpha", lease: lease).won)
        sleep(3)  // etcd forgets tokens after --auth-token-ttl (1 s) without use
        XCTAssertEqual(try signedIn.read().leader?.holder, "alpha", "signed in again with the same password")
        XCTAssertThrowsError(try gateway(bad).read()) { error in
            XCTAssertTrue("\(error)".contains("authentication failed"), "\(error)")
            XCTAssertFalse("\(error)".contains("guess"), "the password never reaches a message")
        }
        let anonymous = EtcdGateway(.init(endpoints: [etcd.endpoint], cluster: "shop", caFile: ca.certificate))
        XCTAssertThrowsError(try anonymous.read(), "etcd refuses a request without a user")
    }
}
