#if canImport(Glibc)
import Glibc
#endif
import Foundation
import VacataireCore

/// What systemd is told about the agent (sd_notify(3)): `READY=1` once the role is known,
/// `STATUS=` with role, epoch and peer, and `WATCHDOG=1` only while the state machine
/// is making progress, so that `WatchdogSec=` restarts a wedged agent.
///
/// A pure state machine, as FailoverMachine is: `update` takes what the agent last showed and
/// an explicit `now`, and returns the notification lines to send; `SystemdNotifySocket`
/// sends them. It never reads a clock and never does I/O.
public struct SystemdNotifier: Sendable {
    /// What the agent shows of itself, copied out of the agent's actor.
    public struct Progress: Sendable, Equatable {
        public var state: FailoverStateName
        public var role: ServiceRole
        public var epoch: UInt64
        public var peerName: String
        /// The peer's role as last heard in a current epoch; nil while unheard.
        public var peerRole: ServiceRole?
        /// When the agent's tick last ran its coordinator.
        public var lastTick: MonotonicInstant

        public init(state: FailoverStateName, role: ServiceRole, epoch: UInt64, peerName: String,
                    peerRole: ServiceRole?, lastTick: MonotonicInstant) {
            self.state = state
            self.role = role
            self.epoch = epoch
            self.peerName = peerName
            self.peerRole = peerRole
            self.lastTick = lastTick
        }

        /// "active at epoch 7, peer beta standby".
        public var statusLine: String {
            "\(state.rawValue) at epoch \(epoch), peer \(peerName) \(peerRole?.rawValue ?? "unheard")"
        }
    }

    /// systemd's watchdog period (`WATCHDOG_USEC`); nil when the unit has no `WatchdogSec=`.
    public let watchdog: Duration?
    /// A tick older than this means the machine is stuck: no `WATCHDOG=1` then.
    public let stallAfter: Duration
    private var readySent = false
    private var lastStatus: String?
    private var lastPing: MonotonicInstant?

    public init(watchdog: Duration?, stallAfter: Duration) {
        self.watchdog = watchdog
        self.stallAfter = stallAfter
    }

    /// How often `update` should be called: four times per watchdog period, else each second.
    public var pollInterval: Duration {
        watchdog.map { $0 / 4 } ?? .seconds(1)
    }

    /// The lines to send now, in order (each one datagram).
    public mutating func update(_ progress: Progress, now: MonotonicInstant) -> [String] {
        var lines: [String] = []
        let status = progress.statusLine
        if status != lastStatus {
            // Every change of role, epoch or peer shows in `systemctl status`.
            lines.append("STATUS=\(status)")
            lastStatus = status
        }
        if !readySent, progress.state != .starting {
            // Ready once the node knows its role: `systemctl start` returns only then.
            lines.append("READY=1")
            readySent = true
        }
        if let watchdog, now.since(progress.lastTick) < stallAfter {
            // Ping at half the period, and only while the tick path runs.
            if lastPing.map({ now.since($0) >= watchdog / 2 }) ?? true {
                lines.append("WATCHDOG=1")
                lastPing = now
            }
        }
        return lines
    }

    /// Reads `WATCHDOG_USEC` and `WATCHDOG_PID` as sd_watchdog_enabled(3) does: the period,
    /// when set and meant for this process.
    public static func watchdogPeriod(environment: [String: String], pid: Int32) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"], let ownerPID = Int32(owner), ownerPID != pid { return nil }
        return .microseconds(Int64(clamping: usec))
    }
}

/// The sending end of systemd's notification socket (`$NOTIFY_SOCKET`): one datagram per
/// message, to a filesystem path or an abstract socket (`@name`). Nil when the agent does
/// not run under a `Type=notify` unit.
public struct SystemdNotifySocket: Sendable {
    public let path: String

    public init?(environment: [String: String]) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty, path.hasPrefix("/") || path.hasPrefix("@") else {
            return nil
        }
        self.path = path
    }

    /// Sends `text` as one datagram; returns the error number on failure (systemd gone).
    @discardableResult
    public func send(_ text: String) -> Int32? {
        UnixDatagram.send(Array(text.utf8), to: path)
    }
}

/// One connectionless datagram to a Unix socket: a path, or `@name` in the abstract
/// namespace. Used for systemd's notification socket and the journal's.
enum UnixDatagram {
    /// Nil once the whole datagram was sent; else the error number.
    static func send(_ bytes: [UInt8], to path: String) -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(path.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }  // abstract namespace
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return ENAMETOOLONG }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL), $0, length)
            }
        }
        if sent < 0 { return errno }
        return sent == bytes.count ? nil : EMSGSIZE
    }
}
