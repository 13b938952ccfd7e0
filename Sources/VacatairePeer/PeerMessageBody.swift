/// The JSON body of a datagram: every field of a `PeerMessage` but the version, which is in
/// the header. One flat object, written and read by this codec rather than through Codable,
/// whose generic machinery costs several times more per message: a pair exchanges a
/// heartbeat every 50 ms or so each way, for as long as it runs.
///
/// Writing gives the bytes `JSONEncoder` gives with `.sortedKeys` and
/// `.withoutEscapingSlashes`: keys in order, no spaces, absent optional fields left out.
/// Reading accepts any JSON text `JSONDecoder` accepts for this object and refuses the others
/// with the rejection its error stands for: an unknown field, a missing one, a wrong type, an
/// unknown `kind`, or text that is not JSON. A key given twice keeps its first value; `null`
/// for an optional field is the same as leaving it out.
struct PeerMessageBody {
    var message: PeerMessage

    init(_ message: PeerMessage) {
        self.message = message
    }

    /// A field of the body, in the order the fields are decoded, which decides which of
    /// several problems is reported.
    enum Field: Int, CaseIterable {
        case cluster, node, boot, epoch, seq, sentMilliseconds, kind, request, role, state, healthy
        case incident, ackAuthor, ackComment, detail

        /// The key on the wire.
        var name: String {
            switch self {
            case .cluster: "cluster"
            case .node: "node"
            case .boot: "boot"
            case .epoch: "epoch"
            case .seq: "seq"
            case .sentMilliseconds: "sent_ms"
            case .kind: "kind"
            case .request: "request"
            case .role: "role"
            case .state: "state"
            case .healthy: "healthy"
            case .incident: "incident"
            case .ackAuthor: "ack_author"
            case .ackComment: "ack_comment"
            case .detail: "detail"
            }
        }

        /// The field whose key is `key` (its bytes once unescaped).
        init?(key: some Collection<UInt8>) {
            guard let first = key.first, first < 0x80 else { return nil }
            let count = key.count
            for candidate in Self.byFirstByte[Int(first)] where Self.names[candidate.rawValue].count == count {
                if Self.names[candidate.rawValue].elementsEqual(key) {
                    self = candidate
                    return
                }
            }
            return nil
        }

        /// Each field's key, and the fields by their key's first byte (ASCII), so that a key
        /// is compared with one or two names rather than fifteen.
        private static let names = allCases.map { Array($0.name.utf8) }
        private static let byFirstByte = (0..<0x80).map { byte in allCases.filter { names[$0.rawValue].first == UInt8(byte) } }
        /// Each key as written before its value: `"key":`.
        fileprivate static let writtenKeys = allCases.map { Array("\"\($0.name)\":".utf8) }
    }

    // MARK: Writing

    /// The body's bytes.
    var encoded: [UInt8] {
        var writer = Writer()
        let payload = message.payload
        // Keys in sorted order, as `.sortedKeys` writes them.
        if let author = payload.ackAuthor { writer.string(author, for: .ackAuthor) }
        if let comment = payload.ackComment { writer.string(comment, for: .ackComment) }
        writer.number(message.bootID, for: .boot)
        writer.string(message.cluster, for: .cluster)
        if let detail = payload.detail { writer.string(detail, for: .detail) }
        writer.number(message.epoch, for: .epoch)
        writer.key(.healthy)
        writer.bytes.append(contentsOf: payload.healthy ? Writer.trueBytes : Writer.falseBytes)
        if let incident = payload.incidentID { writer.string(incident, for: .incident) }
        writer.string(message.kind.rawValue, for: .kind)
        writer.string(message.sender, for: .node)
        if let request = message.requestID { writer.number(request, for: .request) }
        writer.string(payload.role, for: .role)
        writer.number(message.sentAtMilliseconds, for: .sentMilliseconds)
        writer.number(message.sequence, for: .seq)
        writer.string(payload.state, for: .state)
        writer.bytes.append(UInt8(ascii: "}"))
        return writer.bytes
    }

    private struct Writer {
        static let trueBytes = Array("true".utf8)
        static let falseBytes = Array("false".utf8)

        var bytes: [UInt8]

        init() {
            bytes = [UInt8(ascii: "{")]
            bytes.reserveCapacity(512)
        }

        mutating func key(_ field: Field) {
            if bytes.count > 1 {
                bytes.append(UInt8(ascii: ","))
            }
            bytes.append(contentsOf: Field.writtenKeys[field.rawValue])
        }

        mutating func number(_ value: UInt64, for field: Field) {
            key(field)
            let start = bytes.count
            var rest = value
            repeat {
                bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
                rest /= 10
            } while rest > 0
            bytes[start...].reverse()
        }

        /// `text` quoted and escaped as `JSONEncoder` escapes it: `\"`, `\\`, the short forms
        /// of backspace, tab, newline, form feed and carriage return, `\u00XX` with lowercase
        /// digits for the other control characters; everything else (slashes, DEL, non-ASCII)
        /// as its UTF-8 bytes.
        mutating func string(_ text: String, for field: Field) {
            key(field)
            bytes.append(UInt8(ascii: "\""))
            var text = text
            text.withUTF8 { utf8 in
                if utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
                    bytes.append(contentsOf: utf8)
                } else {
                    appendEscaped(utf8)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }

        private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    bytes.append(UInt8(ascii: "\\"))
                    bytes.append(byte)
                case 0x08: escape(UInt8(ascii: "b"))
                case 0x09: escape(UInt8(ascii: "t"))
                case 0x0A: escape(UInt8(ascii: "n"))
                case 0x0C: escape(UInt8(ascii: "f"))
                case 0x0D: escape(UInt8(ascii: "r"))
                case 0x00..<0x20:
                    bytes.append(contentsOf: Self.controlEscapePrefix)
                    bytes.append(Self.hexDigits[Int(byte >> 4)])
                    bytes.append(Self.hexDigits[Int(byte & 0x0F)])
                default:
                    bytes.append(byte)
                }
            }
        }

        private mutating func escape(_ letter: UInt8) {
            bytes.append(UInt8(ascii: "\\"))
            bytes.append(letter)
        }

        private static let controlEscapePrefix = Array("\\u00".utf8)
        private static let hexDigits = Array("0123456789abcdef".utf8)
    }

    // MARK: Reading

    /// Reads a body, refusing it with the `malformedBody` rejection that names the problem.
    /// Checks no bound of `PeerMessageLimits`; the version is the header's.
    init(decoding body: ArraySlice<UInt8>) throws(PeerRejection) {
        let document = try Self.json { () throws(PeerBodyJSON.Malformed) in try PeerBodyJSON.scan(try PeerBodyJSON.utf8Text(of: body)) }
        guard case .object = document.top else {
            throw Self.wrongType("")
        }
        let fields = try Fields(document)
        message = PeerMessage(
            cluster: try fields.string(.cluster),
            sender: try fields.string(.node),
            bootID: try fields.number(.boot),
            epoch: try fields.number(.epoch),
            sequence: try fields.number(.seq),
            sentAtMilliseconds: try fields.number(.sentMilliseconds),
            kind: try fields.kind(),
            requestID: try fields.optionalNumber(.request),
            payload: PeerPayload(
                role: try fields.string(.role),
                state: try fields.string(.state),
                healthy: try fields.bool(.healthy),
                incidentID: try fields.optionalString(.incident),
                ackAuthor: try fields.optionalString(.ackAuthor),
                ackComment: try fields.optionalString(.ackComment),
                detail: try fields.optionalString(.detail)
            )
        )
    }

    /// What `read` gives; text it cannot read as JSON refuses the body as "not a JSON object",
    /// whichever value it is in.
    private static func json<Value>(_ read: () throws(PeerBodyJSON.Malformed) -> Value) throws(PeerRejection) -> Value {
        do {
            return try read()
        } catch {
            throw PeerRejection(.malformedBody, "not a JSON object")
        }
    }

    private static func wrongType(_ name: String) -> PeerRejection {
        PeerRejection(.malformedBody, "wrong type for `\(name)`")
    }

    /// The top-level object's values by field, each the first one given for its key.
    private struct Fields {
        let text: ArraySlice<UInt8>
        var values: [PeerBodyJSON.Value?] = Array(repeating: nil, count: Field.allCases.count)

        /// Every key is read, and must be a valid string, before any is judged; then the
        /// first unknown one, in the order written, refuses the body.
        init(_ document: PeerBodyJSON.Document) throws(PeerRejection) {
            text = document.text
            var unknown: [UInt8]?
            for member in document.members {
                let raw = text[member.key]
                let field: Field?
                if PeerBodyJSON.isPlain(raw) {
                    field = Field(key: raw)
                    if field == nil, unknown == nil { unknown = Array(raw) }
                } else {
                    let key = try PeerMessageBody.json { () throws(PeerBodyJSON.Malformed) in try PeerBodyJSON.unescapedUTF8(raw) }
                    field = Field(key: key)
                    if field == nil, unknown == nil { unknown = key }
                }
                if let field, values[field.rawValue] == nil {
                    values[field.rawValue] = member.value
                }
            }
            if let unknown {
                let printable = unknown.prefix(32).map { FieldRule.isIdentifierByte($0) ? Character(Unicode.Scalar($0)) : "?" }
                throw PeerRejection(.malformedBody, "unknown field `\(String(printable))`")
            }
        }

        func required(_ field: Field) throws(PeerRejection) -> PeerBodyJSON.Value {
            guard let value = values[field.rawValue] else {
                throw PeerRejection(.malformedBody, "missing field `\(field.name)`")
            }
            return value
        }

        /// The value of an optional field; nil when absent or `null`.
        func optional(_ field: Field) -> PeerBodyJSON.Value? {
            if case .null? = values[field.rawValue] {
                return nil
            }
            return values[field.rawValue]
        }

        func string(_ field: Field) throws(PeerRejection) -> String {
            try string(required(field), field)
        }

        func optionalString(_ field: Field) throws(PeerRejection) -> String? {
            guard let value = optional(field) else { return nil }
            return try string(value, field)
        }

        func number(_ field: Field) throws(PeerRejection) -> UInt64 {
            try number(required(field), field)
        }

        func optionalNumber(_ field: Field) throws(PeerRejection) -> UInt64? {
            guard let value = optional(field) else { return nil }
            return try number(value, field)
        }

        func bool(_ field: Field) throws(PeerRejection) -> Bool {
            guard case .bool(let flag) = try required(field) else { throw wrongType(field) }
            return flag
        }

        func kind() throws(PeerRejection) -> PeerMessageKind {
            guard let kind = PeerMessageKind(rawValue: try string(.kind)) else {
                throw PeerRejection(.malformedBody, "bad value for `kind`")
            }
            return kind
        }

        private func string(_ value: PeerBodyJSON.Value, _ field: Field) throws(PeerRejection) -> String {
            guard case .string(let range) = value else { throw wrongType(field) }
            return try PeerMessageBody.json { () throws(PeerBodyJSON.Malformed) in try PeerBodyJSON.string(range, in: text) }
        }

        private func number(_ value: PeerBodyJSON.Value, _ field: Field) throws(PeerRejection) -> UInt64 {
            guard case .number(let range) = value else { throw wrongType(field) }
            return try PeerMessageBody.json { () throws(PeerBodyJSON.Malformed) in try PeerBodyJSON.uint64(range, in: text) }
        }

        private func wrongType(_ field: Field) -> PeerRejection {
            PeerMessageBody.wrongType(field.name)
        }
    }
}
