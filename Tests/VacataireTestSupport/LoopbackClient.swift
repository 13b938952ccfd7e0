import Foundation

/// Plain TCP and Unix-socket clients for tests that must see exactly what a server sends:
/// an HTTP/1.1 request written by hand, an agent-check line, a stats-socket answer.
public enum LoopbackClient {
    /// An HTTP response as read off the socket.
    public struct HTTPResponse: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
    }

    /// Sends one HTTP/1.1 request to 127.0.0.1:`port` (with `Connection: close`) and reads
    /// the response to the end.
    public static func http(
        port: Int, method: String = "GET", path: String, body: String = "", timeout: TimeInterval = 5
    ) throws -> HTTPResponse {
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if !body.isEmpty { request += "Content-Length: \(body.utf8.count)\r\n" }
        request += "\r\n\(body)"
        let raw = try exchange(port: port, send: request, timeout: timeout)
        guard let split = raw.range(of: "\r\n\r\n") else {
            throw FixtureError("not an HTTP response from port \(port): \(raw.prefix(200))")
        }
        let lines = raw[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusWords = lines.first?.split(separator: " ") ?? []
        guard statusWords.count >= 2, let status = Int(statusWords[1]) else {
            throw FixtureError("no status line from port \(port): \(lines.first ?? "")")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return HTTPResponse(status: status, headers: headers, body: String(raw[split.upperBound...]))
    }

    /// Connects to 127.0.0.1:`port`, writes `send`, and reads until the server closes.
    public static func exchange(port: Int, send: String = "", timeout: TimeInterval = 5) throws -> String {
        let descriptor = try connect(port: port)
        defer { close(descriptor) }
        return try talk(descriptor, send: send, timeout: timeout, peer: "127.0.0.1:\(port)")
    }

    /// Connects to the Unix socket at `path`, writes `send`, and reads until the server closes.
    /// With `halfClose`, shuts its sending side after `send` (as `nc -N` does) and still reads.
    public static func unix(path: String, send: String, timeout: TimeInterval = 5, halfClose: Bool = false) throws -> String {
        let descriptor = try connect(unixPath: path)
        defer { close(descriptor) }
        return try talk(descriptor, send: send, timeout: timeout, peer: path, halfClose: halfClose)
    }

    /// A socket connected to 127.0.0.1:`port`; the caller closes it (an idle client, for instance).
    public static func connect(port: Int) throws -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return try connect(AF_INET, to: &address, peer: "127.0.0.1:\(port)")
    }

    /// A socket connected to the Unix socket at `path`; the caller closes it.
    public static func connect(unixPath path: String) throws -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw FixtureError("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        return try connect(AF_UNIX, to: &address, peer: path)
    }

    private static func connect<Address>(_ family: Int32, to address: inout Address, peer: String) throws -> Int32 {
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw FixtureError("socket: \(String(cString: strerror(errno)))") }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<Address>.size)) == 0
            }
        }
        guard connected else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw FixtureError("cannot connect to \(peer): \(reason)")
        }
        return descriptor
    }

    private static func talk(_ descriptor: Int32, send: String, timeout: TimeInterval, peer: String, halfClose: Bool = false) throws -> String {
        var wait = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        let outgoing = Array(send.utf8)
        var sent = 0
        while sent < outgoing.count {
            let written = outgoing[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw FixtureError("cannot write to \(peer): \(String(cString: strerror(errno)))") }
            sent += written
        }
        if halfClose {
            shutdown(descriptor, Int32(SHUT_WR))
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 {
                received += buffer[..<count]
            } else if count == 0 || errno == ECONNRESET {
                break
            } else {
                throw FixtureError("no answer from \(peer) within \(timeout) s: \(String(cString: strerror(errno)))")
            }
        }
        return String(decoding: received, as: UTF8.self)
    }
}
