import CTimerFD
import Foundation
import Glibc
import NIOCore
import Synchronization
import VacataireCore

/// Sends the copies of the last heartbeat (`HeartbeatRefill`) from a thread of its own when
/// the agent is late, so that the peer hears this node through a moment's stall of the
/// agent's loop (the peer link's sockets live on that loop too).
///
/// It costs nothing while the agent is on time: each heartbeat re-arms a kernel timer
/// (timerfd), which wakes the watchdog's thread only when it expires, that is when no
/// heartbeat or other message followed in time. Then the thread seals a copy (its own
/// sequence number, sealed when due: most copies are never sent) and sends it on every
/// path from sockets of its own, plain connected UDP sockets beside NIO's, so that nothing
/// it does waits for the stalled loop. The timer is the kernel's monotonic one, not the
/// agent's clock: the copies exist for the moments when the agent's own timers cannot fire.
///
/// Anything the link sends replaces the plan first (`replace`), under the lock a copy is
/// sealed and sent under, so a copy never follows a newer message on the wire.
final class HeartbeatWatchdog: Sendable {
    /// The copies of one heartbeat still to send.
    private struct Plan {
        var refill: HeartbeatRefill
        var seal: @Sendable () -> [UInt8]?
        /// The copy sent next (0 for the first).
        var index = 0
        /// When it is due, in CLOCK_MONOTONIC nanoseconds.
        var due: UInt64
    }

    private struct State {
        var plan: Plan?
        var copiesSent: UInt64 = 0
        var thread = ThreadState.notStarted
        /// One connected UDP socket per path (nil: none could be opened), made with the thread.
        var sockets: [Int32?] = []
    }

    private enum ThreadState {
        case notStarted
        case running
        case stopped
    }

    private let state = Mutex(State())
    private let timer: Int32
    private let remotes: [SocketAddress?]

    /// `remotes`: each path's peer address, in the link's order (nil: unknown, no copies there).
    init(remotes: [SocketAddress?]) {
        self.remotes = remotes
        timer = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_CLOEXEC))
    }

    deinit {
        if timer >= 0 { close(timer) }
    }

    /// Copies sent so far, all paths together.
    var copiesSent: UInt64 {
        state.withLock { $0.copiesSent }
    }

    /// Drops the copies not sent yet and, with `refill`, plans those of the heartbeat about
    /// to be sent, each sealed by `seal` when due (nil: that copy is not sent). Called
    /// before the message it follows is sealed.
    func replace(refill: HeartbeatRefill?, seal: @escaping @Sendable () -> [UInt8]?) {
        state.withLock { state in
            if case .stopped = state.thread { return }
            guard let refill, refill.count > 0, timer >= 0 else {
                if state.plan != nil {
                    state.plan = nil
                    arm(in: nil)
                }
                return
            }
            if case .notStarted = state.thread {
                state.sockets = remotes.map(Self.connectedSocket)
                state.thread = .running
                Thread { [self] in watch() }.start()
            }
            let delay = refill.delay(of: 0)
            state.plan = Plan(refill: refill, seal: seal, due: Self.now() + UInt64(max(0, delay.nanoseconds)))
            arm(in: delay)
        }
    }

    /// Plans nothing more; the thread closes its sockets and ends.
    func stop() {
        state.withLock { state in
            let wasRunning = if case .running = state.thread { true } else { false }
            state.plan = nil
            state.thread = .stopped
            if wasRunning {
                arm(in: .nanoseconds(1))
            } else {
                Self.closeAll(state.sockets)
                state.sockets = []
            }
        }
    }

    /// The thread: waits for the timer, sends the copy due, plans the next.
    private func watch() {
        Thread.current.name = "vacataire-copy"
        while true {
            var expirations: UInt64 = 0
            let read = Glibc.read(timer, &expirations, MemoryLayout<UInt64>.size)
            if read < 0, errno == EINTR || errno == EAGAIN { continue }
            let done: Bool = state.withLock { state in
                guard case .running = state.thread, read >= 0 else {
                    Self.closeAll(state.sockets)
                    state.sockets = []
                    return true
                }
                // Re-armed since the timer fired, or replaced: not due yet, or nothing to do.
                guard var plan = state.plan, Self.now() >= plan.due else { return false }
                for socket in state.sockets {
                    guard let socket, let copy = plan.seal() else { continue }
                    let sent = copy.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                    // A refused or unroutable copy is the path's trouble, counted when the
                    // link itself sends there; the copy is just lost.
                    if sent == copy.count { state.copiesSent += 1 }
                }
                plan.index += 1
                if plan.index < plan.refill.count {
                    let wait = plan.refill.delay(of: plan.index) - plan.refill.delay(of: plan.index - 1)
                    plan.due = Self.now() + UInt64(max(0, wait.nanoseconds))
                    state.plan = plan
                    arm(in: wait)
                } else {
                    state.plan = nil
                }
                return false
            }
            if done { return }
        }
    }

    /// Sets the timer to expire once after `delay`; nil disarms it.
    private func arm(in delay: Duration?) {
        let nanoseconds = delay.map { max(1, $0.nanoseconds) } ?? 0
        var value = itimerspec()
        value.it_value.tv_sec = Int(nanoseconds / 1_000_000_000)
        value.it_value.tv_nsec = Int(nanoseconds % 1_000_000_000)
        _ = timerfd_settime(timer, 0, &value, nil)
    }

    private static func now() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// A UDP socket connected to `remote`, non-blocking; nil if it cannot be made.
    private static func connectedSocket(_ remote: SocketAddress?) -> Int32? {
        guard let remote else { return nil }
        let socket = Glibc.socket(remote.protocol.rawValue, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard socket >= 0 else { return nil }
        let connected = remote.withSockAddr { address, length in connect(socket, address, socklen_t(length)) }
        guard connected == 0 else {
            close(socket)
            return nil
        }
        return socket
    }

    private static func closeAll(_ sockets: [Int32?]) {
        for case let socket? in sockets { close(socket) }
    }
}
