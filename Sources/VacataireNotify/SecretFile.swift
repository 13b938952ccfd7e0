import Foundation

/// Reads a small secret file (an SMTP or SNMPv3 password) with the system's own calls, so
/// that a failure says why in `errno` terms: a missing or unreadable file is a setting to
/// fix (`.configuration`, not retried), while a process out of descriptors or memory
/// (EMFILE, ENFILE, ENOMEM, EAGAIN, EINTR) is a passing state of the machine, retried like
/// a refused connection (a failover page was dropped as "refused for
/// good" because the password file could not be opened during a descriptor flood).
enum SecretFile {
    /// Secrets are short; a larger file is a mistake in the path.
    static let maximumBytes = 64 * 1024

    static func read(_ path: String, failure: (String) -> String) throws(DeliveryError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            throw DeliveryError.system(code, failure("\(String(cString: strerror(code)))"))
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= maximumBytes {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw DeliveryError.system(code, failure("\(String(cString: strerror(code)))"))
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        guard bytes.count <= maximumBytes else {
            throw DeliveryError(.configuration, failure("larger than \(maximumBytes) bytes; not a password file"))
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension DeliveryError {
    /// An error number that says the machine ran short for a moment, not that a setting is wrong.
    public static func isTransient(errno code: Int32) -> Bool {
        [EMFILE, ENFILE, ENOMEM, EAGAIN, EINTR, ENOBUFS].contains(code)
    }

    /// `.resources` (retried) for a transient error number, `.configuration` otherwise.
    static func system(_ code: Int32, _ message: String) -> DeliveryError {
        DeliveryError(isTransient(errno: code) ? .resources : .configuration, message)
    }
}
