import Foundation
import Logging
import VacataireAgent
import VacataireTestSupport
import XCTest

/// The journal's native protocol: one entry per log line, with the decision's fields.
final class JournalLogHandlerTests: XCTestCase {
    func testADecisionIsOneEntryWithItsFields() throws {
        let directory = try TemporaryDirectory("journal")
        defer { directory.remove() }
        let journal = try UnixDatagramSink(path: directory.file("journal.sock"))
        var handler = JournalLogHandler(label: "vacataire", socketPath: journal.path)
        handler[metadataKey: "node"] = "alpha"
        let logger = Logger(label: "vacataire") { _ in handler }
        logger.notice("takeover (incident e12): no heartbeat for 3.1 s\nwitness reachable",
                      metadata: ["event": "takeover", "incident": "e12", "epoch": "7"])
        logger.debug("below the level: not sent")

        let entries = journal.datagrams(for: 0.5).map(Self.fields)
        XCTAssertEqual(entries.count, 1, "\(entries)")
        let entry = try XCTUnwrap(entries.first)
        XCTAssertEqual(entry["MESSAGE"], "takeover (incident e12): no heartbeat for 3.1 s\nwitness reachable", "a newline needs the binary form")
        XCTAssertEqual(entry["PRIORITY"], "5")
        XCTAssertEqual(entry["SYSLOG_IDENTIFIER"], "vacataire")
        XCTAssertEqual(entry["VACATAIRE_EVENT"], "takeover")
        XCTAssertEqual(entry["VACATAIRE_INCIDENT"], "e12")
        XCTAssertEqual(entry["VACATAIRE_EPOCH"], "7")
        XCTAssertEqual(entry["VACATAIRE_NODE"], "alpha")
    }

    func testStandardErrorIsTheJournalOnlyWhenJournalStreamSaysSo() throws {
        var info = stat()
        XCTAssertEqual(fstat(2, &info), 0)
        XCTAssertTrue(JournalLogHandler.standardErrorIsJournal(environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"]))
        XCTAssertFalse(JournalLogHandler.standardErrorIsJournal(environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"]),
                       "stderr was redirected since systemd started the process")
        XCTAssertFalse(JournalLogHandler.standardErrorIsJournal(environment: [:]))
        XCTAssertFalse(JournalLogHandler.standardErrorIsJournal(environment: ["JOURNAL_STREAM": "garbage"]))
    }

    /// Parses one native-protocol datagram: `KEY=value\n`, or `KEY\n` + 64-bit LE length + value + `\n`.
    static func fields(_ bytes: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        var index = 0
        while index < bytes.count {
            guard let end = bytes[index...].firstIndex(where: { $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "\n") }) else { break }
            let name = String(decoding: bytes[index..<end], as: UTF8.self)
            if bytes[end] == UInt8(ascii: "=") {
                let lineEnd = bytes[end...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                fields[name] = String(decoding: bytes[(end + 1)..<lineEnd], as: UTF8.self)
                index = lineEnd + 1
            } else {
                let lengthBytes = bytes[(end + 1)..<(end + 9)]
                let length = lengthBytes.reversed().reduce(0) { $0 << 8 | Int($1) }
                let start = end + 9
                fields[name] = String(decoding: bytes[start..<(start + length)], as: UTF8.self)
                index = start + length + 1
            }
        }
        return fields
    }

    /// A plugin's output quoted in a message cannot forge a log line nor send a terminal
    /// escape: the wrapped handler gets one line, the control characters escaped.
    func testAMessageQuotingForeignTextStaysOneLine() {
        let seen = CapturedMessages()
        var logger = Logger(label: "test") { _ in OneLineLogHandler(CapturingLogHandler(seen: seen)) }
        logger.logLevel = .info
        logger.info("check http: CRITICAL - down\n2026-12-07T00:00:00+0000 critical vacataire : forged\r\u{1B}[2J\ttab")
        logger.info("plain")
        XCTAssertEqual(seen.messages, [
            "check http: CRITICAL - down\\n2026-12-07T00:00:00+0000 critical vacataire : forged\\r\\u{1B}[2J\ttab", "plain",
        ])
    }
}

/// The messages a `CapturingLogHandler` was given, in order.
final class CapturedMessages: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var messages: [String] { lock.withLock { stored } }
    func append(_ message: String) { lock.withLock { stored.append(message) } }
}

/// Keeps each message it is given.
struct CapturingLogHandler: LogHandler {
    let seen: CapturedMessages
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { seen.append("\(event.message)") }
}
