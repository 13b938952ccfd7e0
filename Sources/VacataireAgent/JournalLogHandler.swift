#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// A swift-log handler that writes to systemd's journal in its native protocol (one
/// datagram per entry to `/run/systemd/journal/socket`), so that each decision is one
/// journal entry with fields: `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`, and the
/// logger's metadata as `VACATAIRE_*` fields (`event`, `incident`, `epoch` become
/// `VACATAIRE_EVENT`, `VACATAIRE_INCIDENT`, `VACATAIRE_EPOCH`), so that
/// `journalctl -u vacataire VACATAIRE_INCIDENT=e12` finds an incident's story.
///
/// Used when `$JOURNAL_STREAM` says standard error is the journal (systemd(1),
/// "JOURNAL_STREAM"); otherwise the agent logs plain lines to standard error. An entry
/// the socket refuses is written to standard error instead, never lost.
public struct JournalLogHandler: LogHandler {
    public static let socketPath = "/run/systemd/journal/socket"

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let socketPath: String
    private let fallback: StreamLogHandler

    public init(label: String, socketPath: String = JournalLogHandler.socketPath) {
        self.label = label
        self.socketPath = socketPath
        fallback = StreamLogHandler.standardError(label: label)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let entry = Self.entry(level: event.level, message: "\(event.message)", metadata: merged,
                               source: event.source, file: event.file, function: event.function, line: event.line)
        if UnixDatagram.send(entry, to: socketPath) != nil {
            var fallback = fallback
            fallback.logLevel = logLevel
            fallback.metadata = metadata
            fallback.log(event: event)
        }
    }

    /// One journal entry in the native protocol: `KEY=value\n`, or for a value with a
    /// newline `KEY\n`, its length as 64-bit little-endian, the value and `\n`.
    static func entry(level: Logger.Level, message: String, metadata: Logger.Metadata,
                      source: String, file: String, function: String, line: UInt) -> [UInt8] {
        var fields: [(String, String)] = [
            ("MESSAGE", message),
            ("PRIORITY", String(priority(level))),
            ("SYSLOG_IDENTIFIER", "vacataire"),
            ("CODE_FILE", file),
            ("CODE_LINE", String(line)),
            ("CODE_FUNC", function),
        ]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            fields.append((fieldName(key), "\(value)"))
        }
        var bytes: [UInt8] = []
        for (name, value) in fields {
            bytes += Array(name.utf8)
            if value.contains("\n") {
                bytes.append(UInt8(ascii: "\n"))
                withUnsafeBytes(of: UInt64(value.utf8.count).littleEndian) { bytes += $0 }
                bytes += Array(value.utf8)
            } else {
                bytes.append(UInt8(ascii: "="))
                bytes += Array(value.utf8)
            }
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    /// `incident` -> `VACATAIRE_INCIDENT`: upper case, letters, digits and `_` only.
    static func fieldName(_ key: String) -> String {
        "VACATAIRE_" + String(key.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }

    /// syslog(3) priorities, as the journal stores them.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// Whether standard error is the journal's stream: `$JOURNAL_STREAM` is `DEVICE:INODE`
    /// of the stream systemd connected, compared with what fd 2 is now.
    public static func standardErrorIsJournal(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(2, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}
