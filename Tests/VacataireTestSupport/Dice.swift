/// The tests' one seeded generator (SplitMix64): a seeded run (chaos, timing, fuzzing)
/// replays exactly.
public struct Dice: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(state: UInt64) {
        self.state = state
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// True with `probability` (0...1).
    public mutating func chance(_ probability: Double) -> Bool {
        Double(next() % 1_000_000) / 1_000_000 < probability
    }

    /// 0..<count.
    public mutating func pick(_ count: Int) -> Int { Int(next() % UInt64(count)) }

    /// A delay from 0 to `limit`, uniformly, at nanosecond resolution.
    public mutating func delay(upTo limit: Duration) -> Duration {
        let (seconds, attoseconds) = limit.components
        let nanoseconds = UInt64(max(1, seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
        return .nanoseconds(Int64(next() % nanoseconds))
    }
}
