/// Notifications held back and not yet told, counted by kind and subject, exactly.
///
/// Its `summary` is the line a message or a digest carries: "check-failed web-content x12,
/// check-recovered web-content x2", largest count first.
public struct SuppressedTally: Sendable, Hashable {
    /// What was held back: an event kind about one check or incident.
    public struct Key: Sendable, Hashable {
        public var kind: EventKind
        /// The check's name or the incident id; empty when neither.
        public var subject: String

        public init(kind: EventKind, subject: String) {
            self.kind = kind
            self.subject = subject
        }
    }

    public private(set) var counts: [Key: Int] = [:]

    public init() {}

    public var total: Int { counts.values.reduce(0, +) }
    public var isEmpty: Bool { counts.isEmpty }

    public mutating func add(_ kind: EventKind, subject: String, count: Int = 1) {
        guard count > 0 else { return }
        counts[Key(kind: kind, subject: subject), default: 0] += count
    }

    public mutating func merge(_ other: SuppressedTally) {
        for (key, count) in other.counts {
            counts[key, default: 0] += count
        }
    }

    /// "check-failed web-content x12, check-recovered web-content x2"; nil when empty.
    public var summary: String? {
        guard !counts.isEmpty else { return nil }
        let ordered = counts.sorted { lhs, rhs in
            if lhs.value != rhs.value { return lhs.value > rhs.value }
            if lhs.key.kind.rawValue != rhs.key.kind.rawValue { return lhs.key.kind.rawValue < rhs.key.kind.rawValue }
            return lhs.key.subject < rhs.key.subject
        }
        return ordered.map { key, count in
            key.subject.isEmpty ? "\(key.kind.rawValue) x\(count)" : "\(key.kind.rawValue) \(key.subject) x\(count)"
        }.joined(separator: ", ")
    }
}
