/// Keeps heartbeats flowing through a short stall of the agent: the failover machine asks
/// for `count` copies of each heartbeat it sends, and the peer link sends the first 1.25
/// heartbeat intervals later (a quarter interval after the next heartbeat was due), each
/// next one an interval after that, unless anything else is sent on the path first. An
/// agent busy for a moment (a burst of check changes to record) is still heard on time; an
/// agent stuck for longer than `count` intervals falls silent, and its peer acts on that
/// silence as on any other.
///
/// The copies say what the heartbeat said (each with its own sequence number and send
/// time): nothing the machine has not decided.
public struct HeartbeatRefill: Sendable, Equatable {
    /// The heartbeat interval.
    public var interval: Duration
    /// How many copies at most follow one heartbeat.
    public var count: Int

    public init(interval: Duration, count: Int = 2) {
        self.interval = interval
        self.count = max(0, count)
    }

    /// When copy `index` (0 for the first) is due, after the heartbeat it copies.
    public func delay(of index: Int) -> Duration {
        interval * (4 * index + 5) / 4
    }
}
