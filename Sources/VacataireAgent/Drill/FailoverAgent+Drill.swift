import Foundation
import VacataireCore
import VacataireNotify

extension FailoverAgent {
    /// How often a drill samples both services.
    static let drillSamplePeriod: Duration = .milliseconds(20)

    /// `vacataire drill [--dry-run] [--scheduled]`: asks `DrillPlan` whether it may run,
    /// runs the legs `DrillJudge` names (each a switchover that pages nobody), sampling both
    /// services, and hands the report it returns to the machine, which sends a notice when
    /// it passed and pages one incident when it failed. Answers once the drill is over.
    func drill(_ request: ControlRequest, author: String) async -> ControlReply {
        // A child of the agent's run, not of the request: a client that hangs up (or is
        // cancelled) mid-drill does not stop it half-way, with the service on the other node.
        let reply = OnceValue<ControlReply>()
        guard startAside({ reply.give(await self.runDrill(request, author: author)) }) else {
            return ControlReply(outcome: .refused, message: "refused: the agent is stopping")
        }
        return await reply.wait {}
    }

    private func runDrill(_ request: ControlRequest, author: String) async -> ControlReply {
        let peer = coordinator.peerStatus(at: now())
        let situation = DrillPlan.Situation(
            node: config.node.name, peer: peer.name, configuredMaster: failover.role == .master, state: coordinator.stateName,
            healthy: coordinator.health?.healthy, healthSummary: coordinator.health?.summary, peerRole: peer.heardRole,
            peerHealthy: peer.healthy, peerSilent: peer.silent, openIncidents: coordinator.acknowledgeable,
            hasServiceProbe: failover.serviceProbe != nil, leaseMode: failover.etcd != nil, drillRunning: drillRunning)
        let plan: DrillPlan
        switch DrillPlan.decide(situation, scheduled: request.scheduled ?? false) {
        case .refuse(let refusal):
            record(.admin, kind: .drill, reason: "drill requested by \(author): refused: \(refusal)", author: author)
            return ControlReply(outcome: .refused, message: "refused: \(refusal)")
        case .skip(let why):
            return ControlReply(outcome: .done, message: "skipped: \(why)")
        case .run(let decided):
            plan = decided
        }
        guard let probe = failover.serviceProbe else {
            return ControlReply(outcome: .refused, message: "refused: \(DrillRefusal.noServiceProbe)")
        }
        let own = ownServiceCheck
        if request.dryRun == true {
            return ControlReply(outcome: .done, message: plan.lines(probe: probe.absoluteString, ownService: own?.url, samplePeriod: Self.drillSamplePeriod).joined(separator: "\n"))
        }
        drillRunning = true
        defer { drillRunning = false }
        record(.admin, kind: .drill, reason: "drill requested by \(author): \(plan.legs.map { "\($0.from) -> \($0.to)" }.joined(separator: ", "))", author: author)
        let probeSettings = HTTPCheckSettings(url: probe.absoluteString, expectStatus: 200...399)
        var legs: [DrillLegRecord] = []
        var putBack: DrillLegRecord?
        var lastLegEnded: MonotonicInstant?
        while true {
            switch DrillJudge.next(plan, legs: legs, putBack: putBack) {
            case .leg(let leg):
                if let lastLegEnded { await awaitPeerNews(since: lastLegEnded) }
                legs.append(await drillLeg(leg, probe: probeSettings, own: own, author: author))
                lastLegEnded = clock.now
            case .putBack(let leg):
                if let lastLegEnded { await awaitPeerNews(since: lastLegEnded) }
                putBack = await drillLeg(leg, probe: probeSettings, own: own, author: author)
            case .finish(let report):
                return finishDrill(report, author: author)
            }
        }
    }

    /// Waits until the peer has been heard, healthy, since the last leg ended
    /// (`DrillJudge.peerReady`), or until it would count as silent: the next leg is then
    /// asked on fresh news, and refused only if that news says so.
    private func awaitPeerNews(since legEnded: MonotonicInstant) async {
        let deadline = legEnded + failover.deadAfter.duration
        while !DrillJudge.peerReady(coordinator.peerStatus(at: now()), sinceLegEnded: clock.now.since(legEnded)), clock.now < deadline {
            await sleep(until: min(deadline, clock.now + Self.drillSamplePeriod), orWhen: changeBell)
        }
    }

    /// This node's own service as its first `http` check reaches it, for the drill's samples.
    private var ownServiceCheck: HTTPCheckSettings? {
        for check in config.checks {
            if case .http(let settings) = check.kind { return settings }
        }
        return nil
    }

    /// Runs one leg (a switchover that pages nobody) and watches it settle, sampling.
    private func drillLeg(_ leg: DrillPlan.Leg, probe: HTTPCheckSettings, own: HTTPCheckSettings?, author: String) async -> DrillLegRecord {
        let origin = clock.now
        let (period, clock) = (Self.drillSamplePeriod, clock)
        return await withTaskGroup(of: [DrillLegRecord.Sample].self) { sampling in
            sampling.addTask { await DrillSampler.sample(probe: probe, own: own, period: period, clock: clock, origin: origin) }
            let (outcome, watch) = await watchLeg(leg, origin: origin, author: author)
            sampling.cancelAll()
            return recordLeg(leg, outcome: outcome, watch: watch, samples: await sampling.next() ?? [])
        }
    }

    /// Starts the leg's switchover and watches it until it ends, is refused or runs out of time.
    private func watchLeg(_ leg: DrillPlan.Leg, origin: MonotonicInstant, author: String) async -> (DrillLegRecord.Outcome, DrillLegWatch) {
        let actions = coordinator.handle(.admin(.drillLeg, author: author), now: now())
        var answer: (accepted: Bool, reason: String)?
        for case .answerAdmin(let accepted, let reason) in actions { answer = (accepted, reason) }
        apply(actions)
        var watch = DrillLegWatch(leg: leg)
        let outcome: DrillLegRecord.Outcome
        if let answer, !answer.accepted {
            outcome = .refused(answer.reason)
        } else {
            // Each leg has the time of a switchover, and both drains.
            let deadline = origin + .milliseconds(Int64(defaultWait * 1000)) + failover.drain.duration * 2
            var ended: DrillLegRecord.Outcome?
            while ended == nil {
                let view = DrillLegWatch.View(
                    state: coordinator.stateName, peerRole: coordinator.peerStatus(at: now()).heardRole,
                    runsServiceChecks: coordinator.runsServiceChecks, inLoadBalancer: coordinator.loadBalancerView(at: now()).up,
                    lastReason: coordinator.lastReason)
                ended = watch.observe(view, at: clock.now.since(origin))
                if ended == nil, clock.now >= deadline { ended = .timedOut(coordinator.lastReason) }
                if ended == nil { await sleep(until: min(deadline, clock.now + Self.drillSamplePeriod), orWhen: changeBell) }
            }
            outcome = ended ?? .timedOut(coordinator.lastReason)
        }
        return (outcome, watch)
    }

    /// The leg as the report tells it, with what the samples saw; recorded as an event.
    private func recordLeg(_ leg: DrillPlan.Leg, outcome: DrillLegRecord.Outcome, watch: DrillLegWatch, samples: [DrillLegRecord.Sample]) -> DrillLegRecord {
        // Leg to the peer: its start as the load balancer's URL shows it.
        let started = leg.towardsPeer ? samples.first(where: \.peerAnswers)?.at : watch.started
        let peer = coordinator.peerStatus(at: now())
        let server = coordinator.stateName == .active ? config.node.name : peer.heardRole == .active ? peer.name : nil
        let record = DrillLegRecord(leg: leg, outcome: outcome, started: started, verified: watch.verified, drained: watch.drained, samples: samples, serverAfter: server)
        self.record(.admin, kind: .drill, reason: "drill: \(DrillJudge.passed(record) ? "leg passed" : "leg failed: \(DrillJudge.why(record))"): \(leg.from) -> \(leg.to)")
        return record
    }

    /// Keeps the report (events, /metrics) and hands it to the machine, which says what is
    /// sent: a notice, or one paged incident.
    private func finishDrill(_ report: DrillReport, author: String) -> ControlReply {
        metrics.drillFinished(report, at: clock.date)
        record(.admin, kind: report.passed ? .drill : .drillFailed, reason: report.verdict, detail: report.lines.joined(separator: "\n"), author: author)
        apply(coordinator.handle(.admin(.drillEnded(passed: report.passed, report: report.lines.joined(separator: "; ")), author: author), now: now()))
        return ControlReply(outcome: report.passed ? .done : .refused, message: report.lines.joined(separator: "\n"))
    }
}
