import Foundation
import NIOCore

/// Keeps heartbeats flowing through a short stall of the agent: with each heartbeat it
/// sends on a path, the link seals `count` copies more (their own sequence numbers) and
/// sends the first 1.25 heartbeat intervals later (a quarter interval after the next
/// heartbeat was due), each next one an interval after that, unless anything else is sent
/// on the path first. An agent busy for a moment (a burst of check
/// changes to record) is still heard on time; an agent stuck for longer than `count`
/// intervals falls silent, and its peer acts on that silence as on any other.
///
/// The copies say what the last heartbeat said: nothing the agent has not decided.
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
    func delay(of index: Int) -> TimeAmount {
        let nanoseconds = interval.components.seconds * 1_000_000_000 + interval.components.attoseconds / 1_000_000_000
        return .nanoseconds(nanoseconds * Int64(4 * index + 5) / 4)
    }
}

/// One path's pending copies. Used only on the path channel's event loop, except the
/// count of copies sent, which is read under its lock.
final class HeartbeatRefillTimer: @unchecked Sendable {
    private var pending: Scheduled<Void>?
    private let lock = NSLock()
    private var unguardedSent: UInt64 = 0

    /// Copies sent so far on this path.
    var copiesSent: UInt64 { lock.withLock { unguardedSent } }

    /// On the event loop: drops the copies not sent yet, writes `datagram`, and schedules
    /// `copies` after it.
    func write(_ datagram: [UInt8], copies: [[UInt8]], refill: HeartbeatRefill?, on channel: any Channel, promise: EventLoopPromise<Void>) {
        channel.eventLoop.assertInEventLoop()
        pending?.cancel()
        pending = nil
        channel.writeAndFlush(ByteBuffer(bytes: datagram), promise: promise)
        if let refill, !copies.isEmpty {
            schedule(copies[...], index: 0, refill: refill, on: channel)
        }
    }

    private func schedule(_ copies: ArraySlice<[UInt8]>, index: Int, refill: HeartbeatRefill, on channel: any Channel) {
        guard let copy = copies.first else { return }
        let wait = index == 0 ? refill.delay(of: 0) : refill.delay(of: index) - refill.delay(of: index - 1)
        pending = channel.eventLoop.scheduleTask(in: wait) { [self] in
            pending = nil
            channel.writeAndFlush(ByteBuffer(bytes: copy), promise: nil)
            lock.withLock { unguardedSent += 1 }
            schedule(copies.dropFirst(), index: index + 1, refill: refill, on: channel)
        }
    }
}
