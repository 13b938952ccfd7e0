import Foundation

/// A bound Unix datagram socket standing in for systemd's notification socket
/// (`$NOTIFY_SOCKET`) or the journal's: it keeps what arrives for the test to read.
public final class UnixDatagramSink: @unchecked Sendable {
    public let path: String
    private let fd: Int32

    public init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("cannot make a datagram socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            close(fd)
            throw FixtureError("cannot bind \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    /// Every datagram received within `seconds`, as bytes; with `until`, only until one
    /// that holds a line it accepts.
    public func datagrams(for seconds: Double, until done: ((String) -> Bool)? = nil) -> [[UInt8]] {
        var received: [[UInt8]] = []
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while Date() < deadline {
            if let done, let last = received.last, Self.lines(last).contains(where: done) { break }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&poller, 1, left) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 { received.append(Array(buffer[..<count])) }
        }
        return received
    }

    /// Every line received within `seconds` (one datagram may hold several lines); with
    /// `until`, only until a line it accepts arrived.
    public func receive(for seconds: Double, until done: ((String) -> Bool)? = nil) -> [String] {
        datagrams(for: seconds, until: done).flatMap(Self.lines)
    }

    private static func lines(_ datagram: [UInt8]) -> [String] {
        String(decoding: datagram, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
