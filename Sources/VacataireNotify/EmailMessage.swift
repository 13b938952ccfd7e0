import Foundation
import VacataireCore

/// One RFC 5322 email, ready for SMTP: headers and a MIME text body, CRLF line endings.
///
/// Header values are cleaned of CR and LF so rendered text can never add a header, and
/// non-ASCII header text is RFC 2047 encoded. `In-Reply-To`/`References` thread every
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
    public static func makeMessageID(node: String, cluster: String, unique: String = MessageToken.next()) -> String {
        "\(unique)@\(node).\(cluster).vacataire"
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
        let ascii = body.unicodeScalars.allSatisfy(\.isASCII)
        headers.append(("Content-Transfer-Encoding", ascii ? "7bit" : "base64"))
        for header in extraHeaders {
            headers.append((Self.clean(header.name), Self.encodeHeader(header.value)))
        }
        let head = headers.map { "\($0.0): \($0.1)" }.joined(separator: "\r\n")
        let normalized = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
        let encodedBody = ascii ? normalized : Self.base64Lines(Data(normalized.utf8))
        return head + "\r\n\r\n" + encodedBody + (encodedBody.hasSuffix("\r\n") ? "" : "\r\n")
    }

    /// Removes CR, LF and other control characters from a header value.
    static func clean(_ value: String) -> String {
        String(value.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
    }

    /// RFC 2047 `=?utf-8?b?...?=` words for non-ASCII text; plain ASCII stays as it is.
    static func encodeHeader(_ value: String) -> String {
        let cleaned = clean(value)
        guard !cleaned.unicodeScalars.allSatisfy(\.isASCII) else { return cleaned }
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
