import Foundation
import VacataireCore
import XCTest

/// The rate limiter as a pure state machine: time is given, nothing sleeps.
final class NotificationLimiterTests: XCTestCase {
    private let origin = MonotonicInstant.seconds(1_000)
    private let mail = "email:oncall"
    private let nms = "snmp:nms"

    private func at(_ seconds: Double) -> MonotonicInstant { origin + .milliseconds(Int64(seconds * 1000)) }

    private func check(_ kind: EventKind, _ name: String, _ reason: String? = nil) -> LimiterEvent {
        LimiterEvent(kind: kind, subject: name, reason: reason ?? "check \(name) is \(kind == .checkFailed ? "failing" : "passing")")
    }

    private func notices(_ count: Int, from first: Int = 1) -> [LimiterEvent] {
        (first..<(first + count)).map { check(.checkFailed, "c\($0)") }
    }

    // MARK: - Token bucket

    func testBurstGoesOutThenTheRestIsCountedAndToldInADigestWhenATokenComesBack() {
        var limiter = NotificationLimiter(settings: RateLimitConfig())
        let decisions = notices(8).map { limiter.admit($0, to: [mail], now: at(0)) }
        XCTAssertEqual(decisions.map(\.delivered.count), [1, 1, 1, 1, 1, 0, 0, 0])
        XCTAssertEqual(decisions.last?.suppressed, [mail])
        XCTAssertEqual(decisions.last?.why, "rate limit: 5 at once, then 6 per minute")
        XCTAssertEqual(limiter.owed(to: mail).total, 3)
        XCTAssertEqual(limiter.tick(now: at(9.9), destinations: [mail]), [], "not a whole token yet at 6 per minute")
        let digests = limiter.tick(now: at(10), destinations: [mail])
        XCTAssertEqual(digests.count, 1)
        XCTAssertEqual(digests.first?.destinations, [mail])
        XCTAssertEqual(digests.first?.suppressed.total, 3)
        XCTAssertEqual(digests.first?.suppressed.summary, "check-failed c6 x1, check-failed c7 x1, check-failed c8 x1")
        guard case .notice(.digest, _, let reason) = digests.first?.content else { return XCTFail("expected a digest") }
        XCTAssertEqual(reason, "3 notification(s) held back by the rate limit (5 at once, then 6 per minute)")
        XCTAssertTrue(limiter.owed(to: mail).isEmpty)
        XCTAssertEqual(limiter.tick(now: at(30), destinations: [mail]), [], "nothing owed, no digest")
    }

    func testTheNextNoticeThatGoesOutCarriesWhatWasOwed() {
        var limiter = NotificationLimiter(settings: RateLimitConfig())
        for event in notices(7) { _ = limiter.admit(event, to: [mail], now: at(0)) }
        let next = limiter.admit(check(.checkRecovered, "c1"), to: [mail], now: at(10))
        XCTAssertEqual(next.delivered, [mail])
        XCTAssertEqual(next.sends.first?.suppressed.summary, "check-failed c6 x1, check-failed c7 x1")
        XCTAssertEqual(limiter.tick(now: at(20), destinations: [mail]), [], "already told")
    }

    func testRefillIsContinuousAndCappedAtTheBurst() {
        var limiter = NotificationLimiter(settings: RateLimitConfig(burst: 3, refillPerMinute: 60))
        for event in notices(3) { XCTAssertEqual(limiter.admit(event, to: [mail], now: at(0)).delivered, [mail]) }
        XCTAssertEqual(limiter.admit(check(.checkFailed, "x"), to: [mail], now: at(0.5)).delivered, [])
        XCTAssertEqual(limiter.admit(check(.checkFailed, "y"), to: [mail], now: at(1)).delivered, [mail], "one per second")
        // An hour of silence refills 3 tokens, not 3600.
        let later = notices(5, from: 100).map { limiter.admit($0, to: [mail], now: at(3600)).delivered.count }
        XCTAssertEqual(later, [1, 1, 1, 0, 0])
    }

    func testEachDestinationHasItsOwnBucket() {
        var limiter = NotificationLimiter(settings: RateLimitConfig(burst: 2))
        for event in notices(2) { _ = limiter.admit(event, to: [mail], now: at(0)) }
        let decision = limiter.admit(check(.checkFailed, "c3"), to: [mail, nms], now: at(0))
        XCTAssertEqual(decision.delivered, [nms])
        XCTAssertEqual(decision.suppressed, [mail])
        XCTAssertEqual(limiter.owed(to: mail).total, 1)
        XCTAssertTrue(limiter.owed(to: nms).isEmpty)
    }

    // MARK: - De-duplication

    func testIdenticalNoticesWithinTheWindowAreHeldBackAndCounted() {
        var limiter = NotificationLimiter(settings: RateLimitConfig())
        let event = LimiterEvent(kind: .peerFound, subject: "", reason: "heartbeats from beta are heard again")
        XCTAssertEqual(limiter.admit(event, to: [mail], now: at(0)).delivered, [mail])
        let second = limiter.admit(event, to: [mail], now: at(60))
        XCTAssertEqual(second.delivered, [])
        XCTAssertEqual(second.why, "duplicate of a notice sent 60 s ago")
        _ = limiter.admit(event, to: [mail], now: at(299))
        // Duplicates take no token: four different notices still pass; the first tells the two duplicates.
        let others = notices(4).map { limiter.admit($0, to: [mail], now: at(299)) }
        XCTAssertEqual(others.map(\.delivered.count), [1, 1, 1, 1])
        XCTAssertEqual(others.first?.sends.first?.suppressed.summary, "peer-found x2")
        let again = limiter.admit(event, to: [mail], now: at(300.5))
        XCTAssertEqual(again.delivered, [mail], "the window has passed")
        // A different reason is not a duplicate.
        XCTAssertEqual(limiter.admit(LimiterEvent(kind: .peerFound, subject: "", reason: "other"), to: [mail], now: at(320)).delivered, [mail])
    }

    // MARK: - Pages

    func testPagesAreNeverHeldBackTakeNoTokenAndTellWhatWasOwed() {
        var limiter = NotificationLimiter(settings: RateLimitConfig(burst: 2))
        for event in notices(4) { _ = limiter.admit(event, to: [mail, nms], now: at(0)) }
        for kind: EventKind in [.failover, .takeover, .failback, .switchover, .acknowledged, .reminder, .peerLost, .test] {
            for repeat_ in 0..<20 {
                let page = LimiterEvent(kind: kind, subject: "e7", reason: "same reason every time")
                let decision = limiter.admit(page, to: [mail, nms], now: at(Double(repeat_) * 0.01))
                XCTAssertEqual(decision.delivered, [mail, nms], "\(kind.rawValue) #\(repeat_)")
                XCTAssertEqual(decision.suppressed, [])
                if kind == .failover, repeat_ == 0 {
                    XCTAssertEqual(decision.sends.count, 1, "both destinations are owed the same: one send")
                    XCTAssertEqual(decision.sends.first?.suppressed.summary, "check-failed c3 x1, check-failed c4 x1")
                } else {
                    XCTAssertEqual(decision.sends.first?.suppressed.total, 0)
                }
            }
        }
        XCTAssertEqual(limiter.admit(check(.checkFailed, "c9"), to: [mail], now: at(0.5)).delivered, [], "pages left the bucket empty, not negative")
        var fresh = NotificationLimiter(settings: RateLimitConfig(burst: 2))
        for index in 0..<10 {
            _ = fresh.admit(LimiterEvent(kind: .takeover, subject: "e\(index)", reason: "r"), to: [mail], now: at(0))
        }
        XCTAssertEqual(notices(2).map { fresh.admit($0, to: [mail], now: at(0)).delivered.count }, [1, 1], "pages took no token")
        XCTAssertTrue(NotificationLimiter.isPage(.peerLost))
        XCTAssertFalse(NotificationLimiter.isPage(.checkFailed))
    }

    // MARK: - Flapping

    func testFlappingStartsAboveHighStopsOnlyBelowLow() {
        let flapping = RateLimitConfig.Flapping(history: 10, window: ConfigDuration(seconds: 60), highPercent: 50, lowPercent: 25)
        var limiter = NotificationLimiter(settings: RateLimitConfig(burst: 100, dedupeWindow: ConfigDuration(seconds: 0), flapping: flapping))
        var started: [LimiterSend] = []
        for index in 0..<6 {
            let kind: EventKind = index.isMultiple(of: 2) ? .checkFailed : .checkRecovered
            let decision = limiter.admit(check(kind, "web"), to: [mail], now: at(Double(index)))
            if index < 5 {
                XCTAssertEqual(decision.delivered, [mail], "\(index + 1) changes: \((index + 1) * 10)%, not above 50%")
            } else {
                XCTAssertEqual(decision.delivered, [], "the sixth change (60%) starts flapping")
                XCTAssertEqual(decision.why, "check web started flapping")
                started = decision.sends
            }
        }
        XCTAssertTrue(limiter.isFlapping("web"))
        guard case .notice(.flapping, "web", let reason) = started.first?.content else { return XCTFail("expected a flapping notice") }
        XCTAssertEqual(reason, "check web is flapping: 6 state changes in the last 60s (60% > 50%); its notices are held back until it settles")
        // At 62.5 s three changes (3, 4, 5 s) are in the window: 30%, between low and high: still flapping.
        XCTAssertEqual(limiter.tick(now: at(62.5), destinations: [mail]), [])
        XCTAssertTrue(limiter.isFlapping("web"))
        // At 63.5 s two remain: 20%, below 25%: it stops, and tells what it held back.
        let stopped = limiter.tick(now: at(63.5), destinations: [mail])
        XCTAssertEqual(stopped.count, 1)
        guard case .notice(.flapping, "web", let stopReason) = stopped.first?.content else { return XCTFail("expected a stop notice") }
        XCTAssertEqual(stopReason, "check web stopped flapping (20% state change, below 25%); 1 notice(s) were held back while it flapped; it is now passing")
        XCTAssertEqual(stopped.first?.suppressed.summary, "check-recovered web x1")
        XCTAssertFalse(limiter.isFlapping("web"))
        // Back to steady: the next change goes out (3 of 10 in the window: 30%, not above 50%).
        XCTAssertEqual(limiter.admit(check(.checkFailed, "web"), to: [mail], now: at(64)).delivered, [mail])
    }

    /// The issue's test: a warning check flapping 1,000 times in five seconds yields at most
    /// the burst, one flapping start and stop, and digests; every event is counted once.
    func testAThousandEventsFromAFlappingCheckYieldAtMostTheBurstPlusDigestsWithExactCounts() {
        for identicalReasons in [false, true] {
            var limiter = NotificationLimiter(settings: RateLimitConfig())
            var sends: [LimiterSend] = []
            var delivered = 0
            for index in 1...1000 {
                let now = at(Double(index) * 0.005)
                let kind: EventKind = index.isMultiple(of: 2) ? .checkRecovered : .checkFailed
                let reason = identicalReasons ? nil : "check web-content: run \(index)"
                let decision = limiter.admit(check(kind, "web-content", reason), to: [mail], now: now)
                delivered += decision.delivered.count
                sends += decision.sends
                if index.isMultiple(of: 50) {
                    sends += limiter.tick(now: now, destinations: [mail])
                }
            }
            var second = 5.0
            while second < 700 {
                sends += limiter.tick(now: at(second), destinations: [mail])
                second += 0.25
            }
            let flappingNotices = sends.filter { if case .notice(.flapping, _, _) = $0.content { true } else { false } }
            let digests = sends.filter { if case .notice(.digest, _, _) = $0.content { true } else { false } }
            let label = identicalReasons ? "identical reasons" : "distinct reasons"
            XCTAssertEqual(flappingNotices.count, 2, "one start, one stop (\(label))")
            XCTAssertLessThanOrEqual(sends.count, 5 + digests.count + flappingNotices.count, label)
            let told = sends.map(\.suppressed.total).reduce(0, +)
            XCTAssertEqual(delivered + told, 1000, "every event delivered or counted exactly once (\(label))")
            XCTAssertEqual(flappingNotices.last?.suppressed.summary, "check-failed web-content x495, check-recovered web-content x495", label)
            if identicalReasons {
                // Two go out, the next eight are duplicates, the eleventh (52%) starts flapping.
                XCTAssertEqual(delivered, 2)
                XCTAssertEqual(flappingNotices.first?.suppressed.summary, "check-failed web-content x4, check-recovered web-content x4")
            } else {
                // The burst of five goes out, the next five wait for tokens, the eleventh starts flapping.
                XCTAssertEqual(delivered, 5)
                XCTAssertEqual(flappingNotices.first?.suppressed.summary, "check-recovered web-content x3, check-failed web-content x2")
            }
            print("\(label): \(delivered) delivered, \(flappingNotices.count) flapping notices, \(digests.count) digests, \(told) counted in them")
        }
    }

    // MARK: - Configuration

    func testRateLimitSectionDefaultsAndValues() throws {
        let head = "node: {name: alpha, cluster: web}\nstate_dir: /tmp\n"
        XCTAssertEqual(try Config.parse(head, file: "/tmp/a.yaml").rateLimit, RateLimitConfig())
        let config = try Config.parse(head + """
            rate_limit:
              burst: 3
              refill: 12
              dedupe_window: 2m
              flapping: {history: 11, window: 5m, high: 60, low: 20}
            """, file: "/tmp/a.yaml")
        XCTAssertEqual(config.rateLimit, RateLimitConfig(
            burst: 3, refillPerMinute: 12, dedupeWindow: ConfigDuration(seconds: 120),
            flapping: .init(history: 11, window: ConfigDuration(seconds: 300), highPercent: 60, lowPercent: 20)))
        XCTAssertEqual(RateLimitConfig().burst, 5)
        XCTAssertEqual(RateLimitConfig().refillPerMinute, 6)
        XCTAssertEqual(RateLimitConfig().dedupeWindow.seconds, 300)
    }

    func testRateLimitProblemsNameFileLineAndKey() {
        let text = """
            node: {name: alpha, cluster: web}
            rate_limit:
              burst: 0
              refill: fast
              flapping:
                high: 30
                low: 40
              dedupe: 5m
            """
        do {
            _ = try Config.parse(text, file: "/tmp/a.yaml")
            XCTFail("expected errors")
        } catch {
            let lines = error.problems.map(\.description)
            XCTAssertEqual(lines, [
                "/tmp/a.yaml:4: rate_limit.refill: expected a whole number (found `fast`)",
                "/tmp/a.yaml:3: rate_limit.burst: must be between 1 and 1000 notices, found 0",
                "/tmp/a.yaml:7: rate_limit.flapping.low: must be a percent below `high` (30), found 40",
                "/tmp/a.yaml:8: rate_limit.dedupe: unknown key; expected one of: burst, dedupe_window, flapping, refill",
            ], lines.joined(separator: "\n"))
        }
    }
}
