import Foundation
import VacataireChecks
import VacataireCore

/// Looks at both services every `period` during one leg of a drill: the peer's through
/// `service_probe` (the load balancer's view of it) and this node's own through its `http`
/// check, each answer timed from the leg's start.
enum DrillSampler {
    /// The longest one look may take; a service slower than this counts as not answering.
    static let lookTimeout: Duration = .milliseconds(250)

    /// Samples `probe` and `own` (nil: the peer's side only) from `origin` until the calling
    /// task is cancelled; the samples taken, oldest first.
    static func sample(
        probe: HTTPCheckSettings, own: HTTPCheckSettings?, period: Duration, clock: any AgentClock, origin: MonotonicInstant
    ) async -> [DrillLegRecord.Sample] {
        var samples: [DrillLegRecord.Sample] = []
        var next = clock.now
        while !Task.isCancelled {
            let at = clock.now.since(origin)
            async let peer = answers(probe)
            async let mine = answers(own)
            let (peerAnswers, ownAnswers) = await (peer, mine)
            samples.append(DrillLegRecord.Sample(at: at, peerAnswers: peerAnswers ?? false, ownAnswers: ownAnswers))
            next = max(next + period, clock.now)
            guard (try? await clock.sleep(until: next)) != nil else { break }
        }
        return samples
    }

    /// Whether the service answers as `settings` expect (nil: nothing to look at).
    private static func answers(_ settings: HTTPCheckSettings?) async -> Bool? {
        guard let settings else { return nil }
        return await HTTPCheck(settings).run(timeout: lookTimeout).status == .ok
    }
}
