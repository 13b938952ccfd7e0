import Foundation
import NIOCore

/// The connections one listener (control socket, HTTP endpoint, agent-check port) may hold
/// at once, and how long a client may take to send its request.
///
/// A client that connects and says nothing holds a descriptor; enough of them exhaust the
/// daemon's descriptors, and its own checks, actions and deliveries then fail. So each
/// listener holds at most `capacity` connections: when a new one arrives at the limit, the
/// oldest connection still waiting for its request is closed to make room (a client that
/// is being answered is never cut off; if all are, the newcomer is closed). A connection
/// whose request has not arrived after `requestTimeout` is closed. An admin's `status`
/// sends its request at once, so it is answered even while thousands of idle clients
/// keep reconnecting.
///
/// Its state is guarded by an `NSLock` (a pthread mutex, which ThreadSanitizer follows;
/// it does not follow `Synchronization.Mutex`, whose runtime is not instrumented).
final class ConnectionSlots: @unchecked Sendable {
    let capacity: Int
    let requestTimeout: TimeAmount

    private struct State {
        /// Connections still waiting for their request, oldest first (by admission number).
        var waiting: [(number: UInt64, channel: any Channel)] = []
        var answering: Set<ObjectIdentifier> = []
        var next: UInt64 = 0
        /// Connections closed to make room or for their silence, for the log and tests.
        var evicted: UInt64 = 0
    }

    private let lock = NSLock()
    private var unguardedState = State()

    private func withState<Result>(_ body: (inout State) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&unguardedState)
    }

    init(capacity: Int, requestTimeout: TimeAmount) {
        self.capacity = max(1, capacity)
        self.requestTimeout = requestTimeout
    }

    /// Takes a newly accepted `channel` in, closing another (or it) when the listener is
    /// full; arms its request timeout. Called on the channel's event loop, before its
    /// handlers run.
    func admit(_ channel: any Channel) {
        let (number, victim) = withState { state -> (UInt64, (any Channel)?) in
            state.next += 1
            var victim: (any Channel)?
            if state.waiting.count + state.answering.count >= capacity {
                if state.waiting.isEmpty {
                    state.evicted += 1
                    return (state.next, channel)
                }
                victim = state.waiting.removeFirst().channel
                state.evicted += 1
            }
            state.waiting.append((state.next, channel))
            return (state.next, victim)
        }
        victim?.close(promise: nil)
        if victim === channel { return }
        channel.closeFuture.whenComplete { _ in self.release(channel, number: number) }
        channel.eventLoop.scheduleTask(in: requestTimeout) {
            if self.isWaiting(number) {
                self.withState { $0.evicted += 1 }
                channel.close(promise: nil)
            }
        }
    }

    /// The connection's request arrived: it is being answered and is no longer closed to
    /// make room or for its silence.
    func answering(_ channel: any Channel) {
        withState { state in
            if let index = state.waiting.firstIndex(where: { $0.channel === channel }) {
                state.waiting.remove(at: index)
                state.answering.insert(ObjectIdentifier(channel))
            }
        }
    }

    /// How many connections the listener holds now, and how many it has closed unanswered.
    var counts: (open: Int, evicted: UInt64) {
        withState { ($0.waiting.count + $0.answering.count, $0.evicted) }
    }

    private func isWaiting(_ number: UInt64) -> Bool {
        withState { $0.waiting.contains { $0.number == number } }
    }

    private func release(_ channel: any Channel, number: UInt64) {
        withState { state in
            state.waiting.removeAll { $0.number == number }
            state.answering.remove(ObjectIdentifier(channel))
        }
    }
}
