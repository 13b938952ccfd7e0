import Foundation
import VacataireChecks
import VacataireCore

/// Looks at both services every `period` during one leg of a drill: the peer's through
/// `service_probe` (the load balancer's view of it) and this node's own through its `http`
/// check, each answer timed from the leg's start.
///
/// It owns its task: `start` begins sampling, `stop` ends it and hands the samples over.
struct DrillSampler: Sendable {
    /// The longest one look may take; a service slower than this counts as not answering.
    static let lookTimeout: Duration = .milliseconds(250)

    private let task: Task<[DrillLegRecord.Sample], Never>

    /// Starts sampling `probe` and `own` (nil: the peer's side only) from `origin`.
    init(probe: HTTPCheckSettings, own: HTTPCheckSettings?, period: Duration, clock: any AgentClock, origin: MonotonicInstant) {
        task = Task {
            var samples: [DrillLegRecord.Sample] = []
            var next = clock.now
            while !Task.isCancelled {
                let at = clock.now.since(origin)
                async let peer = Self.answers(probe)
                async let mine = Self.answers(own)
                let (peerAnswers, ownAnswers) = await (peer, mine)
                samples.append(DrillLegRecord.Sample(at: at, peerAnswers: peerAnswers ?? false, ownAnswers: ownAnswers))
                next = max(next + period, clock.now)
                guard (try? await clock.sleep(until: next)) != nil else { break }
            }
            return samples
        }
    }

    /// Whether the service answers as `settings` expect (nil: nothing to look at).
    private static func answers(_ settings: HTTPCheckSettings?) async -> Bool? {
        guard let settings else { return nil }
        return await HTTPCheck(settings).run(timeout: lookTimeout).status == .ok
    }

    /// Ends sampling; the samples taken, oldest first.
    func stop() async -> [DrillLegRecord.Sample] {
        task.cancel()
        return await task.value
    }
}
