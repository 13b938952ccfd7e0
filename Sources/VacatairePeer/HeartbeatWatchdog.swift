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
/// Anything the link sends replaces the plan first (`plan`, or `drop` for a message that is
/// not a heartbeat), under the lock a copy is sealed and sent under, so a copy never
/// follows a newer message on the wire.
final class HeartbeatWatchdog: Sendable {
    /// The copies of one heartbeat still to send.
    private struct Plan {
        var refill: HeartbeatRefill
        var seal: @Sendable () -> [UInt8]?
        /// The copy sent next (0 for the first).
        var index = 0
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

    /// Drops the copies not sent yet and plans those of the heartbeat about to be sent,
    /// each sealed by `seal` when due (nil: that copy is not sent). Called before the
    /// heartbeat is sealed.
    func plan(_ refill: HeartbeatRefill, seal: @escaping @Sendable () -> [UInt8]?) {
        guard refill.count > 0 else { return drop() }
        state.withLock { state in
            guard timer >= 0 else { return }
            switch state.thread {
            case .stopped:
                return
            case .notStarted:
                state.sockets = remotes.map(Self.connectedSocket)
                state.thread = .running
                Thread { [self] in watch() }.start()
            case .running:
                break
            }
            state.plan = Plan(refill: refill, seal: seal)
            arm(in: refill.delay(of: 0))
        }
    }

    /// Drops the copies not sent yet: a message that is not a heartbeat is about to be sent.
    func drop() {
        state.withLock { state in
            guard state.plan != nil else { return }
            state.plan = nil
            arm(in: nil)
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
                // Dropped, or planned again (the timer re-armed) since it fired: nothing due.
                guard var plan = state.plan, !isArmed else { return false }
                for socket in state.sockets {
                    guard let socket, let copy = plan.seal() else { continue }
                    let sent = copy.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                    // A refused or unroutable copy is the path's trouble, counted when the
                    // link itself sends there; the copy is just lost.
                    if sent == copy.count { state.copiesSent += 1 }
                }
                plan.index += 1
                if plan.index < plan.refill.count {
                    state.plan = plan
                    arm(in: plan.refill.delay(of: plan.index) - plan.refill.delay(of: plan.index - 1))
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

    /// Whether the timer will still expire: it was set again after it last fired.
    private var isArmed: Bool {
        var value = itimerspec()
        guard timerfd_gettime(timer, &value) == 0 else { return false }
        return value.it_value.tv_sec != 0 || value.it_value.tv_nsec != 0
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
