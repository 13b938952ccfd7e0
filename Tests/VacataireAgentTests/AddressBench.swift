import Foundation
import VacataireTestSupport
import XCTest

/// `make bench`'s floating-address figures (Tests/Benchmarks/address-bench.sh runs it with
/// the release build): on the namespace hosts of `PairFixture.deployed`, how long the client
/// (lb, on the same bridge, a GET through the address every 20 ms) gets no answer when the
/// served page breaks and when the master's agent and service are killed, for vacataire and
/// then for keepalived moving the same address on the same hosts with the same check (every
/// 200 ms, fall 2). Skipped unless `VACATAIRE_BENCH_ADDRESS` names the markdown file to write.
final class AddressBench: XCTestCase {
    static let address = "198.51.100.100"

    func testWindowsNextToKeepalived() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let output = environment["VACATAIRE_BENCH_ADDRESS"] else {
            throw XCTSkip("a benchmark: Tests/Benchmarks/address-bench.sh runs it (VACATAIRE_BENCH_ADDRESS=FILE)")
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/keepalived") else {
            throw FixtureError("the floating-address benchmark compares with keepalived: apt-get install keepalived")
        }
        let rounds = Int(environment["ROUNDS"] ?? "") ?? 5
        let pair = try PairFixture.deployed(addresses: ["\(Self.address)/24"])
        defer { pair.tearDown() }
        let network = try pair.network
        XCTAssertEqual(try pair.startDeployedPair(), [])
        guard pair.waitUntil(timeout: 20, { self.served(pair) == "alpha" }) else { throw FixtureError("alpha never served through the address\n\(pair.logs)") }
        var ours: [String: [Double]] = [:]
        for _ in 0..<rounds {
            var mark = pair.mark()
            try pair.truncatePage(.alpha, true)
            guard pair.waitUntil(timeout: 30, { self.served(pair) == "beta" }) else { throw FixtureError("beta never took over\n\(pair.logs)") }
            sleep(1)
            ours["check", default: []].append(window(pair, since: mark))
            try pair.truncatePage(.alpha, false)
            sleep(1)
            _ = try pair.admin(.alpha, ["failback"])
            guard pair.waitUntil(timeout: 30, { self.served(pair) == "alpha" }) else { throw FixtureError("no failback\n\(pair.logs)") }
            sleep(1)
            mark = pair.mark()
            pair.crash(.alpha)
            guard pair.waitUntil(timeout: 30, { self.served(pair) == "beta" }) else { throw FixtureError("beta never took over after the crash\n\(pair.logs)") }
            sleep(1)
            ours["crash", default: []].append(window(pair, since: mark))
            try pair.start(.alpha)
            _ = pair.waitUntil(timeout: 30) { ["standby", "failed"].contains(pair.status(.alpha)?.state ?? "") }
            sleep(1)
            _ = try pair.admin(.alpha, ["failback"])
            guard pair.waitUntil(timeout: 30, { self.served(pair) == "alpha" }) else { throw FixtureError("no failback after the crash\n\(pair.logs)") }
            sleep(1)
        }
        // The same hosts, the same address and service, keepalived instead.
        pair.terminate(.alpha)
        pair.terminate(.beta)
        for node in [PairFixture.Node.alpha, .beta] {
            pair.crash(node)
            let flush = network.command(in: node.host, ["/usr/sbin/ip", "addr", "del", "\(Self.address)/24", "dev", "pub0"])
            _ = try? Repository.run(flush[0], Array(flush.dropFirst()))
        }
        let keepalived = try Keepalived(pair: pair, network: network)
        defer { keepalived.stop() }
        guard pair.waitUntil(timeout: 30, { self.served(pair) == "alpha" }) else { throw FixtureError("keepalived: alpha never served through the address") }
        var theirs: [String: [Double]] = [:]
        for _ in 0..<rounds {
            var mark = pair.mark()
            try pair.truncatePage(.alpha, true)
            guard pair.waitUntil(timeout: 30, { self.served(pair) == "beta" }) else { throw FixtureError("keepalived: beta never took over") }
            sleep(1)
            theirs["check", default: []].append(window(pair, since: mark))
            try pair.truncatePage(.alpha, false)
            guard pair.waitUntil(timeout: 30, { self.served(pair) == "alpha" }) else { throw FixtureError("keepalived: alpha never came back (preemption)") }
            sleep(2)
            mark = pair.mark()
            keepalived.crash(.alpha)
            guard pair.waitUntil(timeout: 30, { self.served(pair) == "beta" }) else { throw FixtureError("keepalived: beta never took over after the crash") }
            sleep(1)
            theirs["crash", default: []].append(window(pair, since: mark))
            // alpha comes back as after a reboot: no stale pid file, no address left in its kernel.
            try? FileManager.default.removeItem(atPath: pair.directory.file("run/alpha.pid"))
            let flush = network.command(in: .alpha, ["/usr/sbin/ip", "addr", "del", "\(Self.address)/24", "dev", "pub0"])
            _ = try? Repository.run(flush[0], Array(flush.dropFirst()))
            try keepalived.start(.alpha)
            guard pair.waitUntil(timeout: 60, { self.served(pair) == "alpha" }) else {
                let logs = (try? String(contentsOfFile: pair.directory.file("alpha.ka1.stdout"), encoding: .utf8)) ?? ""
                throw FixtureError("keepalived: alpha never came back after the crash\n\(logs.suffix(3000))")
            }
            sleep(2)
        }
        let version = (try? Repository.run("/usr/sbin/keepalived", ["--version"]))
            .map { ($0.stdout + $0.stderr).split(separator: "\n").first.map(String.init) ?? "" } ?? "keepalived"
        var text = "## Floating address (address-bench.sh)\n\n"
        text += "The pair of `PairFixture.deployed` (three namespace hosts on one bridge) with the floating address "
            + "\(Self.address)/24 and no load balancer; the client (lb) GETs the page through the address every 20 ms with a "
            + "fresh connection. The longest run without an answer after the event, in seconds, median / p90 / min / max of "
            + "\(rounds) rounds; vacataire (release build; heartbeat 200 ms, dead_after 2 s) and then \(version) (advert_int 0.1, "
            + "unicast, a track file written by the same http check every 200 ms, fall 2) moving the same address on the same "
            + "hosts in the same run. Measured \(BenchFigures.today()).\n\n"
        text += "| event | vacataire | keepalived |\n| --- | --- | --- |\n"
        text += "| the served page breaks (check failure) | \(BenchFigures.summary(ours["check"] ?? [])) | \(BenchFigures.summary(theirs["check"] ?? [])) |\n"
        text += "| kill -9 of the master's agent and service | \(BenchFigures.summary(ours["crash"] ?? [])) | \(BenchFigures.summary(theirs["crash"] ?? [])) |\n"
        text += "\nvacataire moves the address make-before-break: the new node's service is verified first, then the old node "
            + "lets the address go, then the new one probes that nobody answers (100 ms), adds and announces it. keepalived "
            + "moves it as soon as VRRP elects the other node, and starts the service from its notify script after that. "
            + "After a crash, vacataire waits for dead_after (and its witness and service probe) before taking over; "
            + "keepalived for three missed adverts. A GET that gets no answer gives up after 500 ms, so one missed sample reads as "
            + "about 0.5 s: on a check failure both lose one sample.\n"
        try text.write(toFile: output, atomically: true, encoding: .utf8)
        print(text)
    }

    func served(_ pair: PairFixture) -> String? {
        guard let answer = pair.lastSample?.others["vip"], answer.answers else { return nil }
        return answer.who
    }

    func window(_ pair: PairFixture, since mark: PairFixture.Mark) -> Double {
        var longest = 0.0
        var since: Date?
        for sample in pair.samples.since(mark.time).samples {
            if sample.others["vip"]?.answers == true {
                if let start = since { longest = max(longest, sample.time.timeIntervalSince(start)) }
                since = nil
            } else if since == nil {
                since = sample.time
            }
        }
        return longest
    }

    /// keepalived on alpha (MASTER, priority 150) and beta (BACKUP, 100), VRRP unicast on the
    /// public network, the floating address on pub0, the service started and stopped by its
    /// notify scripts, the page checked by a loop writing a track file.
    final class Keepalived: @unchecked Sendable {
        let pair: PairFixture
        let network: OperatorNetwork
        var processes: [PairFixture.Node: [SpawnedProcess]] = [:]

        init(pair: PairFixture, network: OperatorNetwork) throws {
            self.pair = pair
            self.network = network
            let loop = """
                #!/bin/bash
                # checkloop.sh NAME FILE: the page (200, 4096 bytes) every 200 ms, fall 2 / rise 2, 0 or 1 into FILE.
                state=0; fails=0; passes=0; printf 0 >"$2"
                while :; do
                    if [ ! -f "run/$1.pid" ] || [ "$(curl -s -o /dev/null -m 0.2 -w '%{http_code} %{size_download}' http://127.0.0.1:8080/)" = "200 4096" ]; then
                        passes=$((passes + 1)); fails=0
                        if [ $state = 1 ] && [ $passes -ge 2 ]; then state=0; printf 0 >"$2"; fi
                    else
                        fails=$((fails + 1)); passes=0
                        if [ $state = 0 ] && [ $fails -ge 2 ]; then state=1; printf 1 >"$2"; fi
                    fi
                    sleep 0.2
                done

                """
            let path = try pair.directory.write("checkloop.sh", loop)
            chmod(path, 0o755)
            for node in [PairFixture.Node.alpha, .beta] {
                try pair.directory.write("\(node.rawValue).keepalived.conf", Self.config(node, directory: pair.directory.path))
                try start(node)
            }
        }

        static func config(_ node: PairFixture.Node, directory: String) -> String {
            let (state, priority) = node == .alpha ? ("MASTER", 150) : ("BACKUP", 100)
            return """
                global_defs {
                    router_id \(node.rawValue)
                    vrrp_version 3
                    script_user root
                    enable_script_security
                }
                track_file page_\(node.rawValue) {
                    file "\(directory)/\(node.rawValue).track"
                    weight 0
                    init_file 0 overwrite
                }
                vrrp_instance bench {
                    state \(state)
                    interface pub0
                    virtual_router_id 51
                    priority \(priority)
                    advert_int 0.1
                    unicast_src_ip \(node.publicAddress)
                    unicast_peer {
                        \(node.peer.publicAddress)
                    }
                    virtual_ipaddress {
                        \(AddressBench.address)/24 dev pub0
                    }
                    track_file {
                        page_\(node.rawValue)
                    }
                    notify_master "/bin/sh -c 'cd \(directory) && ./web_service.sh start \(node.rawValue) 8080'"
                    notify_backup "/bin/sh -c 'cd \(directory) && ./web_service.sh stop \(node.rawValue)'"
                    notify_fault "/bin/sh -c 'cd \(directory) && ./web_service.sh stop \(node.rawValue)'"
                }

                """
        }

        func start(_ node: PairFixture.Node) throws {
            let directory = pair.directory
            // A machine that boots again has an empty /run: no pid file of the killed daemon.
            for pid in ["ka", "ka-vrrp", "ka-checkers"] { try? FileManager.default.removeItem(atPath: directory.file("\(node.rawValue).\(pid).pid")) }
            let loop = network.command(in: node.host, ["/bin/sh", "-c", "cd '\(directory.path)' && exec ./checkloop.sh \(node.rawValue) \(node.rawValue).track"])
            let daemon = network.command(in: node.host, [
                "/usr/sbin/keepalived", "--dont-fork", "--log-console", "--vrrp", "--no-syslog",
                "--use-file", directory.file("\(node.rawValue).keepalived.conf"), "--pid", directory.file("\(node.rawValue).ka.pid"),
                "--vrrp_pid", directory.file("\(node.rawValue).ka-vrrp.pid"), "--checkers_pid", directory.file("\(node.rawValue).ka-checkers.pid"),
            ])
            processes[node] = try [loop, daemon].enumerated().map { index, command in
                try SpawnedProcess(executable: command[0], arguments: Array(command.dropFirst()),
                                   stdoutPath: directory.file("\(node.rawValue).ka\(index).stdout"), stderrPath: directory.file("\(node.rawValue).ka\(index).stderr"))
            }
        }

        /// kill -9 of keepalived, its check loop and the service, as `PairFixture.crash` does to the agent.
        func crash(_ node: PairFixture.Node) {
            network.killEverything(in: node.host)
            for process in processes[node] ?? [] { _ = process.waitUntilExit() }
        }

        func stop() {
            for node in [PairFixture.Node.alpha, .beta] { crash(node) }
        }
    }
}
