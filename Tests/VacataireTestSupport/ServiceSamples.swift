import Foundation

/// What the load balancer's host saw, every 20 ms: alpha's service, beta's service and
/// HAProxy's frontend (Tests/Fixtures/operator_lab/sampler.py's lines, parsed).
public struct ServiceSamples: Sendable {
    /// One GET's outcome.
    public struct Answer: Sendable, CustomStringConvertible {
        /// The HTTP status, 0 when nothing answered.
        public var status: Int
        public var bytes: Int
        /// The node the page names, or why nothing answered (`refused`, `timeout`, ...).
        public var who: String

        /// An HTTP 200: the service runs (a truncated page still counts as running).
        public var answers: Bool { status == 200 }

        public var description: String { status == 0 ? who : "\(status) \(bytes) B from \(who)" }
    }

    /// One round: the three GETs started at `time`.
    public struct Sample: Sendable {
        public var time: Date
        public var alpha: Answer
        public var beta: Answer
        public var frontend: Answer
        /// Further targets by name (`alpha-agent`: alpha's agent-check answer, in `who`).
        public var others: [String: Answer] = [:]

        public var both: Bool { alpha.answers && beta.answers }
        public var nobody: Bool { !alpha.answers && !beta.answers }
    }

    public var samples: [Sample]

    public init(samples: [Sample]) {
        self.samples = samples
    }

    /// Parses the sampler's file (incomplete last line ignored).
    public init(file: String) {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        samples = text.split(separator: "\n").compactMap { line -> Sample? in
            let fields = line.split(separator: " ")
            guard fields.count >= 4, let seconds = Double(fields[0]) else { return nil }
            var answers: [String: Answer] = [:]
            for field in fields.dropFirst() {
                let pair = field.split(separator: "=", maxSplits: 1)
                let parts = pair.last?.split(separator: "/", maxSplits: 2) ?? []
                guard pair.count == 2, parts.count == 3, let status = Int(parts[0]), let bytes = Int(parts[1]) else { return nil }
                answers[String(pair[0])] = Answer(status: status, bytes: bytes, who: String(parts[2]))
            }
            guard let alpha = answers["alpha"], let beta = answers["beta"], let frontend = answers["lb"] else { return nil }
            return Sample(
                time: Date(timeIntervalSince1970: seconds), alpha: alpha, beta: beta, frontend: frontend,
                others: answers.filter { !["alpha", "beta", "lb"].contains($0.key) })
        }
    }

    /// The samples taken at or after `start` (and before `end`).
    public func since(_ start: Date, until end: Date = .distantFuture) -> ServiceSamples {
        ServiceSamples(samples: samples.filter { $0.time >= start && $0.time < end })
    }

    /// The first sample where `condition` holds.
    public func first(where condition: (Sample) -> Bool) -> Sample? {
        samples.first(where: condition)
    }

    /// Samples in which neither service answered.
    public var nobodyCount: Int { samples.filter(\.nobody).count }

    /// Samples in which both services answered.
    public var bothCount: Int { samples.filter(\.both).count }

    /// Frontend answers other than 200 (HAProxy's 503 "no server available", resets...).
    public var frontendErrors: [Sample] { samples.filter { !$0.frontend.answers } }

    /// The stretches where `condition` held, as (first sample's time, time of the first
    /// sample after them where it no longer held, or the last sample's).
    public func windows(where condition: (Sample) -> Bool) -> [(start: Date, end: Date)] {
        var result: [(Date, Date)] = []
        var open: Date?
        for sample in samples {
            if condition(sample) {
                if open == nil { open = sample.time }
            } else if let start = open {
                result.append((start, sample.time))
                open = nil
            }
        }
        if let start = open, let last = samples.last { result.append((start, last.time)) }
        return result
    }

    /// The total time covered by `windows(where:)`, in seconds.
    public func duration(where condition: (Sample) -> Bool) -> TimeInterval {
        windows(where: condition).reduce(0) { $0 + $1.end.timeIntervalSince($1.start) }
    }

    /// One line of figures for the test's output.
    public func summary(since start: Date) -> String {
        let part = since(start)
        let period = part.samples.count > 1
            ? (part.samples.last!.time.timeIntervalSince(part.samples.first!.time)) / Double(part.samples.count - 1) : 0
        return String(
            format: "%d samples (every %.0f ms on average): both answering in %d (%.3f s), nobody answering in %d (%.3f s), HAProxy non-200 in %d",
            part.samples.count, period * 1000, part.bothCount, part.duration(where: \.both), part.nobodyCount,
            part.duration(where: \.nobody), part.frontendErrors.count)
    }

    /// The changes of what was seen, one line each (a timeline for failure messages).
    public func timeline(since start: Date) -> String {
        var lines: [String] = []
        var last = ""
        for sample in since(start).samples {
            let agents = sample.others.sorted { $0.key < $1.key }.map { " | \($0.key): \($0.value.who)" }.joined()
            let now = "alpha: \(sample.alpha) | beta: \(sample.beta) | lb: \(sample.frontend)\(agents)"
            if now != last {
                lines.append(String(format: "+%.3f s  ", sample.time.timeIntervalSince(start)) + now)
                last = now
            }
        }
        return lines.joined(separator: "\n")
    }
}
