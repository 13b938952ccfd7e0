import VacataireTestSupport
import XCTest
@testable import VacataireCore

/// Seeded random runs of the pair: health flips, partitions, crashes, SIGTERMs (the agent
/// exits once nothing is in flight), restarts and admin commands at random instants. After every step: never two nodes active at one epoch,
/// both services on for three steps at most (make before break: the new service starts,
/// the old one is asked to stop, and stops), or `self_fence_after` and a stop when the link
/// is cut or an agent gone meanwhile (a confirmation lost in the cut: the node that hears
/// neither peer nor witness fences itself),
/// never a start while the node's checks fail, persist always before acting, and nobody
/// serving for 20 s only after a page (while some agent lives; maintenance defers the verdict). At the end,
/// with everything repaired and failed nodes failed back, exactly one node serves.
final class FailoverChaosTests: XCTestCase {
    /// 150 seeds on every run; `VACATAIRE_CHAOS_SEEDS=1500` for a longer hunt.
    static let seeds = Int(ProcessInfo.processInfo.environment["VACATAIRE_CHAOS_SEEDS"] ?? "") ?? 150

    func testRandomRunsKeepTheInvariants() {
        for seed in 1...max(1, Self.seeds) {
            var dice = Dice(state: UInt64(seed))
            var pair = PairSimulation()
            pair.settle()
            for _ in 0..<2_000 {
                for index in 0..<2 where !pair.down[index] {
                    if dice.chance(0.004) {
                        let verdict = pair.nodes[index].health?.healthy == true ? failing : HealthVerdict.healthy
                        pair.input(index, .health(verdict))
                    }
                    if dice.chance(0.0015) { pair.crash(index) }
                    if dice.chance(0.002) { pair.input(index, .admin(.failback(force: false), author: "chaos")) }
                    if dice.chance(0.001) { pair.input(index, .admin(.switchover(to: nil), author: "chaos")) }
                    if dice.chance(0.001) { pair.input(index, .admin(.maintenance(on: dice.chance(0.5)), author: "chaos")) }
                    // SIGTERM: the agent exits once nothing is in flight, its service left as it is.
                    if dice.chance(0.001) { pair.input(index, .exitRequested) }
                    if pair.nodes[index].exiting, pair.nodes[index].mayExit { pair.crash(index, serviceDies: false) }
                }
                for index in 0..<2 where pair.down[index] && dice.chance(0.01) {
                    pair.restart(index, healthy: dice.chance(0.7))
                }
                if dice.chance(0.003) { pair.linkUp.toggle() }
                // The guard tells the truth about the peer's service; the witness is reachable
                // unless this node is on the cut side of a partition.
                for index in 0..<2 {
                    let peerServes = pair.serviceOn[1 - index]  // an exited agent leaves its service on
                    let reachesWitness = pair.linkUp || index == (seed % 2)
                    pair.guardReport[index] = GuardReport(witnessReachable: reachesWitness, peerServiceAnswers: peerServes)
                }
                pair.step()
            }
            XCTAssertEqual(pair.violations, [], "seed \(seed)")
            // A confirmation lost in a cut ends by a self-fence: self_fence_after (2 s, 40
            // steps), a tick and the stop.
            XCTAssertLessThanOrEqual(pair.longestOverlapWithAPeerQuiet, 43,
                                     "seed \(seed): both services ran for \(pair.longestOverlapWithAPeerQuiet) steps with the peer quiet")
            XCTAssertLessThanOrEqual(pair.longestDoubleService, 3, "seed \(seed): both services ran for \(pair.longestDoubleService) steps in a row: \(pair.doubleServiceNote)")
            // Repair everything.
            pair.linkUp = true
            for index in 0..<2 {
                if pair.down[index] { pair.restart(index) }
                pair.input(index, .health(.healthy))
                pair.input(index, .admin(.maintenance(on: false), author: "ops"))
            }
            pair.run(20)
            for index in [1, 0] where pair.nodes[index].stateName == .failed {
                pair.input(index, .admin(.failback(force: false), author: "ops"))
                pair.run(10)
            }
            pair.run(20)
            let states = pair.nodes.map(\.stateName)
            XCTAssertEqual(states.filter { $0 == .active }.count, 1, "seed \(seed): \(states), epochs \(pair.nodes.map(\.epoch))")
            XCTAssertEqual(pair.serviceOn.filter { $0 }.count, 1, "seed \(seed): services \(pair.serviceOn)")
            XCTAssertEqual(pair.nodes[0].epoch, pair.nodes[1].epoch, "seed \(seed)")
            XCTAssertEqual(pair.violations, [], "seed \(seed)")
        }
    }
}
