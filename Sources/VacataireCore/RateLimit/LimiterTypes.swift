/// What the limiter needs to know about one notification offered to it.
public struct LimiterEvent: Sendable, Equatable {
    public var kind: EventKind
    /// What it is about: the check's name for check events, else the incident id; may be empty.
    public var subject: String
    /// The one-line reason; identical kind, subject and reason make a duplicate.
    public var reason: String

    public init(kind: EventKind, subject: String, reason: String) {
        self.kind = kind
        self.subject = subject
        self.reason = reason
    }
}

/// One message to send to some destinations, as the limiter decided it.
public struct LimiterSend: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        /// The notification that was offered.
        case offered
        /// A notice the limiter wrote itself: a check started or stopped flapping
        /// (`flapping`), or a digest of what was held back (`digest`).
        case notice(EventKind, subject: String, reason: String)
    }

    public var content: Content
    public var destinations: [String]
    /// What was held back for these destinations and is told in this message.
    public var suppressed: SuppressedTally

    public init(content: Content, destinations: [String], suppressed: SuppressedTally) {
        self.content = content
        self.destinations = destinations
        self.suppressed = suppressed
    }
}

/// The limiter's answer to one offered notification.
public struct LimiterDecision: Sendable, Equatable {
    /// What goes out now: the offered notification to the destinations that let it
    /// through, and any notice it caused (a check started flapping).
    public var sends: [LimiterSend]
    /// The destinations that do not get the offered notification; it is counted for them.
    public var suppressed: [String]
    /// Why it was held back, for the log and the event history; nil when it was not.
    public var why: String?

    public init(sends: [LimiterSend], suppressed: [String] = [], why: String? = nil) {
        self.sends = sends
        self.suppressed = suppressed
        self.why = why
    }

    /// The destinations that get the offered notification itself.
    public var delivered: [String] {
        sends.filter { $0.content == .offered }.flatMap(\.destinations)
    }
}
