import Foundation
import VacataireTestSupport
import XCTest

/// A pair with no load balancer: the serving node holds a floating address that moves with
/// the service (`failover.addresses`), on the namespace hosts of `PairFixture.deployed`.
/// lb, a client on the same bridge, GETs the service through the address every 20 ms (a
/// fresh connection each time) and never has its neighbour cache touched by the test: the
/// announcements update it. A watcher reads which nodes hold the address every 20 ms.
final class FloatingAddressTests: XCTestCase {
    static let address = "198.51.100.100"
    static let address6 = "2001:db8::100"

    /// Which nodes hold `address` on pub0, sampled every 20 ms until stopped.
    final class HolderWatch: @unchecked Sendable {
        private let lock = NSLock()
        private var samples: [(time: Date, holders: [String], counted: Bool)] = []
        private var running = true
        /// While false, samples are kept apart: a node killed with `kill -9` keeps its
        /// addresses in its kernel until its agent runs again (no agent can remove them).
        private var counting = true

        init(_ network: OperatorNetwork, address: String) {
            let thread = Thread { [self] in
                while lock.withLock({ running }) {
                    let holders = [OperatorNetwork.Host.alpha, .beta].filter { host in
                        let command = network.command(in: host, ["/usr/sbin/ip", "-o", "addr", "show", "dev", "pub0", "to", address])
                        return (try? Repository.run(command[0], Array(command.dropFirst())))?.stdout.contains(address) == true
                    }.map(\.rawValue)
                    lock.withLock { samples.append((Date(), holders, counting)) }
                    usleep(20_000)
                }
            }
            thread.start()
        }

        func stop() {
            lock.withLock { running = false }
        }

        func count(_ on: Bool) {
            lock.withLock { counting = on }
        }

        /// Samples in which both nodes held the address (`counted`: while both agents ran).
        func doubles(counted: Bool = true) -> [Date] {
            lock.withLock { samples.filter { $0.holders.count > 1 && $0.counted == counted }.map(\.time) }
        }
        var count: Int { lock.withLock { samples.count } }
        var latest: [String] { lock.withLock { samples.last?.holders ?? [] } }
    }

    /// Who served the latest request through the address (nil: nobody answered).
    func servedThroughAddress(_ pair: PairFixture, target: String = "vip") -> String? {
        guard let answer = pair.lastSample?.others[target], answer.answers else { return nil }
        return answer.who
    }

    /// The longest run of samples through the address with no answer, since `mark`, in seconds.
    func longestWindow(_ pair: PairFixture, since mark: PairFixture.Mark, target: String = "vip") -> Double {
        var longest = 0.0
        var since: Date?
        for sample in pair.samples.since(mark.time).samples {
            if sample.others[target]?.answers == true {
                if let start = since { longest = max(longest, sample.time.timeIntervalSince(start)) }
                since = nil
            } else if since == nil {
                since = sample.time
            }
        }
        return longest
    }

    func mac(_ network: OperatorNetwork, _ host: OperatorNetwork.Host, interface: String = "pub0") throws -> String {
        let command = network.command(in: host, ["/usr/sbin/ip", "-o", "link", "show", "dev", interface])
        let text = try Repository.run(command[0], Array(command.dropFirst())).stdout
        guard let match = text.firstMatch(of: /link\/ether ([0-9a-f:]{17})/) else { throw FixtureError("no MAC for \(host) \(interface): \(text)") }
        return String(match.output.1)
    }

    /// The client's (lb's) neighbour entry for `address`, read, never changed.
    func clientNeighbour(_ network: OperatorNetwork, _ address: String) -> String {
        let command = network.command(in: .lb, ["/usr/sbin/ip", "neigh", "show", address])
        return (try? Repository.run(command[0], Array(command.dropFirst())))?.stdout ?? ""
    }

    func startServing(_ pair: PairFixture, through target: String = "vip") throws {
        XCTAssertEqual(try pair.startDeployedPair(), [])
        XCTAssertTrue(pair.waitUntil(timeout: 20) { self.servedThroughAddress(pair, target: target) == "alpha" },
                      "alpha serves through the floating address\n\(pair.logs)")
    }

    func testTheAddressFollowsTheServiceAndNeverHasTwoHolders() throws {
        let pair = try PairFixture.deployed(addresses: ["\(Self.address)/24"])
        defer { pair.tearDown() }
        try startServing(pair)
        let network = try pair.network
        let watch = HolderWatch(network, address: Self.address)
        defer { watch.stop() }
        var windows: [(String, Double)] = []

        // The served page breaks: beta takes over, the address moves to it.
        var mark = pair.mark()
        try pair.truncatePage(.alpha, true)
        XCTAssertTrue(pair.waitUntil(timeout: 20) { self.servedThroughAddress(pair) == "beta" }, "beta serves through the address\n\(pair.logs)")
        XCTAssertTrue(pair.waitUntilNotificationsSettled())
        XCTAssertEqual(pair.mails(since: mark).pages.map(\.event), ["failover"], pair.mails(since: mark).listing)
        XCTAssertTrue(pair.mails(since: mark).pages.first?.body.contains("\(Self.address)/24 on pub0") == true, "the page says where the address is")
        windows.append(("check failure", longestWindow(pair, since: mark)))

        // Repaired, failback: the address comes back to alpha.
        try pair.truncatePage(.alpha, false)
        sleep(1)
        mark = pair.mark()
        let failback = try pair.admin(.alpha, ["failback"])
        XCTAssertEqual(failback.status, 0, failback.stdout + failback.stderr)
        XCTAssertTrue(pair.waitUntil(timeout: 20) { self.servedThroughAddress(pair) == "alpha" }, "alpha serves again\n\(pair.logs)")
        windows.append(("failback", longestWindow(pair, since: mark)))

        // alpha's machine dies: beta takes over once alpha is silent.
        mark = pair.mark()
        watch.count(false)  // alpha's kernel keeps the address: no agent runs there to remove it
        pair.crash(.alpha)
        XCTAssertTrue(pair.waitUntil(timeout: 30) { self.servedThroughAddress(pair) == "beta" }, "beta serves after the crash\n\(pair.logs)")
        windows.append(("master crash", longestWindow(pair, since: mark)))
        try pair.start(.alpha)
        XCTAssertTrue(pair.waitUntil(timeout: 30) { ["standby", "failed"].contains(pair.status(.alpha)?.state ?? "") }, "alpha back\n\(pair.logs)")
        XCTAssertTrue(pair.waitUntil(timeout: 5) { watch.latest == ["beta"] }, "alpha, restarted, let its kernel's leftover go")
        watch.count(true)
        let back = try pair.admin(.alpha, ["failback"])
        XCTAssertEqual(back.status, 0, back.stdout + back.stderr)
        XCTAssertTrue(pair.waitUntil(timeout: 20) { self.servedThroughAddress(pair) == "alpha" }, "alpha serves again\n\(pair.logs)")

        // alpha isolated (both links cut): it lets the address go as it fences itself; beta
        // takes over. Rejoined, alpha does not take it back.
        mark = pair.mark()
        try network.setPublicLink(.alpha, up: false)
        try network.setPrivateLink(up: false)
        XCTAssertTrue(pair.waitUntil(timeout: 30) { self.servedThroughAddress(pair) == "beta" }, "beta serves while alpha is isolated\n\(pair.logs)")
        windows.append(("isolation", longestWindow(pair, since: mark)))
        try network.setPublicLink(.alpha, up: true)
        try network.setPrivateLink(up: true)
        sleep(3)
        XCTAssertEqual(servedThroughAddress(pair), "beta")
        XCTAssertEqual(watch.latest, ["beta"])

        watch.stop()
        XCTAssertGreaterThan(watch.count, 100)
        XCTAssertEqual(watch.doubles(), [], "two nodes held the address at once")
        print("floating address: after kill -9 of alpha's agent and service, its kernel still held the address for "
            + "\(watch.doubles(counted: false).count) samples of 20 ms beside beta (which announced over it), until alpha's agent ran again")
        XCTAssertTrue(clientNeighbour(network, Self.address).contains(try mac(network, .beta)), "the client's entry follows the announcements")
        for (what, seconds) in windows {
            print("floating address: \(what): longest window without an answer through the address \(String(format: "%.3f", seconds)) s")
        }
    }

    func testAnAddressAnotherHostAnswersForIsNeverTaken() throws {
        let pair = try PairFixture.deployed(addresses: ["\(Self.address)/24"])
        defer { pair.tearDown() }
        try startServing(pair)
        let network = try pair.network
        // An intruder (lb's bridge, a host on the same network) takes the address by hand.
        let intruderMAC = try mac(network, .lb, interface: "br0")
        let add = network.command(in: .lb, ["/usr/sbin/ip", "addr", "add", "\(Self.address)/32", "dev", "br0"])
        XCTAssertEqual(try Repository.run(add[0], Array(add.dropFirst())).status, 0)
        let mark = pair.mark()
        pair.crash(.alpha)
        XCTAssertTrue(pair.waitUntil(timeout: 30) { pair.status(.beta)?.state == "failed" }, "beta refuses the address\n\(pair.logs)")
        XCTAssertTrue(pair.waitUntilNotificationsSettled())
        let pages = pair.mails(since: mark).pages
        XCTAssertEqual(pages.count, 1, "one page:\n\(pair.mails(since: mark).listing)")
        XCTAssertTrue(pages.first?.body.contains(intruderMAC) == true, "the page names who answers: \(pages.first?.body ?? "")")
        let holds = network.command(in: .beta, ["/usr/sbin/ip", "-o", "addr", "show", "dev", "pub0", "to", Self.address])
        XCTAssertFalse(try Repository.run(holds[0], Array(holds.dropFirst())).stdout.contains(Self.address), "beta did not add it")
    }

    func testAnIPv6AddressMovesWithAnUnsolicitedAdvertisement() throws {
        let pair = try PairFixture.deployed(addresses: ["\(Self.address6)/64"])
        defer { pair.tearDown() }
        try startServing(pair)
        let network = try pair.network
        XCTAssertTrue(clientNeighbour(network, Self.address6).contains(try mac(network, .alpha)), "the client reached alpha: \(clientNeighbour(network, Self.address6))")
        let switchover = try pair.admin(.alpha, ["switchover"])
        XCTAssertEqual(switchover.status, 0, switchover.stdout + switchover.stderr)
        XCTAssertTrue(pair.waitUntil(timeout: 20) { self.servedThroughAddress(pair) == "beta" }, "beta serves through the IPv6 address\n\(pair.logs)")
        XCTAssertTrue(clientNeighbour(network, Self.address6).contains(try mac(network, .beta)),
                      "the client's entry moved to beta: \(clientNeighbour(network, Self.address6))")
    }

    /// Config/vip's pair passes check-config (with a peer key beside it); without
    /// CAP_NET_ADMIN and CAP_NET_RAW, check-config (and so `run`) refuses it, naming them.
    func testTheExampleIsValidAndAProcessWithoutTheCapabilitiesIsRefused() throws {
        let directory = try TemporaryDirectory("vip-example")
        defer { directory.remove() }
        for node in ["alpha", "beta"] {
            try FileManager.default.copyItem(atPath: Repository.path("Config/vip/\(node).yaml"), toPath: directory.file("\(node).yaml"))
        }
        _ = try directory.writePeerKey()
        for node in ["alpha", "beta"] {
            let check = try Repository.runVacataire(["check-config", directory.file("\(node).yaml")])
            XCTAssertEqual(check.status, 0, check.stderr)
            XCTAssertTrue(check.stdout.contains("floating addresses: 198.51.100.100/24 on eth0 as eth0:web, 2001:db8::100/64 on eth0"), check.stdout)
        }
        let setpriv = "/usr/bin/setpriv"
        guard FileManager.default.isExecutableFile(atPath: setpriv) else { throw FixtureError("this test needs setpriv: apt-get install util-linux") }
        let dropped = try Repository.run(setpriv, ["--inh-caps=-all", "--bounding-set=-net_admin,-net_raw", Repository.executable,
                                                   "check-config", directory.file("alpha.yaml")])
        XCTAssertEqual(dropped.status, 1)
        XCTAssertTrue(dropped.stderr.contains("failover.addresses: this process lacks CAP_NET_ADMIN and CAP_NET_RAW"), dropped.stderr)
    }
}
