/// The JSON reading under `PeerMessageBody`: the text's encoding, its structure, and its
/// string and number values, each read the way Foundation's `JSONDecoder` reads them, so that
/// a body is accepted or refused exactly as it would be through Codable.
///
/// Every failure here is the one rejection "not a JSON object" (`PeerBodyJSON.Malformed`);
/// the type and field errors are `PeerMessageBody`'s. Nothing recurses: nested arrays and
/// objects, which no valid body holds, are walked with an explicit stack bounded at
/// `maximumDepth`, and every loop moves forward through at most a few kilobytes.
enum PeerBodyJSON {
    /// The body is not JSON as `JSONDecoder` reads it.
    struct Malformed: Error {}

    /// `JSONDecoder`'s limit on nested arrays and objects, the top-level object included.
    static let maximumDepth = 512

    /// One value, located in the text but read only when its field is decoded.
    enum Value {
        /// The bytes between the quotes, escapes not yet resolved.
        case string(Range<Int>)
        /// The number's bytes, not yet checked beyond their character set.
        case number(Range<Int>)
        case bool(Bool)
        case null
        case object
        case array
    }

    /// One member of the top-level object: its key's bytes between the quotes, and its value.
    struct Member {
        var key: Range<Int>
        var value: Value
    }

    /// The parts of a scanned text: its top-level value, and the members when it is an object.
    struct Document {
        var text: ArraySlice<UInt8>
        var top: Value
        var members: [Member]
    }

    // MARK: Encoding

    /// The body as UTF-8 without a byte order mark.
    ///
    /// `JSONDecoder` also reads UTF-16 and UTF-32, told by a byte order mark or by the zero
    /// bytes of the first characters; so does this, to refuse nothing it accepts. Only a
    /// body starting with such bytes pays for the conversion.
    static func utf8Text(of body: ArraySlice<UInt8>) throws(Malformed) -> ArraySlice<UInt8> {
        let start = body.startIndex
        func byte(_ offset: Int) -> UInt8? {
            offset < body.count ? body[start + offset] : nil
        }
        let encoding: SourceEncoding
        let markBytes: Int
        switch (byte(0), byte(1), byte(2), byte(3)) {
        case (0, 0, 0xFE, 0xFF): (encoding, markBytes) = (.utf32BigEndian, 4)
        // `JSONDecoder` reads FE FF 00 00, not FF FE 00 00, as the UTF-32 little-endian mark.
        case (0xFE, 0xFF, 0, 0): (encoding, markBytes) = (.utf32LittleEndian, 4)
        case (0xFE, 0xFF, _, _): (encoding, markBytes) = (.utf16BigEndian, 2)
        case (0xFF, 0xFE, _, _): (encoding, markBytes) = (.utf16LittleEndian, 2)
        case (0xEF, 0xBB, 0xBF, _): return body.dropFirst(3)
        case let (0, 0, 0, .some(last)) where last != 0: (encoding, markBytes) = (.utf32BigEndian, 0)
        case let (0, .some(second), 0, .some(fourth)) where second != 0 && fourth != 0: (encoding, markBytes) = (.utf16BigEndian, 0)
        case let (.some(first), 0, 0, 0) where first != 0: (encoding, markBytes) = (.utf32LittleEndian, 0)
        case let (.some(first), 0, .some(third), 0) where first != 0 && third != 0: (encoding, markBytes) = (.utf16LittleEndian, 0)
        case let (0, .some(second), nil, nil) where second != 0: (encoding, markBytes) = (.utf16BigEndian, 0)
        case let (.some(first), 0, nil, nil) where first != 0: (encoding, markBytes) = (.utf16LittleEndian, 0)
        default: return body
        }
        return try transcode(body.dropFirst(markBytes), from: encoding)[...]
    }

    private enum SourceEncoding {
        case utf16BigEndian, utf16LittleEndian, utf32BigEndian, utf32LittleEndian
    }

    /// `bytes` in `encoding` as UTF-8; a partial code unit, a lone surrogate or a value
    /// beyond U+10FFFF refuses the whole text, as `String(bytes:encoding:)` does.
    private static func transcode(_ bytes: ArraySlice<UInt8>, from encoding: SourceEncoding) throws(Malformed) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 2)
        var index = bytes.startIndex
        switch encoding {
        case .utf16BigEndian, .utf16LittleEndian:
            guard bytes.count % 2 == 0 else { throw Malformed() }
            let bigEndian = encoding == .utf16BigEndian
            func unit(at offset: Int) -> UInt16 {
                let (high, low) = bigEndian ? (bytes[offset], bytes[offset + 1]) : (bytes[offset + 1], bytes[offset])
                return UInt16(high) << 8 | UInt16(low)
            }
            while index < bytes.endIndex {
                let first = unit(at: index)
                index += 2
                var value = UInt32(first)
                if UTF16.isLeadSurrogate(first) {
                    guard index < bytes.endIndex else { throw Malformed() }
                    let second = unit(at: index)
                    guard UTF16.isTrailSurrogate(second) else { throw Malformed() }
                    index += 2
                    value = 0x10000 + ((UInt32(first) - 0xD800) << 10 | (UInt32(second) - 0xDC00))
                }
                guard let scalar = Unicode.Scalar(value) else { throw Malformed() }
                output.append(contentsOf: scalar.utf8)
            }
        case .utf32BigEndian, .utf32LittleEndian:
            guard bytes.count % 4 == 0 else { throw Malformed() }
            let bigEndian = encoding == .utf32BigEndian
            while index < bytes.endIndex {
                var value: UInt32 = 0
                for offset in 0..<4 {
                    let byte = bytes[index + (bigEndian ? offset : 3 - offset)]
                    value = value << 8 | UInt32(byte)
                }
                index += 4
                guard let scalar = Unicode.Scalar(value) else { throw Malformed() }
                output.append(contentsOf: scalar.utf8)
            }
        }
        return output
    }

    // MARK: Structure

    /// Checks the structure of the whole text, as `JSONDecoder` does before decoding
    /// anything: whitespace, punctuation, literals, nesting depth, where strings and numbers
    /// end. A trailing comma before `}` or `]` is accepted, as `JSONDecoder` accepts it.
    /// String contents and number syntax are checked later, for the values that are read.
    static func scan(_ text: ArraySlice<UInt8>) throws(Malformed) -> Document {
        var reader = Reader(text: text, position: text.startIndex)
        var members: [Member] = []
        let top: Value
        if try reader.nextSignificantByte() == UInt8(ascii: "{") {
            members.reserveCapacity(16)
            try reader.scanTopLevelObject(into: &members)
            top = .object
        } else {
            top = try reader.scanValue(depth: 0)
        }
        reader.skipWhitespace()
        guard reader.position == text.endIndex else { throw Malformed() }
        return Document(text: text, top: top, members: members)
    }

    private struct Reader {
        let text: ArraySlice<UInt8>
        var position: Int

        mutating func skipWhitespace() {
            while position < text.endIndex, isWhitespace(text[position]) {
                position += 1
            }
        }

        /// The next byte that is not whitespace, not consumed.
        mutating func nextSignificantByte() throws(Malformed) -> UInt8 {
            skipWhitespace()
            guard position < text.endIndex else { throw Malformed() }
            return text[position]
        }

        mutating func expect(_ byte: UInt8) throws(Malformed) {
            guard try nextSignificantByte() == byte else { throw Malformed() }
            position += 1
        }

        mutating func scanTopLevelObject(into members: inout [Member]) throws(Malformed) {
            position += 1
            if try nextSignificantByte() == UInt8(ascii: "}") {
                position += 1
                return
            }
            while true {
                let key = try scanKey()
                let value = try scanValue(depth: 1)
                members.append(Member(key: key, value: value))
                switch try nextSignificantByte() {
                case UInt8(ascii: ","):
                    position += 1
                    if try nextSignificantByte() == UInt8(ascii: "}") {
                        position += 1
                        return
                    }
                case UInt8(ascii: "}"):
                    position += 1
                    return
                default:
                    throw Malformed()
                }
            }
        }

        /// A key and its colon.
        mutating func scanKey() throws(Malformed) -> Range<Int> {
            guard try nextSignificantByte() == UInt8(ascii: "\"") else { throw Malformed() }
            let key = try scanString()
            try expect(UInt8(ascii: ":"))
            return key
        }

        /// One value inside `depth` open arrays and objects.
        mutating func scanValue(depth: Int) throws(Malformed) -> Value {
            let byte = try nextSignificantByte()
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                try skipNested(depth: depth)
                return byte == UInt8(ascii: "{") ? .object : .array
            default:
                return try scanScalar(byte)
            }
        }

        /// A string, number or literal starting with `byte`.
        mutating func scanScalar(_ byte: UInt8) throws(Malformed) -> Value {
            switch byte {
            case UInt8(ascii: "\""):
                return .string(try scanString())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = position
                position += 1
                while position < text.endIndex, isNumberByte(text[position]) {
                    position += 1
                }
                return .number(start..<position)
            case UInt8(ascii: "t"):
                try scanLiteral(Literal.true)
                return .bool(true)
            case UInt8(ascii: "f"):
                try scanLiteral(Literal.false)
                return .bool(false)
            case UInt8(ascii: "n"):
                try scanLiteral(Literal.null)
                return .null
            default:
                throw Malformed()
            }
        }

        mutating func scanLiteral(_ literal: [UInt8]) throws(Malformed) {
            guard text.endIndex - position >= literal.count,
                  text[position..<(position + literal.count)].elementsEqual(literal) else { throw Malformed() }
            position += literal.count
        }

        /// The bytes between the quotes of the string starting at `position`. As in
        /// `JSONDecoder`'s scan, a backslash hides the next byte and `\u` the four after it,
        /// none of which may be a quote; everything else waits until the string is read.
        mutating func scanString() throws(Malformed) -> Range<Int> {
            position += 1
            let start = position
            while position < text.endIndex {
                switch text[position] {
                case UInt8(ascii: "\""):
                    let content = start..<position
                    position += 1
                    return content
                case UInt8(ascii: "\\"):
                    position += 1
                    guard position < text.endIndex else { throw Malformed() }
                    let escaped = text[position]
                    position += 1
                    if escaped == UInt8(ascii: "u") {
                        guard text.endIndex - position >= 4,
                              !text[position..<(position + 4)].contains(UInt8(ascii: "\"")) else { throw Malformed() }
                        position += 4
                    }
                default:
                    position += 1
                }
            }
            throw Malformed()
        }

        /// Walks the array or object at `position`, with everything in it, inside `depth`
        /// open ones; an explicit stack of what is open replaces recursion.
        mutating func skipNested(depth: Int) throws(Malformed) {
            var openObjects: [Bool] = []
            var opening = text[position]
            while true {
                // Open `opening`, then find the first value to read, or the close.
                guard depth + openObjects.count < maximumDepth else { throw Malformed() }
                let isObject = opening == UInt8(ascii: "{")
                openObjects.append(isObject)
                position += 1
                var expectsValue: Bool
                if try nextSignificantByte() == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    position += 1
                    openObjects.removeLast()
                    expectsValue = false
                } else {
                    if isObject { _ = try scanKey() }
                    expectsValue = true
                }
                // Read values and close containers until one opens or the outer one closes.
                while true {
                    if expectsValue {
                        let byte = try nextSignificantByte()
                        if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                            opening = byte
                            break
                        }
                        _ = try scanScalar(byte)
                        expectsValue = false
                    }
                    guard let innermostIsObject = openObjects.last else { return }
                    let close = innermostIsObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                    switch try nextSignificantByte() {
                    case UInt8(ascii: ","):
                        position += 1
                        if try nextSignificantByte() == close {
                            position += 1
                            openObjects.removeLast()
                        } else {
                            if innermostIsObject { _ = try scanKey() }
                            expectsValue = true
                        }
                    case close:
                        position += 1
                        openObjects.removeLast()
                    default:
                        throw Malformed()
                    }
                }
            }
        }
    }

    private enum Literal {
        static let `true` = Array("true".utf8)
        static let `false` = Array("false".utf8)
        static let null = Array("null".utf8)
    }

    // MARK: Strings

    /// The string whose bytes between the quotes are `range`, read as `JSONDecoder` reads
    /// it: the escapes `\" \\ \/ \b \f \n \r \t \uXXXX` (a high surrogate only followed by a
    /// low one), no raw control character, and valid UTF-8.
    static func string(_ range: Range<Int>, in text: ArraySlice<UInt8>) throws(Malformed) -> String {
        let raw = text[range]
        if isPlain(raw) {
            return String(decoding: raw, as: UTF8.self)
        }
        return String(decoding: try unescapedUTF8(raw), as: UTF8.self)
    }

    /// Whether the raw bytes of a string are its value as they stand: printable ASCII, no
    /// escape, as every identifier and most free text are.
    static func isPlain(_ raw: ArraySlice<UInt8>) -> Bool {
        raw.allSatisfy { $0 >= 0x20 && $0 < 0x80 && $0 != UInt8(ascii: "\\") }
    }

    /// The UTF-8 bytes of the string whose raw bytes are `raw`; they are valid UTF-8, so
    /// building a `String` from them repairs nothing.
    static func unescapedUTF8(_ raw: ArraySlice<UInt8>) throws(Malformed) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < raw.endIndex else { throw Malformed() }
                index += 2
                switch raw[index - 1] {
                case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "/"): output.append(UInt8(ascii: "/"))
                case UInt8(ascii: "b"): output.append(0x08)
                case UInt8(ascii: "f"): output.append(0x0C)
                case UInt8(ascii: "n"): output.append(0x0A)
                case UInt8(ascii: "r"): output.append(0x0D)
                case UInt8(ascii: "t"): output.append(0x09)
                case UInt8(ascii: "u"):
                    let first = try hexUnit(raw, at: index)
                    index += 4
                    var value = UInt32(first)
                    if UTF16.isLeadSurrogate(first) {
                        guard index + 1 < raw.endIndex, raw[index] == UInt8(ascii: "\\"), raw[index + 1] == UInt8(ascii: "u") else { throw Malformed() }
                        let second = try hexUnit(raw, at: index + 2)
                        guard UTF16.isTrailSurrogate(second) else { throw Malformed() }
                        index += 6
                        value = 0x10000 + ((UInt32(first) - 0xD800) << 10 | (UInt32(second) - 0xDC00))
                    }
                    guard let scalar = Unicode.Scalar(value) else { throw Malformed() }
                    output.append(contentsOf: scalar.utf8)
                default:
                    throw Malformed()
                }
            } else if byte < 0x20 {
                throw Malformed()
            } else if byte < 0x80 {
                output.append(byte)
                index += 1
            } else {
                let length = try utf8SequenceLength(raw, at: index)
                output.append(contentsOf: raw[index..<(index + length)])
                index += length
            }
        }
        return output
    }

    /// The four hexadecimal digits of a `\u` escape at `index`.
    private static func hexUnit(_ raw: ArraySlice<UInt8>, at index: Int) throws(Malformed) -> UInt16 {
        guard raw.endIndex - index >= 4 else { throw Malformed() }
        var value: UInt16 = 0
        for byte in raw[index..<(index + 4)] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Malformed()
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// The length of the well-formed UTF-8 sequence starting at `index` with a byte above
    /// 0x7F (the Unicode standard's table 3-7: no overlong form, no surrogate, nothing above
    /// U+10FFFF).
    private static func utf8SequenceLength(_ raw: ArraySlice<UInt8>, at index: Int) throws(Malformed) -> Int {
        let lead = raw[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw Malformed()
        }
        guard raw.endIndex - index >= length, secondRange.contains(raw[index + 1]) else { throw Malformed() }
        for offset in 2..<length where !(0x80...0xBF).contains(raw[index + offset]) {
            throw Malformed()
        }
        return length
    }

    // MARK: Numbers

    /// The number whose bytes are `range` as a `UInt64`, read as `JSONDecoder` reads one:
    /// JSON's number syntax; plain digits up to 2^64 − 1; otherwise (a sign, a fraction, an
    /// exponent) the value must be a whole number: `1e2` is 100, `1.0` is 1, `-0` is 0.
    static func uint64(_ range: Range<Int>, in text: ArraySlice<UInt8>) throws(Malformed) -> UInt64 {
        let number = text[range]
        guard isJSONNumber(number) else { throw Malformed() }
        if number.allSatisfy({ UInt8(ascii: "0")...UInt8(ascii: "9") ~= $0 }) {
            var value: UInt64 = 0
            for digit in number {
                let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
                let (sum, carry) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
                guard !overflow, !carry else { throw Malformed() }
                value = sum
            }
            return value
        }
        // As `JSONDecoder`: through the nearest Double, which must be a whole number in
        // range; at 2^53 and above, where a Double no longer holds every whole number,
        // through the decimal value instead (`decimalInteger`).
        guard let double = Double(String(decoding: number, as: UTF8.self)),
              let value = UInt64(exactly: double) else { throw Malformed() }
        if double < 0x1p53 {
            return value
        }
        guard let exact = decimalInteger(number) else { throw Malformed() }
        return exact
    }

    /// Whether `number` follows JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    static func isJSONNumber(_ number: ArraySlice<UInt8>) -> Bool {
        var index = number.startIndex
        func digits() -> Int {
            let start = index
            while index < number.endIndex, UInt8(ascii: "0")...UInt8(ascii: "9") ~= number[index] {
                index += 1
            }
            return index - start
        }
        if index < number.endIndex, number[index] == UInt8(ascii: "-") {
            index += 1
        }
        guard index < number.endIndex else { return false }
        if number[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            return false
        }
        if index < number.endIndex, number[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        }
        if index < number.endIndex, number[index] == UInt8(ascii: "e") || number[index] == UInt8(ascii: "E") {
            index += 1
            if index < number.endIndex, number[index] == UInt8(ascii: "+") || number[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard digits() > 0 else { return false }
        }
        return index == number.endIndex
    }

    /// The whole part of a valid JSON number as Foundation's `Decimal` parses it and then
    /// converts it to an integer, the way `JSONDecoder` reads integers of 2^53 and above
    /// written with a fraction or an exponent: a 128-bit significand (digits past its
    /// capacity dropped, each dropped whole digit adding one to the exponent), an exponent
    /// within −128...127, trailing zeros folded into the exponent, then the significand must
    /// fit 64 bits and the fraction is cut off. Nil when any of that fails.
    static func decimalInteger(_ number: ArraySlice<UInt8>) -> UInt64? {
        var significand = UInt128Parts()
        var exponent = 0
        var full = false
        var index = number.startIndex
        if number[index] == UInt8(ascii: "-") {
            return nil
        }
        while index < number.endIndex, let digit = digitValue(number[index]) {
            index += 1
            if !full, let next = significand.timesTenPlus(digit) {
                significand = next
                continue
            }
            full = true
            guard exponent < Int(Int8.max) else { return nil }
            exponent += 1
        }
        if index < number.endIndex, number[index] == UInt8(ascii: ".") {
            index += 1
            while index < number.endIndex, let digit = digitValue(number[index]) {
                index += 1
                guard !full else { continue }
                guard let next = significand.timesTenPlus(digit) else {
                    full = true
                    continue
                }
                significand = next
                guard exponent > Int(Int8.min) else { return nil }
                exponent -= 1
            }
        }
        if index < number.endIndex, number[index] == UInt8(ascii: "e") || number[index] == UInt8(ascii: "E") {
            index += 1
            var negative = false
            if index < number.endIndex, number[index] == UInt8(ascii: "+") || number[index] == UInt8(ascii: "-") {
                negative = number[index] == UInt8(ascii: "-")
                index += 1
            }
            var written = 0
            while index < number.endIndex, let digit = digitValue(number[index]) {
                index += 1
                written = written * 10 + Int(digit)
                guard written <= 2 * Int(Int8.max) else { return nil }
            }
            exponent += negative ? -written : written
            guard (Int(Int8.min)...Int(Int8.max)).contains(exponent) else { return nil }
        }
        if !significand.isZero {
            while exponent < Int(Int8.max), let tenth = significand.dividedByTenIfExact() {
                significand = tenth
                exponent += 1
            }
        }
        guard significand.high == 0 else { return nil }
        var value = significand.low
        if exponent < 0 {
            for _ in 0 ..< -exponent {
                value /= 10
            }
        } else {
            for _ in 0..<exponent {
                let (product, overflow) = value.multipliedReportingOverflow(by: 10)
                guard !overflow else { return nil }
                value = product
            }
        }
        return value
    }

    /// An unsigned 128-bit integer, as two halves.
    struct UInt128Parts {
        var high: UInt64 = 0
        var low: UInt64 = 0

        var isZero: Bool { high == 0 && low == 0 }

        /// self × 10 + digit, or nil past 2^128 − 1.
        func timesTenPlus(_ digit: UInt8) -> UInt128Parts? {
            let (lowCarry, lowProduct) = low.multipliedFullWidth(by: 10)
            let (highProduct, highOverflow) = high.multipliedReportingOverflow(by: 10)
            let (highSum, highCarry) = highProduct.addingReportingOverflow(lowCarry)
            let (lowSum, lowSumCarry) = lowProduct.addingReportingOverflow(UInt64(digit))
            let (highTotal, lastCarry) = highSum.addingReportingOverflow(lowSumCarry ? 1 : 0)
            guard !highOverflow, !highCarry, !lastCarry else { return nil }
            return UInt128Parts(high: highTotal, low: lowSum)
        }

        /// self ÷ 10 when the remainder is 0, else nil.
        func dividedByTenIfExact() -> UInt128Parts? {
            let (highQuotient, highRemainder) = high.quotientAndRemainder(dividingBy: 10)
            let (lowQuotient, remainder) = UInt64(10).dividingFullWidth((high: highRemainder, low: low))
            guard remainder == 0 else { return nil }
            return UInt128Parts(high: highQuotient, low: lowQuotient)
        }
    }

    private static func digitValue(_ byte: UInt8) -> UInt8? {
        UInt8(ascii: "0")...UInt8(ascii: "9") ~= byte ? byte - UInt8(ascii: "0") : nil
    }

    // MARK: Bytes

    /// JSON's whitespace: space, tab, line feed, carriage return.
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// The bytes `JSONDecoder`'s scan takes as part of a number once one has started.
    static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "e"), UInt8(ascii: "E"): return true
        default: return false
        }
    }
}

