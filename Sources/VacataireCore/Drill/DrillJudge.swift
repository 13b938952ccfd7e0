/// Judges a drill as it goes: after each leg, what comes next (the next leg, putting the
/// service back, or the report), and each leg's verdict.
///
/// Pure: it reads the legs the agent ran (`DrillLegRecord`) and decides; the agent runs
/// the legs, samples, and sends what the report says.
public enum DrillJudge {
    /// What the agent does next.
    public enum Step: Sendable, Equatable {
        /// Run this leg of the plan.
        case leg(DrillPlan.Leg)
        /// A leg failed with the service moved: move it back to where it was.
        case putBack(DrillPlan.Leg)
        /// The drill is over: send the report (a notice when it passed; one incident,
        /// paged, when it failed).
        case finish(DrillReport)
    }

    /// Whether a leg passed: it settled, the new node's service was seen answering, and no
    /// sample found both services silent.
    public static func passed(_ record: DrillLegRecord) -> Bool {
        record.outcome == .settled && !record.samples.isEmpty && record.newNodeSeen != nil && record.nobodyCount == 0
    }

    /// The next step after `legs` (the plan's, in order) and `putBack` (if one ran).
    public static func next(_ plan: DrillPlan, legs: [DrillLegRecord], putBack: DrillLegRecord? = nil) -> Step {
        guard let origin = plan.legs.first?.from else {
            return .finish(DrillReport(passed: false, legs: [], verdict: "drill FAILED: the plan has no leg"))
        }
        if let failed = legs.firstIndex(where: { !passed($0) }) {
            let record = legs[failed]
            // The service moved on a failed leg (a gap, or slow): take it back where it was.
            if putBack == nil, record.serverAfter != origin, record.serverAfter == record.leg.to {
                return .putBack(record.leg.reversed)
            }
            let now = putBack?.serverAfter ?? record.serverAfter
            let where_ = now.map { "\($0) serves" } ?? "nobody is known to serve"
            let back = putBack.map { passed($0) || $0.serverAfter == origin ? "; put back on \(origin)" : "; putting it back on \(origin) failed too" } ?? ""
            let verdict = "drill FAILED at leg \(failed + 1) (\(record.leg.from) -> \(record.leg.to)): \(why(record))\(back); \(where_)"
            return .finish(report(legs, putBack: putBack, passed: false, verdict: verdict))
        }
        if legs.count < plan.legs.count {
            return .leg(plan.legs[legs.count])
        }
        let route = ([origin] + plan.legs.map(\.to)).joined(separator: " -> ")
        let verdict = "drill passed: \(route), make before break; no sample without a serving service; \(origin) serves"
        return .finish(report(legs, putBack: nil, passed: true, verdict: verdict))
    }

    /// Whether the peer's news lets the next leg begin: heard since the last leg ended
    /// (`sinceLegEnded` ago), not silent, healthy. The agent waits for it, at most until the
    /// peer would be silent, so that a leg is judged on news of the pair as the last move
    /// left it, not on a heartbeat sent in the middle of that move.
    public static func peerReady(_ peer: PeerStatus, sinceLegEnded: Duration) -> Bool {
        guard !peer.silent, let heard = peer.lastHeard, heard < sinceLegEnded else { return false }
        return peer.healthy == true
    }

    /// Why a leg failed, in a few words an operator acts on.
    public static func why(_ record: DrillLegRecord) -> String {
        switch record.outcome {
        case .refused(let why): return "refused: \(why)"
        case .abandoned(let why): return why
        case .timedOut(let last): return "not settled in time (\(last))"
        case .settled:
            if record.samples.isEmpty { return "no sample was taken" }
            if record.newNodeSeen == nil { return "\(record.leg.to)'s service was never seen answering" }
            return "nobody answered in \(record.nobodyCount) sample(s)"
        }
    }

    static func report(_ legs: [DrillLegRecord], putBack: DrillLegRecord?, passed: Bool, verdict: String) -> DrillReport {
        let figures = legs.map { Self.figures($0, putBack: false) } + (putBack.map { [Self.figures($0, putBack: true)] } ?? [])
        return DrillReport(passed: passed, legs: figures, verdict: verdict)
    }

    static func figures(_ record: DrillLegRecord, putBack: Bool) -> DrillReport.Leg {
        let ok = passed(record)
        return DrillReport.Leg(
            from: record.leg.from, to: record.leg.to, passed: ok, outcome: ok ? "settled" : why(record),
            startSeconds: record.started?.seconds, verifySeconds: record.verified?.seconds, drainSeconds: record.drained?.seconds,
            newNodeSeenSeconds: record.newNodeSeen?.seconds, samples: record.samples.count, nobodySamples: record.nobodyCount,
            putBack: putBack)
    }
}
