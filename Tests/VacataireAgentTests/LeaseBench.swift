import Foundation
import VacataireTestSupport
import XCTest

/// `make bench`'s figures for mode etcd (Tests/Benchmarks/lease-bench.sh runs it with the
/// release build): on the lease lab (three agents, a three-member etcd, HAProxy, each on a
/// namespace host), at the default timings and at tight ones, how long a takeover takes on a
/// leader crash and on a check failure, and how many etcd requests an idle node sends.
/// Skipped unless `VACATAIRE_BENCH_LEASE` names the markdown file to write.
final class LeaseBench: XCTestCase {
    struct Setting {
        var label: String
        var ttl: Int?
        var renew: Int
        var request: Int
    }

    func testTakeoverTimesAndIdleRequests() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let output = environment["VACATAIRE_BENCH_LEASE"] else {
            throw XCTSkip("a benchmark: Tests/Benchmarks/lease-bench.sh runs it (VACATAIRE_BENCH_LEASE=FILE)")
        }
        let rounds = Int(environment["ROUNDS"] ?? "") ?? 5
        let binary = environment["VACATAIRE_BINARY"] ?? Repository.executable
        let settings = [
            Setting(label: "defaults (renew 1 s, request 1 s; ttl 10 s, the rule asks more than 5.5 s with a 1 s stop)", ttl: nil, renew: 1_000, request: 1_000),
            Setting(label: "tight (ttl 3 s, renew 250 ms, request 250 ms)", ttl: 3, renew: 250, request: 250),
        ]
        var columns: [[String: [Double]]] = []
        var idle: [Double] = []
        for setting in settings {
            let lab = try LeaseLab(ttl: setting.ttl, renewMilliseconds: setting.renew, requestMilliseconds: setting.request, executable: binary)
            defer { lab.tearDown() }
            try lab.startAgents()
            guard Wait.until(timeout: 60, every: 0.1, { lab.frontendNode == "alpha" }) else { throw FixtureError("alpha never served\n\(lab.logs)") }
            var figures: [String: [Double]] = [:]
            // Idle: etcd requests per second, each node, over 20 s.
            sleep(2)
            let before = LeaseLab.nodes.map { lab.metric($0, "vacataire_etcd_requests_total") ?? 0 }
            sleep(20)
            let after = LeaseLab.nodes.map { lab.metric($0, "vacataire_etcd_requests_total") ?? 0 }
            idle.append(zip(before, after).map { ($1 - $0) / 20 }.max() ?? 0)
            for _ in 0..<rounds {
                // The leader's page breaks: beta takes over make-before-break.
                let broken = Date()
                let startsBefore = lab.starts("beta").count
                try lab.truncatePage("alpha", true)
                guard Wait.until(timeout: 30, every: 0.05, { lab.frontendNode == "beta" && lab.state("alpha") != "active" }) else {
                    throw FixtureError("beta never took over\n\(lab.logs)")
                }
                sleep(1)
                if let start = lab.starts("beta").dropFirst(startsBefore).first { figures["check", default: []].append(start.timeIntervalSince(broken)) }
                if let served = firstSample(lab, after: broken, { $0.frontend.who == "beta" }) { figures["check-lb", default: []].append(served.timeIntervalSince(broken)) }
                try restoreAlpha(lab, repaired: true)
                // The leader's machine dies (agent and service).
                let crashed = Date()
                let startsBeforeCrash = lab.starts("beta").count
                lab.crash("alpha")
                guard Wait.until(timeout: 60, every: 0.05, { lab.frontendNode == "beta" }) else { throw FixtureError("beta never served\n\(lab.logs)") }
                sleep(1)
                if let start = lab.starts("beta").dropFirst(startsBeforeCrash).first { figures["crash", default: []].append(start.timeIntervalSince(crashed)) }
                if let served = firstSample(lab, after: crashed, { $0.frontend.who == "beta" }) { figures["crash-lb", default: []].append(served.timeIntervalSince(crashed)) }
                try lab.start("alpha")
                try restoreAlpha(lab, repaired: false)
            }
            columns.append(figures)
        }
        let rows = [
            ("check failure -> the next member's start begins", "check"), ("check failure -> HAProxy serves the next member", "check-lb"),
            ("leader crash -> the next member's start begins", "crash"), ("leader crash -> HAProxy serves the next member", "crash-lb"),
        ]
        var text = "## etcd lease mode (lease-bench.sh)\n\n"
        text += "Three agents, a three-member etcd (Debian's etcd-server 3.4) and HAProxy, each on its own network-namespace host "
            + "(`LeaseLab`); the service's http check every 200 ms, fall 2; stop timeout 1 s. \(rounds) rounds each; seconds, "
            + "median / p90 / min / max. Measured \(BenchFigures.today()).\n\n"
        text += "| figure | " + settings.map(\.label).joined(separator: " | ") + " |\n| --- |" + String(repeating: " --- |", count: settings.count) + "\n"
        for (label, key) in rows {
            text += "| \(label) | " + columns.map { BenchFigures.summary($0[key] ?? []) }.joined(separator: " | ") + " |\n"
        }
        text += "| etcd requests per second, idle node (the busiest of three, over 20 s) | "
            + idle.map { String(format: "%.2f", $0) }.joined(separator: " | ") + " |\n"
        text += "\nThe pair mode's figures on its own lab are in the first section: a check failure starts the standby in about 0.17 s "
            + "and a crash in dead_after plus a heartbeat. In mode etcd a check failure costs the same detection, then one etcd "
            + "round trip per step (the handoff request, the target's readiness, the key's move), and a crash costs the lease's "
            + "remaining life (up to ttl), a campaign and the start: the price of a quorum instead of a witness.\n"
        try text.write(toFile: output, atomically: true, encoding: .utf8)
        print(text)
    }

    /// Alpha serves again: repaired (page restored and `vacataire ready`) or restarted, then failback.
    func restoreAlpha(_ lab: LeaseLab, repaired: Bool) throws {
        if repaired {
            try lab.truncatePage("alpha", false)
            _ = Wait.until(timeout: 30, every: 0.1) { ["failed", "standby"].contains(lab.state("alpha") ?? "") }
            if lab.state("alpha") == "failed" { _ = try lab.admin("alpha", ["ready"]) }
        }
        guard Wait.until(timeout: 60, every: 0.1, { lab.state("alpha") == "standby" }) else { throw FixtureError("alpha never stood by\n\(lab.logs)") }
        sleep(2)  // its member key says it is ready
        _ = try lab.admin("beta", ["failback"])
        guard Wait.until(timeout: 60, every: 0.1, { lab.frontendNode == "alpha" && lab.state("beta") == "standby" }) else {
            throw FixtureError("alpha never served again\n\(lab.logs)")
        }
        sleep(2)
    }

    func firstSample(_ lab: LeaseLab, after start: Date, _ condition: (ServiceSamples.Sample) -> Bool) -> Date? {
        lab.samples.since(start).samples.first(where: condition)?.time
    }
}
