import Foundation

/// Connects `descriptor`, an `AF_UNIX` stream socket, to the socket file at `path`.
/// Returns 0, or the `errno` of the failure (`ENAMETOOLONG` when the path does not fit in
/// a `sockaddr_un`). The CLI's client and the daemon's "is another agent there?" probe
/// both connect this way.
public func connectUnixSocket(_ descriptor: Int32, to path: String) -> Int32 {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return ENAMETOOLONG }
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    return connected == 0 ? 0 : errno
}
