/// A drill's figures and verdict: what the notice, the trap, `vacataire events` and
/// `/metrics` tell.
public struct DrillReport: Sendable, Equatable, Codable {
    /// One leg's figures, in seconds since its command (nil: not reached).
    public struct Leg: Sendable, Equatable, Codable {
        public var from: String
        public var to: String
        public var passed: Bool
        /// `settled`, or why not.
        public var outcome: String
        public var startSeconds: Double?
        public var verifySeconds: Double?
        public var drainSeconds: Double?
        public var newNodeSeenSeconds: Double?
        public var samples: Int
        public var nobodySamples: Int
        /// Whether this leg put the service back after a failed one.
        public var putBack: Bool

        /// One line for the report.
        public var line: String {
            func figure(_ value: Double?) -> String { value.map { String(format: "%.3f s", $0) } ?? "-" }
            return "\(putBack ? "put back" : "leg") \(from) -> \(to): \(passed ? "passed" : "FAILED"); "
                + "start \(figure(startSeconds)), verified \(figure(verifySeconds)), drained \(figure(drainSeconds)), "
                + "\(to)'s service first seen \(figure(newNodeSeenSeconds)); nobody answered in \(nobodySamples) of \(samples) sample(s)"
        }
    }

    public var passed: Bool
    public var legs: [Leg]
    /// One sentence: the verdict and where the service is.
    public var verdict: String

    public init(passed: Bool, legs: [Leg], verdict: String) {
        self.passed = passed
        self.legs = legs
        self.verdict = verdict
    }

    /// The verdict, then a line per leg.
    public var lines: [String] { [verdict] + legs.map(\.line) }

    /// The samples, over every leg, in which nobody answered.
    public var nobodySamples: Int { legs.reduce(0) { $0 + $1.nobodySamples } }
}
