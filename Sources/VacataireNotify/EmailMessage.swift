import Foundation
import VacataireCore

/// One RFC 5322 email, ready for SMTP: headers and a MIME text body, CRLF line endings.
///
/// Header values are cleaned of CR and LF so rendered text can never add a header, and
/// non-ASCII or overlong header text is RFC 2047 encoded. A body goes as 7bit only when it
/// is ASCII with every line within SMTP's 998 octets; otherwise as base64, so a long
/// rendered line (a digest listing thousands of suppressed events) is delivered, never
/// refused by the server as "line too long". `In-Reply-To`/`References` thread every
/// message of one incident under its first message.
public struct EmailMessage: Sendable {
    public var from: EmailAddress
    public var to: [EmailAddress]
    public var subject: String
    public var body: String
    public var date: Date
    /// Without angle brackets, e.g. `a1b2@alpha.web-pair.vacataire`.
    public var messageID: String
    /// The Message-ID of the incident's first message, when this message continues one.
    public var threadID: String?
    /// Extra `X-Vacataire-*` headers: event kind, incident id, node.
    public var extraHeaders: [(name: String, value: String)]

    public init(
        from: EmailAddress, to: [EmailAddress], subject: String, body: String, date: Date,
        messageID: String, threadID: String? = nil, extraHeaders: [(name: String, value: String)] = []
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.date = date
        self.messageID = messageID
        self.threadID = threadID
        self.extraHeaders = extraHeaders
    }

    /// A Message-ID unique to this message and recognisable as ours.
    public static func makeMessageID(node: String, cluster: String, at time: Date) -> String {
        "\(MessageToken.next(at: time))@\(node).\(cluster).vacataire"
    }

    /// The thread root of an incident: the same on both nodes (it names the cluster and the
    /// incident, not the node), so every message about the incident, from either node,
    /// lands in one thread of the mail client.
    public static func incidentThreadID(incident: String, cluster: String) -> String {
        "incident-\(incident)@\(cluster).vacataire"
    }

    /// The thread of one check on one node outside any incident: its failure and its
    /// recovery read as one conversation.
    public static func checkThreadID(check: String, node: String, cluster: String) -> String {
        "check-\(check.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." })-\(node)@\(cluster).vacataire"
    }

    /// The message as sent on the wire.
    public var rendered: String {
        var headers: [(String, String)] = [
            ("From", from.address),
            ("To", to.map(\.address).joined(separator: ", ")),
            ("Subject", Self.encodeHeader(subject)),
            ("Date", DateText.rfc5322(date)),
            ("Message-ID", "<\(Self.clean(messageID))>"),
        ]
        if let threadID {
            headers.append(("In-Reply-To", "<\(Self.clean(threadID))>"))
            headers.append(("References", "<\(Self.clean(threadID))>"))
        }
        headers.append(("Auto-Submitted", "auto-generated"))
        headers.append(("MIME-Version", "1.0"))
        headers.append(("Content-Type", "text/plain; charset=utf-8"))
        let normalized = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
        let plain = Self.fitsSevenBit(normalized)
        headers.append(("Content-Transfer-Encoding", plain ? "7bit" : "base64"))
        for header in extraHeaders {
            headers.append((Self.clean(header.name), Self.encodeHeader(header.value)))
        }
        let head = headers.map { "\($0.0): \($0.1)" }.joined(separator: "\r\n")
        let encodedBody = plain ? normalized : Self.base64Lines(Data(normalized.utf8))
        return head + "\r\n\r\n" + encodedBody + (encodedBody.hasSuffix("\r\n") ? "" : "\r\n")
    }

    /// Removes CR, LF and other control characters from a header value.
    static func clean(_ value: String) -> String {
        String(value.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
    }

    /// SMTP's limit on a line, CRLF excluded (RFC 5321 4.5.3.1.6).
    static let maximumLineOctets = 998

    /// Whether text can go as 7bit: ASCII only, no line longer than SMTP allows.
    static func fitsSevenBit(_ text: String) -> Bool {
        var lineOctets = 0
        for byte in text.utf8 {
            guard byte < 0x80 else { return false }
            if byte == UInt8(ascii: "\n") {
                lineOctets = 0
            } else if byte != UInt8(ascii: "\r") {
                lineOctets += 1
                if lineOctets > maximumLineOctets { return false }
            }
        }
        return true
    }

    /// RFC 2047 `=?utf-8?b?...?=` words, folded one per line, for non-ASCII text or text
    /// too long for one header line; short plain ASCII stays as it is.
    static func encodeHeader(_ value: String) -> String {
        let cleaned = clean(value)
        // 900 leaves room for the longest header name and ": " within 998 octets.
        guard !cleaned.unicodeScalars.allSatisfy(\.isASCII) || cleaned.utf8.count > 900 else { return cleaned }
        // Encoded words are at most 75 characters: split the text into chunks of whole
        // characters whose UTF-8 encoding stays under 45 bytes (60 base64 characters).
        var words: [String] = []
        var chunk = ""
        for character in cleaned {
            if chunk.utf8.count + String(character).utf8.count > 45 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?utf-8?b?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    static func base64Lines(_ data: Data) -> String {
        data.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
    }
}
