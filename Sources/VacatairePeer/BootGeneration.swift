#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// This node's boot id: a number persisted in the state directory and raised at every
/// start, as Linux-HA Heartbeat's `hb_generation`, so that the peer drops any datagram
/// captured before the restart (`ReplayWindow`).
///
/// Each start takes the stored number plus one, or the wall clock in milliseconds when
/// that is higher. The clock makes a start whose state directory takes no writes safe
/// (`standIn`): its number is above every earlier one without being stored, and the next
/// start that can store its number is above it in turn. The stored number keeps the order
/// when the clock goes back.
///
/// The file holds the decimal number and a newline. A missing file means a first start
/// (generation 1); an unreadable or corrupt one is an error, never a silent restart at 1,
/// which would make old datagrams acceptable again. The new value is written to a temporary
/// file, flushed with `fsync`, renamed over the old one and the directory flushed, so a crash
/// leaves either the old or the new number. Call `next` once per start, before sending.
public enum BootGeneration {
    /// The file's name inside the state directory.
    public static let defaultFileName = "boot-generation"

    /// Reads the last generation from `directory/fileName`, stores the next one (the last
    /// plus one, or `clock` when higher) and returns it.
    public static func next(
        stateDirectory directory: String, fileName: String = defaultFileName, clock: UInt64
    ) throws(BootGenerationError) -> UInt64 {
        let path = filePath(directory, fileName)
        let previous = try readStored(path)
        guard previous < UInt64.max else {
            throw .exhausted(path: path)
        }
        let next = max(previous + 1, clock)
        try store(next, at: path, directory: directory)
        return next
    }

    /// The generation for a start that cannot store one (`next` threw): the stored one
    /// plus one or `clock`, whichever is higher, written nowhere. The peer accepts it, and
    /// the next start that stores its generation is above it as long as the clock does not
    /// go back between the two.
    public static func standIn(
        stateDirectory directory: String, fileName: String = defaultFileName, clock: UInt64
    ) -> UInt64 {
        let path = filePath(directory, fileName)
        let previous = (try? readStored(path)) ?? 0
        return previous < UInt64.max ? max(previous + 1, clock) : clock
    }

    static func filePath(_ directory: String, _ fileName: String) -> String {
        directory.hasSuffix("/") ? directory + fileName : directory + "/" + fileName
    }

    /// The stored generation, or 0 when the file does not exist.
    static func readStored(_ path: String) throws(BootGenerationError) -> UInt64 {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0, errno == ENOENT {
            return 0
        }
        guard descriptor >= 0 else {
            throw .cannotRead(path: path, reason: errorText())
        }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 32)
        var filled = 0
        while filled < buffer.count {
            let count = buffer.withUnsafeMutableBytes { bytes in
                read(descriptor, bytes.baseAddress.map { $0 + filled }, bytes.count - filled)
            }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw .cannotRead(path: path, reason: errorText()) }
            if count == 0 { break }
            filled += count
        }
        var text = String(decoding: buffer[0..<filled], as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        guard filled < buffer.count, let value = UInt64(text) else {
            throw .corrupt(path: path)
        }
        return value
    }

    static func store(_ value: UInt64, at path: String, directory: String) throws(BootGenerationError) {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .cannotWrite(path: temporary, reason: errorText())
        }
        let bytes = Array("\(value)\n".utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress.map { $0 + written }, buffer.count - written)
            }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                let reason = errorText()
                close(descriptor)
                throw .cannotWrite(path: temporary, reason: reason)
            }
            written += count
        }
        guard fsync(descriptor) == 0 else {
            let reason = errorText()
            close(descriptor)
            throw .cannotWrite(path: temporary, reason: reason)
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            throw .cannotWrite(path: path, reason: errorText())
        }
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else {
            throw .cannotWrite(path: directory, reason: errorText())
        }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else {
            throw .cannotWrite(path: directory, reason: errorText())
        }
    }

    private static func errorText() -> String {
        String(cString: strerror(errno))
    }
}

/// The boot generation could not be read or stored; the daemon must not start without it.
public enum BootGenerationError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotRead(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case corrupt(path: String)
    case exhausted(path: String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason):
            return "boot generation file \(path): cannot be read: \(reason)"
        case let .cannotWrite(path, reason):
            return "boot generation file \(path): cannot be written: \(reason); is the state directory writable?"
        case let .corrupt(path):
            return "boot generation file \(path): does not hold a number; restore it, or write a number above the last"
                + " one used into it (deleting it restarts at 1, and the peer then drops this node's messages until it restarts too)"
        case let .exhausted(path):
            return "boot generation file \(path): holds the largest possible number; write 1 into it and restart both nodes"
        }
    }
}
