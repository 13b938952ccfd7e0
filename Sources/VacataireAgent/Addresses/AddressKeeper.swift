import Foundation
import Synchronization
import VacataireAddress
import VacataireCore

/// Executes the failover machine's `.claimAddresses` and `.releaseAddresses` for the
/// floating addresses (`failover.addresses`), on threads of its own (every kernel call
/// blocks): the duplicate-address probe, the add, the announcements on their schedule, the
/// removal. Decides nothing: the machine says when; a conflict is reported back to it.
final class AddressKeeper: Sendable {
    let config: FloatingAddressesConfig
    /// The peer's IP addresses: the kernel's neighbour table says which hardware address is
    /// the peer's, for a claim over what a dead peer's kernel still holds.
    let peerHosts: [String]
    let clock: any AgentClock
    /// Bumped at every claim and release: an announcement schedule of an older claim stops.
    private let generation = Atomic(0)
    /// Which addresses this node holds now, for status and metrics.
    private let held = Mutex<Set<FloatingAddress>>([])
    /// When the last claim and release began and ended, for status.
    private let lastMove = Mutex<String?>(nil)
    /// Rung at each claim: the announcements start their schedule again.
    private let claimed = Doorbell()

    init(config: FloatingAddressesConfig, peerHosts: [String], clock: any AgentClock) {
        self.config = config
        self.peerHosts = peerHosts
        self.clock = clock
    }

    /// Probes that no other host answers for any address, for up to `waitFree` (the old
    /// holder letting them go), then adds them all and starts announcing. Returns nil when
    /// they are held, else the conflict in words (who answers for which address).
    func claim(waitFree: Duration, overPeer: Bool) async -> String? {
        generation.add(1, ordering: .relaxed)
        let deadline = clock.now + waitFree
        let started = clock.now
        let peer = overPeer ? PeerHardware.of(peerHosts) : []
        // Probe until nobody else answers, or until the old holder had its time to let go.
        probing: while true {
            let answer = await BlockingThread.run(name: "vacataire.address.probe") { [config] in Self.whoAnswers(config, ignoring: peer) }
            switch answer {
            case .failure(let error):
                return "cannot probe: \(error)"
            case .success(nil):
                break probing
            case .success(let conflict?):
                guard clock.now < deadline else { return conflict }
                try? await clock.sleep(until: clock.now + .milliseconds(50))
            }
        }
        let added = await BlockingThread.run(name: "vacataire.address.add") { [config] () -> String? in
            for address in config.addresses {
                do throws(FloatingAddressError) {
                    try AddressTable.add(address)
                } catch {
                    return error.description
                }
            }
            return nil
        }
        if let added { return added }
        held.withLock { $0 = Set(config.addresses) }
        lastMove.withLock { $0 = "taken \(DateText.iso8601(clock.date)) after \(clock.now.since(started).humanSeconds) of probing" }
        claimed.ring()
        return nil
    }

    /// Who answers for one of the addresses, if anyone but this host.
    static func whoAnswers(_ config: FloatingAddressesConfig, ignoring peer: Set<HardwareAddress>) -> Result<String?, FloatingAddressError> {
        for address in config.addresses {
            do throws(FloatingAddressError) {
                if let mac = try DuplicateAddressProbe.probe(address, timeout: config.probeTimeout.duration, ignoring: peer) {
                    return .success("\(address.address) on \(address.interface) is answered by \(mac)")
                }
            } catch {
                return .failure(error)
            }
        }
        return .success(nil)
    }

    /// Announces the held addresses on the plan's schedule after each claim, until the next
    /// claim or release; runs as long as the agent (a child of its `run()`).
    func runAnnouncements() async {
        var claimedMeanwhile = false
        while !Task.isCancelled {
            // A claim that came during the last schedule's sleep rang the bell then.
            if !claimedMeanwhile { await claimed.wait() }
            claimedMeanwhile = false
            let claim = generation.load(ordering: .relaxed)
            let start = clock.now
            // The schedule of a claim: the two bursts, then the refreshes (a year of them at most).
            for offset in config.announce.offsets(upTo: .seconds(366 * 86_400)) {
                if clock.now < start + offset {
                    await sleep(until: start + offset)
                }
                guard !Task.isCancelled, generation.load(ordering: .relaxed) == claim else {
                    claimedMeanwhile = held.withLock { !$0.isEmpty }
                    break
                }
                await BlockingThread.run(name: "vacataire.address.announce") { [config] in
                    for address in config.addresses { try? NeighbourAnnouncer.announce(address) }
                }
            }
        }
    }

    /// Returns at `wake`, at the next claim (which starts a new schedule), or when cancelled.
    private func sleep(until wake: MonotonicInstant) async {
        await claimed.wait(until: wake, on: clock)
    }

    /// Removes every address (absent ones too: a removal never fails for that), at once on
    /// the calling thread: it must be done before the stop actions start, and a netlink
    /// request to the local kernel is answered in microseconds. The problems, if any.
    func release() -> String? {
        generation.add(1, ordering: .relaxed)
        held.withLock { $0 = [] }
        var problems: [String] = []
        for address in config.addresses {
            do throws(FloatingAddressError) {
                try AddressTable.remove(address)
            } catch {
                problems.append(error.description)
            }
        }
        lastMove.withLock { $0 = "let go \(DateText.iso8601(clock.date))" }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    /// Each address and whether this node holds it, for status and metrics.
    var holdings: [(address: FloatingAddress, held: Bool)] {
        let now = held.withLock { $0 }
        return config.addresses.map { ($0, now.contains($0)) }
    }

    var lastChange: String? { lastMove.withLock { $0 } }
}
