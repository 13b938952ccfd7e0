import Foundation
import VacataireCore
#if canImport(Glibc)
import Glibc
#endif

/// Checks that a host accepts a TCP connection on a port within the timeout.
///
/// A non-blocking connect and `poll`, on a dedicated thread; each resolved address is tried
/// in turn within the one timeout. The connection is closed at once, without sending.
public struct TCPCheck: HealthCheck {
    public var settings: TCPCheckSettings

    public init(_ settings: TCPCheckSettings) {
        self.settings = settings
    }

    public func run(timeout: Duration) async -> CheckResult {
        let settings = settings
        return await BlockingThread.run(name: "vacataire-tcp-check") {
            let start = ContinuousClock.now
            let place = "\(settings.host.isIPv6 ? "[\(settings.host)]" : settings.host.host) port \(settings.port)"
            let failure = Self.connect(host: settings.host.host, port: settings.port.number, deadline: start + timeout)
            let elapsed = ContinuousClock.now - start
            let seconds = CheckResult(status: .ok, message: "", duration: elapsed).seconds
            let perfdata = [Perfdata(label: "time", value: (seconds * 1000).rounded() / 1000, unit: "s", minimum: 0)]
            if let failure {
                return CheckResult(status: .critical, message: "\(place): \(failure)", perfdata: perfdata, duration: elapsed)
            }
            return CheckResult(
                status: .ok, message: "\(place) accepted a connection in \(String(format: "%.3f", seconds)) s",
                perfdata: perfdata, duration: elapsed
            )
        }
    }

    /// Connects to the first address that accepts before `deadline`; nil on success,
    /// otherwise why not.
    static func connect(host: String, port: UInt16, deadline: ContinuousClock.Instant) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let list else {
            return "cannot resolve \(host): \(String(cString: gai_strerror(resolved)))"
        }
        defer { freeaddrinfo(list) }
        var reason = "no address to connect to"
        var next: UnsafeMutablePointer<addrinfo>? = list
        while let info = next {
            next = info.pointee.ai_next
            switch attempt(info.pointee, deadline: deadline) {
            case nil: return nil
            case let failure?: reason = failure
            }
            if ContinuousClock.now >= deadline { break }
        }
        return reason
    }

    /// One non-blocking connect to one address.
    static func attempt(_ info: addrinfo, deadline: ContinuousClock.Instant) -> String? {
        let socket = Glibc.socket(info.ai_family, info.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), info.ai_protocol)
        guard socket >= 0 else { return "socket: \(String(cString: strerror(errno)))" }
        defer { close(socket) }
        if Glibc.connect(socket, info.ai_addr, info.ai_addrlen) == 0 { return nil }
        guard errno == EINPROGRESS else { return String(cString: strerror(errno)).lowercased() }
        var descriptor = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
        while true {
            let remaining = deadline - ContinuousClock.now
            let milliseconds = Int32(clamping: max(0, remaining.milliseconds))
            if milliseconds <= 0 { return "no connection within the timeout" }
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0, errno == EINTR { continue }
            if ready < 0 { return "poll: \(String(cString: strerror(errno)))" }
            if ready == 0 { return "no connection within the timeout" }
            break
        }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else {
            return "getsockopt: \(String(cString: strerror(errno)))"
        }
        return error == 0 ? nil : String(cString: strerror(error)).lowercased()
    }
}
