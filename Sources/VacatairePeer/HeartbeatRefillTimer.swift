import Foundation
import NIOCore
import VacataireCore

/// One path's pending copies. Used only on the path channel's event loop, except the
/// count of copies sent, which is read under its lock.
///
/// A copy is sealed when it is due, not with its heartbeat: most are never sent (the next
/// heartbeat drops them), and sealing is most of a heartbeat's cost (its JSON and HMAC).
final class HeartbeatRefillTimer: @unchecked Sendable {
    private var pending: Scheduled<Void>?
    private let lock = NSLock()
    private var unguardedSent: UInt64 = 0

    /// Copies sent so far on this path.
    var copiesSent: UInt64 { lock.withLock { unguardedSent } }

    /// On the event loop: drops the copies not sent yet, writes `datagram`, and schedules
    /// `refill.count` copies after it, each sealed by `seal` when due (nil: none is sent).
    func write(
        _ datagram: [UInt8], refill: HeartbeatRefill?, seal: @escaping @Sendable () -> [UInt8]?,
        on channel: any Channel, promise: EventLoopPromise<Void>
    ) {
        channel.eventLoop.assertInEventLoop()
        pending?.cancel()
        pending = nil
        channel.writeAndFlush(ByteBuffer(bytes: datagram), promise: promise)
        if let refill, refill.count > 0 {
            schedule(index: 0, refill: refill, seal: seal, on: channel)
        }
    }

    private func schedule(index: Int, refill: HeartbeatRefill, seal: @escaping @Sendable () -> [UInt8]?, on channel: any Channel) {
        guard index < refill.count else { return }
        let wait = index == 0 ? refill.delay(of: 0) : refill.delay(of: index) - refill.delay(of: index - 1)
        pending = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(clamping: wait.nanoseconds))) { [self] in
            pending = nil
            guard let copy = seal() else { return }
            channel.writeAndFlush(ByteBuffer(bytes: copy), promise: nil)
            lock.withLock { unguardedSent += 1 }
            schedule(index: index + 1, refill: refill, seal: seal, on: channel)
        }
    }
}
