import Foundation

/// A real SMTP server (aiosmtpd, Tests/Fixtures/smtp_sink.py) on a free loopback port,
/// whose received messages a test can read back.
public final class SMTPSink: SpawnedServer, @unchecked Sendable {
    /// One message as the server received it.
    public struct Received: Sendable {
        /// The DATA exactly as sent, CRLF line endings.
        public var raw: String
        public var mailFrom: String
        public var recipients: [String]
        public var tls: Bool
        public var authenticated: Bool
        /// The header block, unfolded, by lower-cased name (the last one wins).
        public let headers: [String: String]
        /// The body, decoded from base64 when the message says so.
        public let body: String

        init(raw: String, mailFrom: String, recipients: [String], tls: Bool, authenticated: Bool) {
            self.raw = raw
            self.mailFrom = mailFrom
            self.recipients = recipients
            self.tls = tls
            self.authenticated = authenticated
            let parts = raw.components(separatedBy: "\r\n\r\n")
            let unfolded = (parts.first ?? "").replacingOccurrences(of: "\r\n ", with: " ").replacingOccurrences(of: "\r\n\t", with: " ")
            var headers: [String: String] = [:]
            for line in unfolded.components(separatedBy: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            self.headers = headers
            let text = parts.dropFirst().joined(separator: "\r\n\r\n")
            if headers["content-transfer-encoding"] == "base64" {
                body = Data(base64Encoded: text.replacingOccurrences(of: "\r\n", with: "")).map { String(decoding: $0, as: UTF8.self) } ?? ""
            } else {
                body = text
            }
        }
    }

    /// Starts the sink; `arguments` go to smtp_sink.py (`--tls-cert`, `--auth`, ...).
    public init(arguments: [String] = []) throws {
        try super.init("smtp-sink") { directory in
            try Self.requireAiosmtpd()
            let server = try SpawnedProcess(
                name: "smtp-sink", executable: "/usr/bin/python3",
                arguments: [Repository.path("Tests/Fixtures/smtp_sink.py"), "--dir", directory.file("mail")] + arguments,
                workDirectory: directory.path, install: "python3"
            )
            var found = 0
            try server.wait(for: "READY") {
                guard let line = server.output.split(separator: "\n").first(where: { $0.hasPrefix("READY ") }),
                      let number = Int(line.dropFirst("READY ".count)) else { return false }
                found = number
                return true
            }
            return (server, found)
        }
    }

    /// Every message received so far, oldest first. Each file is read and parsed once:
    /// waits call this every few tens of milliseconds.
    public func messages() -> [Received] {
        let mail = directory.file("mail")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: mail)) ?? []).filter { $0.hasSuffix(".eml") }.sorted()
        return names.compactMap { name in
            if let known = parsedLock.withLock({ parsed[name] }) { return known }
            let stem = "\(mail)/\(name.dropLast(4))"
            guard let raw = try? String(contentsOfFile: "\(stem).eml", encoding: .utf8),
                  let metaData = FileManager.default.contents(atPath: "\(stem).json"),
                  let meta = try? JSONSerialization.jsonObject(with: metaData) as? [String: Any]
            else { return nil }  // still being written: read it at the next call
            let received = Received(
                raw: raw, mailFrom: meta["mail_from"] as? String ?? "",
                recipients: meta["rcpt_tos"] as? [String] ?? [], tls: meta["tls"] as? Bool ?? false,
                authenticated: meta["authenticated"] as? Bool ?? false
            )
            parsedLock.withLock { parsed[name] = received }
            return received
        }
    }

    /// The messages read so far, by file name (under `parsedLock`: an NSLock, which
    /// ThreadSanitizer follows).
    private var parsed: [String: Received] = [:]
    private let parsedLock = NSLock()

    /// Waits until at least `count` messages arrived and returns them.
    public func waitForMessages(_ count: Int, timeout: TimeInterval = 10) throws -> [Received] {
        try wait(for: "\(count) message(s)", timeout: timeout) { messages().count >= count }
        return messages()
    }

    static func requireAiosmtpd() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            throw FixtureError("the SMTP sink needs /usr/bin/python3: apt-get install python3 python3-aiosmtpd")
        }
        guard try Repository.run("/usr/bin/python3", ["-c", "import aiosmtpd"]).status == 0 else {
            throw FixtureError("the SMTP sink needs aiosmtpd: apt-get install python3-aiosmtpd")
        }
    }
}
