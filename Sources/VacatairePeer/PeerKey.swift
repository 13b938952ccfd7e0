import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One shared HMAC-SHA256 key of the peer protocol and the id that names it on the wire.
///
/// Its description and reflection show the id and where it came from, never the key.
public struct PeerKey: Sendable, CustomStringConvertible, CustomReflectable {
    /// Fewer bytes than this are refused: an HMAC key must not be guessable.
    public static let minimumBytes = 16
    /// More bytes than this are refused: a key file is a few dozen bytes, not a data file.
    public static let maximumBytes = 1_024

    /// The key id written in bytes 4–5 of every datagram signed with this key.
    public let id: UInt16
    /// Where the key came from (a file path, or a label given by tests).
    public let source: String
    private let storage: KeyStorage

    /// The HMAC-SHA256 tag of `bytes` under this key.
    func tag(of bytes: UnsafeRawBufferPointer) -> HMAC<SHA256>.MAC {
        var authenticator = storage.authenticator
        authenticator.update(data: bytes)
        return authenticator.finalize()
    }

    /// Whether `tag` is the tag of `bytes` under this key, compared in constant time
    /// (swift-crypto's comparison of a MAC with bytes).
    func verifies(_ tag: UnsafeRawBufferPointer, of bytes: UnsafeRawBufferPointer) -> Bool {
        self.tag(of: bytes) == tag
    }

    /// A key from raw bytes, as read from a key file; `source` names it in errors.
    public init(id: UInt16, bytes: some Collection<UInt8>, source: String) throws(PeerKeyError) {
        guard bytes.count >= Self.minimumBytes else {
            throw .tooShort(path: source, bytes: bytes.count)
        }
        guard bytes.count <= Self.maximumBytes else {
            throw .tooLong(path: source)
        }
        self.id = id
        self.source = source
        self.storage = KeyStorage(authenticator: HMAC(key: SymmetricKey(data: Array(bytes))))
    }

    /// Reads key `id` from the file at `path`.
    ///
    /// The file must be a regular file with mode 0600 or 0400 (no access for group or
    /// others). The key is the file's bytes without trailing newlines (`\n`, `\r`), so both
    /// a binary key and `openssl rand -hex 32 > FILE` work; it must hold 16 to 1,024 bytes.
    public static func load(id: UInt16, path: String) throws(PeerKeyError) -> PeerKey {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            throw .cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw .cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw .notARegularFile(path: path)
        }
        let mode = Int(status.st_mode) & 0o7777
        guard mode == 0o600 || mode == 0o400 else {
            throw .insecureMode(path: path, mode: mode)
        }
        var bytes = [UInt8](repeating: 0, count: maximumBytes + 64)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress.map { $0 + filled }, buffer.count - filled)
            }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else {
                throw .cannotRead(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            filled += count
        }
        guard filled < bytes.count else {
            throw .tooLong(path: path)
        }
        var end = filled
        while end > 0, bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r") {
            end -= 1
        }
        return try PeerKey(id: id, bytes: bytes[0..<end], source: path)
    }

    public var description: String { "peer key \(id) (\(source))" }

    public var customMirror: Mirror {
        Mirror(self, children: ["id": id, "source": source], displayStyle: .struct)
    }
}

/// Holds the key as HMAC-SHA256 keyed with it (its inner and outer pads already hashed),
/// which this swift-crypto release does not mark `Sendable`; each message's tag starts
/// from a copy of it, instead of padding and hashing the key again (two SHA-256 blocks and
/// two arrays per datagram, sent or received).
///
/// Safe to share: it is a `let` that is only ever copied, never written. The keyed state
/// is worth the key itself and lives as long as the key is configured, as the key did.
private final class KeyStorage: @unchecked Sendable {
    let authenticator: HMAC<SHA256>

    init(authenticator: HMAC<SHA256>) {
        self.authenticator = authenticator
    }
}

/// A peer key file that could not be used, with what to do about it. Never holds key bytes.
public enum PeerKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotRead(path: String, reason: String)
    case notARegularFile(path: String)
    case insecureMode(path: String, mode: Int)
    case tooShort(path: String, bytes: Int)
    case tooLong(path: String)
    case duplicateKeyID(UInt16, firstPath: String, secondPath: String)
    case noKeys
    case activeKeyNotLoaded(UInt16, loaded: [UInt16])

    public var description: String {
        switch self {
        case let .cannotRead(path, reason):
            return "peer key file \(path): cannot be read: \(reason)"
        case let .notARegularFile(path):
            return "peer key file \(path): not a regular file"
        case let .insecureMode(path, mode):
            let octal = String(mode, radix: 8)
            return "peer key file \(path): mode is 0\(octal), which lets group or others read or write it;"
                + " it must be 0600 or 0400 (run `chmod 600 \(path)`) and then the key should be replaced"
        case let .tooShort(path, bytes):
            return "peer key file \(path): the key has \(bytes) bytes, fewer than the \(PeerKey.minimumBytes) required"
                + " (make one with `openssl rand -hex 32 > \(path)`)"
        case let .tooLong(path):
            return "peer key file \(path): longer than \(PeerKey.maximumBytes) bytes; is this the right file?"
        case let .duplicateKeyID(id, firstPath, secondPath):
            return "peer key id \(id) is given twice (\(firstPath) and \(secondPath)); each key needs its own id"
        case .noKeys:
            return "no peer key configured: at least one key file is needed to sign and check peer messages"
        case let .activeKeyNotLoaded(id, loaded):
            let ids = loaded.sorted().map(String.init).joined(separator: ", ")
            return "the active peer key id \(id) is not among the loaded keys (\(ids))"
        }
    }
}
