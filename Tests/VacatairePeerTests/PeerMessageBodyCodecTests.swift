import Foundation
import VacataireTestSupport
import XCTest
@testable import VacatairePeer

/// `PeerMessageBody`'s codec against `JSONEncoder` and `JSONDecoder` (the reference,
/// PeerMessageBodyReference.swift): the same bytes written for every message, and for every
/// body, valid or hostile, the same message read or the same rejection. Deterministic.
final class PeerMessageBodyCodecTests: XCTestCase {
    private var dice = Dice(state: 0x424F_4459_434F_4445)

    // MARK: Writing

    func testWritesTheBytesJSONEncoderWrites() throws {
        var compared = 0
        for round in 0..<1_500 {
            let message = randomMessage(round: round)
            let written = PeerMessageBody(message).encoded
            let reference = try ReferenceBodyCodec.encode(message)
            XCTAssertEqual(String(decoding: written, as: UTF8.self), String(decoding: reference, as: UTF8.self))
            XCTAssertEqual(written, reference, "round \(round)")
            assertSameOutcome(written)
            compared += 1
        }
        for text in Self.awkwardTexts {
            var message = PeerFixtures.message(requestID: .max)
            message.payload.detail = text
            message.payload.ackComment = text
            message.cluster = text
            XCTAssertEqual(PeerMessageBody(message).encoded, try ReferenceBodyCodec.encode(message), text.debugDescription)
            compared += 1
        }
        print("peer body codec: \(compared) messages written byte for byte as JSONEncoder writes them")
    }

    func testEveryControlCharacterIsEscapedAsJSONEncoderEscapesIt() throws {
        for value in 0..<0x80 {
            var message = PeerFixtures.message()
            message.payload.detail = String(Unicode.Scalar(UInt8(value)))
            XCTAssertEqual(PeerMessageBody(message).encoded, try ReferenceBodyCodec.encode(message), "U+\(String(value, radix: 16))")
        }
        var message = PeerFixtures.message()
        message.payload.detail = "\n\t\u{1}/\""
        let written = String(decoding: PeerMessageBody(message).encoded, as: UTF8.self)
        XCTAssertTrue(written.contains(#""detail":"\n\t\u0001/\"""#), written)
    }

    func testAnAllFieldsMessageKeepsItsKeyOrderAndItsExtremes() throws {
        let message = PeerMessage(
            cluster: "web-pair", sender: "beta", bootID: .max, epoch: 0, sequence: .max, sentAtMilliseconds: .max,
            kind: .handoffRequest, requestID: .max,
            payload: PeerPayload(role: "master", state: "active", healthy: false, incidentID: "inc-1",
                                 ackAuthor: "alice", ackComment: "ok", detail: "d")
        )
        let written = String(decoding: PeerMessageBody(message).encoded, as: UTF8.self)
        XCTAssertEqual(written, #"{"ack_author":"alice","ack_comment":"ok","boot":18446744073709551615,"cluster":"web-pair","detail":"d","#
            + #""epoch":0,"healthy":false,"incident":"inc-1","kind":"handoff-request","node":"beta","request":18446744073709551615,"#
            + #""role":"master","sent_ms":18446744073709551615,"seq":18446744073709551615,"state":"active"}"#)
        XCTAssertEqual(Array(written.utf8), try ReferenceBodyCodec.encode(message))
    }

    // MARK: Reading what JSONDecoder read

    func testReadsValidBodiesInAnyLayoutAsJSONDecoderDoes() {
        var compared = 0
        for round in 0..<800 {
            let message = randomMessage(round: round)
            var members = members(of: message)
            if dice.chance(0.3) {
                members.append((Bool.random(using: &dice) ? "request" : "detail", "null"))
            }
            members.shuffle(using: &dice)
            let body = layout(members)
            assertSameOutcome(body)
            if case .success(let read) = outcome(body) {
                var expected = message
                // The first of two values counts, and null is no value.
                if members.first(where: { $0.key == "request" })?.value == "null" {
                    expected.requestID = nil
                }
                if members.first(where: { $0.key == "detail" })?.value == "null" {
                    expected.payload.detail = nil
                }
                XCTAssertEqual(PeerMessageBody(read).encoded, PeerMessageBody(expected).encoded, String(decoding: body, as: UTF8.self))
            } else {
                XCTFail("a valid layout was refused: \(String(decoding: body, as: UTF8.self))")
            }
            compared += 1
        }
        print("peer body codec: \(compared) reformatted valid bodies read as JSONDecoder reads them")
    }

    func testReadsWhatJSONDecoderReadsAndRefusesWhatItRefuses() {
        var bodies = Self.handWrittenBodies.map { Array($0.utf8) }
        let valid = PeerMessageBody(PeerFixtures.message(kind: .handoffRequest, requestID: 77, payload: PeerPayload(
            role: "master", state: "active", healthy: true, incidentID: "inc-9", ackAuthor: "bob", ackComment: "fine", detail: "é😀/\"\\\n"
        ))).encoded
        // Every truncation, and every body with one field's value replaced.
        bodies += (0..<valid.count).map { Array(valid.prefix($0)) }
        let base = members(of: PeerFixtures.message(requestID: 5, payload: PeerFixtures.payload))
        for index in base.indices {
            for replacement in Self.hostileValues {
                var members = base
                members[index].value = replacement
                bodies.append(Array(compact(members).utf8))
                members.append((base[index].key, replacement))
                bodies.append(Array(compact(base + [(base[index].key, replacement)]).utf8))
                bodies.append(Array(compact([(base[index].key, replacement)] + base).utf8))
            }
        }
        for replacement in Self.hostileValues {
            bodies.append(Array(compact(base + [("request", replacement)]).utf8))
            bodies.append(Array(compact(base + [("zz", replacement)]).utf8))
            bodies.append(Array(compact(base + [(replacement, "1")]).utf8))
        }
        for number in Self.numbers + randomLargeNumbers(count: 2_000) {
            bodies.append(Array(compact(base + [("request", number)]).utf8))
        }
        for depth in [1, 2, 100, 510, 511, 512, 513, 700] {
            let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            bodies.append(Array(compact(base + [("detail", nested)]).utf8))
            bodies.append(Array(compact(base + [("zz", nested)]).utf8))
            bodies.append(Array(nested.utf8))
            let objects = String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)
            bodies.append(Array(compact(base + [("detail", objects)]).utf8))
            bodies.append(Array(compact(base + [("zz", objects)]).utf8))
        }
        bodies.append(Array(compact(base).utf8.dropLast()) + Array(repeating: UInt8(ascii: "["), count: 1_300))
        bodies.append(Array(repeating: UInt8(ascii: "["), count: 1_460))
        bodies.append(Array(repeating: UInt8(ascii: "{"), count: 1_460))
        bodies += encodings(of: compact(base)) + encodings(of: compact(base + [("detail", #""😀 \ud83d\ude00""#)]))
        bodies += invalidUTF8(in: base)
        for _ in 0..<2_500 {
            bodies.append(mutated(valid))
        }
        for _ in 0..<1_000 {
            bodies.append(randomJSON(depth: 0, topLevel: true))
        }
        var accepted = 0
        var refusals: [String: Int] = [:]
        for body in bodies {
            assertSameOutcome(body)
            switch outcome(body) {
            case .success: accepted += 1
            case .failure(let rejection): refusals[String(rejection.detail.prefix(while: { $0 != "`" })).trimmingCharacters(in: .whitespaces), default: 0] += 1
            }
        }
        print("peer body codec: \(bodies.count) bodies read as JSONDecoder reads them: \(accepted) accepted, refused:",
              refusals.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", "))
    }

    func testDatagramsAreRefusedWithTheReasonsTheReferenceGave() throws {
        let decoder = PeerMessageDecoder(keyring: PeerFixtures.ringOne)
        let base = members(of: PeerFixtures.message(requestID: 5))
        var bodies = [compact(base), compact(base + [("epoch", "4611686018427387905")]), compact(base + [("kind", "\"nope\"")])]
        bodies += [compact(base.filter { $0.key != "epoch" } + [("epoch", "4611686018427387905")])]
        bodies += [compact(base.filter { $0.key != "role" } + [("role", "\"m\\u0000\"")]), "[]", "null", "{"]
        for body in bodies {
            let datagram = try XCTUnwrap(PeerWireFormat.seal(body: Array(body.utf8), key: PeerFixtures.keyOne))
            var expected = ReferenceBodyCodec.decode(Array(body.utf8))
            if case .success(var message) = expected {
                message.protocolVersion = 1
                expected = message.firstInvalidField().map { .failure(ReferenceRejection(detail: $0.description)) } ?? .success(message)
            }
            switch (expected, Result { () throws(PeerRejection) in try decoder.decode(datagram).message }) {
            case (.success(let reference), .success(let read)):
                XCTAssertEqual(read, reference)
            case (.failure(let reference), .failure(let rejection)):
                XCTAssertEqual(rejection.reason, .malformedBody)
                XCTAssertTrue(reference.allows(rejection.detail), "\(body): \(rejection.detail), expected \(reference.detail)")
            case (let reference, let read):
                XCTFail("\(body): read \(read), expected \(reference)")
            }
        }
    }

    func testOddButValidFormsAreReadAsJSONDecoderReadThem() throws {
        let base = members(of: PeerFixtures.message())
        func read(_ extra: [(key: String, value: String)], replacing: Set<String>? = nil) throws -> PeerMessage {
            let keys = replacing ?? Set(extra.map(\.key))
            let members = base.filter { !keys.contains($0.key) } + extra
            let body = Array(compact(members).utf8)
            assertSameOutcome(body)
            return try PeerMessageBody(decoding: body[...]).message
        }
        XCTAssertEqual(try read([("request", "1e2")]).requestID, 100)
        XCTAssertEqual(try read([("request", "1.0")]).requestID, 1)
        XCTAssertEqual(try read([("request", "-0")]).requestID, 0)
        XCTAssertEqual(try read([("request", "9007199254740993.5")]).requestID, 9_007_199_254_740_993)
        XCTAssertEqual(try read([("request", "null")]).requestID, nil)
        XCTAssertEqual(try read([("detail", "null")]).payload.detail, nil)
        XCTAssertEqual(try read([("epoch", "4"), ("epoch", "\"x\"")]).epoch, 4, "the first of two values counts")
        XCTAssertEqual(try read([("\\u0065poch", "5")], replacing: ["epoch"]).epoch, 5, "a key is compared once unescaped")
        XCTAssertEqual(try read([("detail", #""\ud83d\ude00\/\b\f\n\r\t\"\\\u00e9""#)]).payload.detail, "😀/\u{8}\u{c}\n\r\t\"\\é")
        XCTAssertThrowsError(try read([("request", "1.5")]))
        XCTAssertThrowsError(try read([("request", "01")]))
        XCTAssertThrowsError(try read([("request", "18446744073709551616")]))
        XCTAssertThrowsError(try read([("detail", #""\ud83d""#)]))
    }

    // MARK: Comparing

    private func outcome(_ body: [UInt8]) -> Result<PeerMessage, PeerRejection> {
        Result { () throws(PeerRejection) in try PeerMessageBody(decoding: body[...]).message }
    }

    private func assertSameOutcome(_ body: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        let shown = String(decoding: body.prefix(300), as: UTF8.self).debugDescription
        switch (ReferenceBodyCodec.decode(body), outcome(body)) {
        case (.success(let reference), .success(let read)):
            XCTAssertEqual(read, reference, shown, file: file, line: line)
            XCTAssertEqual(PeerMessageBody(read).encoded, PeerMessageBody(reference).encoded, "the same bytes in every field: \(shown)", file: file, line: line)
        case (.failure(let reference), .failure(let rejection)):
            XCTAssertEqual(rejection.reason, .malformedBody, file: file, line: line)
            XCTAssertTrue(reference.allows(rejection.detail), "\(shown): refused with \"\(rejection.detail)\", JSONDecoder's was \"\(reference.detail)\"", file: file, line: line)
        case (.success(let reference), .failure(let rejection)):
            XCTFail("\(shown): refused with \"\(rejection.detail)\", JSONDecoder read \(reference)", file: file, line: line)
        case (.failure(let reference), .success(let read)):
            XCTFail("\(shown): read \(read), JSONDecoder refused it: \"\(reference.detail)\"", file: file, line: line)
        }
    }

    // MARK: Bodies

    /// The members of `message`'s body as JSONEncoder writes them, in its key order.
    private func members(of message: PeerMessage) -> [(key: String, value: String)] {
        func quoted(_ text: String) -> String {
            String(decoding: (try? JSONEncoder().encode(text)) ?? Data(), as: UTF8.self)
        }
        let payload = message.payload
        let members: [(key: String, value: String?)] = [
            ("ack_author", payload.ackAuthor.map(quoted)), ("ack_comment", payload.ackComment.map(quoted)),
            ("boot", String(message.bootID)), ("cluster", quoted(message.cluster)), ("detail", payload.detail.map(quoted)),
            ("epoch", String(message.epoch)), ("healthy", payload.healthy ? "true" : "false"),
            ("incident", payload.incidentID.map(quoted)), ("kind", quoted(message.kind.rawValue)), ("node", quoted(message.sender)),
            ("request", message.requestID.map { String($0) }), ("role", quoted(payload.role)),
            ("sent_ms", String(message.sentAtMilliseconds)), ("seq", String(message.sequence)), ("state", quoted(payload.state)),
        ]
        return members.compactMap { member in member.value.map { (member.key, $0) } }
    }

    private func compact(_ members: [(key: String, value: String)]) -> String {
        "{" + members.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
    }

    /// `members` with whitespace wherever JSON allows it, keys and strings escaped in any
    /// of JSON's ways, and now and then a trailing comma.
    private func layout(_ members: [(key: String, value: String)]) -> [UInt8] {
        func space() -> String {
            guard dice.chance(0.4) else { return "" }
            return String((0..<(1 + dice.pick(3))).map { _ in [" ", "\t", "\n", "\r"][dice.pick(4)] })
        }
        var text = space() + "{"
        for (index, member) in members.enumerated() {
            text += space() + reescaped("\"\(member.key)\"") + space() + ":" + space() + reescaped(member.value) + space()
            if index < members.count - 1 || dice.chance(0.05) {
                text += ","
            }
        }
        return Array((text + space() + "}" + space()).utf8)
    }

    /// A string token with some characters written as escapes; other tokens as they are.
    private func reescaped(_ token: String) -> String {
        guard token.hasPrefix("\""), let text = try? JSONDecoder().decode(String.self, from: Data(token.utf8)) else { return token }
        var out = "\""
        for scalar in text.unicodeScalars {
            let plain = String(decoding: ((try? JSONEncoder().encode(String(scalar))) ?? Data()).dropFirst().dropLast(), as: UTF8.self)
            switch dice.pick(4) {
            case 0:
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16)
                    let padded = String(repeating: "0", count: 4 - hex.count) + hex
                    out += "\\u" + (dice.chance(0.5) ? padded.uppercased() : padded)
                }
            case 1 where scalar == "/":
                out += "\\/"
            default:
                out += plain
            }
        }
        return out + "\""
    }

    private func randomMessage(round: Int) -> PeerMessage {
        let numbers: [UInt64] = [0, 1, 9, 10, 99, 1 << 53, (1 << 53) + 1, 4_611_686_018_427_387_904, .max - 1, .max]
        func number() -> UInt64 {
            dice.chance(0.5) ? numbers[dice.pick(numbers.count)] : dice.next() >> UInt64(dice.pick(64))
        }
        func text() -> String {
            if dice.chance(0.3) { return Self.awkwardTexts[dice.pick(Self.awkwardTexts.count)] }
            return String(String.UnicodeScalarView((0..<dice.pick(24)).map { _ in Self.scalars[dice.pick(Self.scalars.count)] }))
        }
        let kinds = PeerMessageKind.allCases
        return PeerMessage(
            cluster: text(), sender: text(), bootID: number(), epoch: number(), sequence: number(),
            sentAtMilliseconds: number(), kind: kinds[round % kinds.count], requestID: dice.chance(0.5) ? number() : nil,
            payload: PeerPayload(
                role: text(), state: text(), healthy: dice.chance(0.5),
                incidentID: round & 1 == 0 ? text() : nil, ackAuthor: round & 2 == 0 ? text() : nil,
                ackComment: round & 4 == 0 ? text() : nil, detail: round & 8 == 0 ? text() : nil
            )
        )
    }

    /// Numbers that reach `JSONDecoder`'s slow paths: fractions, exponents and long
    /// mantissas around 2^53 and 2^64.
    private func randomLargeNumbers(count: Int) -> [String] {
        (0..<count).map { _ in
            let value = (UInt64(1) << 53) &+ dice.next() % (UInt64.max - (UInt64(1) << 53))
            var digits = String(value)
            if dice.chance(0.3) { digits = String(digits.prefix(1 + dice.pick(digits.count))) }
            let zeros = String(repeating: "0", count: dice.pick(30))
            let tail = dice.chance(0.5) ? String(dice.next() % 1_000) : ""
            var number = digits
            switch dice.pick(5) {
            case 0: number += "." + zeros + tail
            case 1: number += zeros + "e-\(zeros.count)"
            case 2:
                let point = 1 + dice.pick(digits.count)
                number = String(digits.prefix(point)) + "." + String(digits.dropFirst(point)) + zeros + tail + "e\(digits.count - point)"
            case 3: number = "0." + String(repeating: "0", count: dice.pick(3)) + digits + tail + "e\(digits.count + dice.pick(5) - 1)"
            default: number += "." + tail + "E+0"
            }
            return number
        }
    }

    /// The body in UTF-16 and UTF-32, with and without a byte order mark, and broken.
    private func encodings(of body: String) -> [[UInt8]] {
        let utf16 = Array(body.utf16)
        let scalars = body.unicodeScalars.map(\.value)
        let bigEndian16 = utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        let littleEndian16 = utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let bigEndian32 = scalars.flatMap { value in (0..<4).reversed().map { UInt8((value >> (8 * $0)) & 0xFF) } }
        let littleEndian32 = scalars.flatMap { value in (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
        let utf8 = Array(body.utf8)
        return [
            bigEndian16, littleEndian16, [0xFE, 0xFF] + bigEndian16, [0xFF, 0xFE] + littleEndian16, [0xFE, 0xFF] + littleEndian16,
            bigEndian32, littleEndian32, [0, 0, 0xFE, 0xFF] + bigEndian32, [0xFE, 0xFF, 0, 0] + littleEndian32,
            [0xFF, 0xFE, 0, 0] + littleEndian32, Array(bigEndian16.dropLast()), littleEndian16 + [0x00, 0xD8],
            littleEndian16 + [0x00, 0xDC], bigEndian32 + [0, 0x11, 0, 0], littleEndian32 + [0, 0xD8, 0, 0], Array(littleEndian32.dropLast()),
            [0xEF, 0xBB, 0xBF] + utf8, [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + utf8, [0x20, 0xEF, 0xBB, 0xBF] + utf8, [0xEF, 0xBB, 0xBF],
            [0xEF, 0xBB], [0x7B, 0x00], [0x00, 0x7B], [0x00, 0x7B, 0x00], [0x00], [0x00, 0x00, 0x00, 0x7B],
        ]
    }

    /// Ill-formed UTF-8 and raw control characters in a key, a known string and an unknown one.
    private func invalidUTF8(in base: [(key: String, value: String)]) -> [[UInt8]] {
        let sequences: [[UInt8]] = [
            [0xFF], [0xC3], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF], [0x80], [0xBF], [0xE2, 0x82],
            [0xF0, 0x9F, 0x98], [0xC3, 0x5C, 0x6E], [0x00], [0x09], [0x0A], [0x1F], [0x7F], [0xC2, 0x80], [0xEF, 0xBF, 0xBF],
            [0xF4, 0x8F, 0xBF, 0xBF], [0xE2, 0x80, 0xA8],
        ]
        let prefix = Array(compact(base).utf8.dropLast())
        return sequences.flatMap { sequence -> [[UInt8]] in
            let string = [UInt8(ascii: "\"")] + Array("a".utf8) + sequence + Array("b".utf8) + [UInt8(ascii: "\"")]
            let escaped = [UInt8(ascii: "\"")] + sequence + Array("\\n".utf8) + [UInt8(ascii: "\"")]
            return [
                prefix + Array(",\"detail\":".utf8) + string + [UInt8(ascii: "}")],
                prefix + Array(",\"detail\":".utf8) + escaped + [UInt8(ascii: "}")],
                prefix + Array(",\"zz\":".utf8) + string + [UInt8(ascii: "}")],
                prefix + Array(",".utf8) + string + Array(":1}".utf8),
                prefix + Array(",".utf8) + escaped + Array(":1}".utf8),
            ]
        }
    }

    private func mutated(_ body: [UInt8]) -> [UInt8] {
        var text = body
        for _ in 0..<(1 + dice.pick(4)) where !text.isEmpty {
            let index = dice.pick(text.count)
            switch dice.pick(4) {
            case 0: text[index] = UInt8(truncatingIfNeeded: dice.next())
            case 1: text.remove(at: index)
            case 2: text.insert(Self.jsonBytes[dice.pick(Self.jsonBytes.count)], at: index)
            default: text.insert(contentsOf: Self.jsonBytes.shuffled(using: &dice).prefix(dice.pick(6)), at: index)
            }
        }
        return text
    }

    /// Random JSON-like text, mostly valid, sometimes an object with the body's keys.
    private func randomJSON(depth: Int, topLevel: Bool = false) -> [UInt8] {
        let keys = ["cluster", "node", "boot", "epoch", "seq", "sent_ms", "kind", "request", "role", "state", "healthy",
                    "incident", "ack_author", "ack_comment", "detail", "x", "", "\\u0063luster"]
        let values = ["\"web-pair\"", "\"beta\"", "\"heartbeat\"", "\"master\"", "\"active\"", "true", "false", "null", "3", "0",
                      "-1", "1e3", "2.5", "\"\\u00e9\"", "\"a\\\"b\"", "18446744073709551615", "\"ack\""]
        switch topLevel ? 0 : (depth > 5 ? 2 : dice.pick(3)) {
        case 0:
            let count = topLevel ? 8 + dice.pick(10) : dice.pick(5)
            let members = (0..<count).map { _ in
                "\"\(keys[dice.pick(keys.count)])\":" + String(decoding: randomJSON(depth: depth + 1), as: UTF8.self)
            }
            return Array("{\(members.joined(separator: ","))}".utf8)
        case 1:
            let elements = (0..<dice.pick(4)).map { _ in String(decoding: randomJSON(depth: depth + 1), as: UTF8.self) }
            return Array("[\(elements.joined(separator: ","))]".utf8)
        default:
            return Array(values[dice.pick(values.count)].utf8)
        }
    }

    private static let jsonBytes = Array("{}[]\":,0123456789-+.eEtrufalsn \\u/bfnrt\u{7F}".utf8) + [0x00, 0x09, 0xC3, 0xA9, 0xF0, 0xED, 0xFF]

    /// Scalars random texts are made of: every ASCII one, C1 controls, separators,
    /// non-ASCII letters, combining marks, emoji, the byte order mark, the last scalar.
    private static let scalars: [Unicode.Scalar] = (0..<0x80).map { Unicode.Scalar(UInt8($0)) }
        + ["\u{80}", "\u{85}", "\u{9F}", "\u{A0}", "é", "ß", "\u{301}", "€", "中", "\u{2028}", "\u{2029}", "\u{FEFF}",
           "\u{FFFD}", "😀", "\u{200D}", "\u{10FFFF}", "\"", "\\", "/", "/", "\"", "\\"]

    private static let awkwardTexts = [
        "", "plain", "\"quoted\"", "back\\slash", "a/b//c", "</script>", "line\nbreak\r\n", "tab\there", "\u{0}\u{1}\u{1F}\u{7F}",
        "\u{8}\u{C}\u{B}", "é€😀", "👨‍👩‍👧‍👦", "e\u{301}", "\u{2028}\u{2029}", "\u{FEFF}bom", "\u{10FFFF}", "\\u0041", "\\\"", "\\\\",
        String(repeating: "\"\\", count: 100),
    ]

    /// Values that are not what a field holds, or not JSON, or JSON at its edges.
    private static let hostileValues = [
        "\"x\"", "\"\"", "1", "0", "-1", "1.5", "1e2", "true", "false", "null", "[]", "{}", "[1,{\"a\":[]}]", "{\"a\":1,}", "[1,]",
        "\"heartbeat\"", "\"nope\"", "\"\\u0068eartbeat\"", "\"heartbeat \"", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\U0041\"",
        "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83dx\"", "\"\\ud83d\\u0041\"", "\"\\ude00\\ud83d\"", "\"\\ud83d\\ude00\"", "\"\\u0000\"",
        "\"\\uabc\\\"", "\"a\tb\"", "\"\\/\"", "18446744073709551615", "18446744073709551616", "01", "-", "1.", ".5", "+1", "1e",
        "tru", "nulll", "truex", "1x", "[,]", "{,}", "[1 2]", "{\"a\" 1}", "{\"a\":}", "{1:2}", "\"unterminated", "\"\\",
    ]

    private static let numbers = [
        "0", "-0", "0.0", "-0.0", "1", "1.0", "1.00000000000000001", "1e2", "1E2", "1e+2", "1e-0", "1E+0", "100e-2", "10e-1",
        "0.1e1", "0.5e1", "1.5e1", "123e-2", "1230e-1", "1.5", "0.0000001", "-1", "-5e-1", "-0e5", "-0.0e-0", "01", "00", "-00",
        "00.5", "1.", ".1", "+1", "1e", "1e+", "1.e5", "1e5.0", "1.0.5", "1-2", "1+2", "2e1e1", "10.0-1", "0-", "0e", "-0.", "-",
        "1e400", "1E400", "-1e400", "1e-400", "-1e-400", "5e-324", "2e-324", "0e99999", "0e-99999",
        "18446744073709551615", "18446744073709551616", "18446744073709551615.0", "1.8446744073709551615e19",
        "1.8446744073709551616e19", "184467440737095516150e-1", "18446744073709551614.9", "18446744073709549568.5",
        "18446744073709549568.9999999", "1844674407370954956.89e1", "9007199254740992", "9007199254740993", "9007199254740993.0",
        "9007199254740993.5", "9007199254740993.000", "9007199254740993.0000", "9007199254740993e0",
        "9007199254740993.00000000000000000000000000000000000001", "90071992547409930000000000000000000000000e-25",
        "10000000000000000000.0", "1000000000000000000e1", "1e19", "1e20", "100000000000000000000000000000000000000000000e-26",
        "123456789012345678901234567890", "4611686018427387905.5", "0." + String(repeating: "0", count: 130) + "9007199254740993e146",
        "9007199254740993" + String(repeating: "0", count: 130) + "e-130", "9007199254740993e" + String(repeating: "0", count: 300) + "0",
        "1e254", "1e255", "1e-255", "90071992547409930e-1", "9.007199254740993e15",
    ]

    /// Whole bodies, mostly refused, each for one reason.
    private static let handWrittenBodies = [
        "", " ", "{", "}", "{}", "{ }", "[]", "null", "\"x\"", "1", "true", "{,}", "{\"a\"}", "{\"a\":}", "{\"a\" 1}",
        "{\"a\":1,,\"b\":2}", "{,\"a\":1}", "{\"a\":1}x", "{\"a\":1}}", "{\"a\":1} {}", "{\"a\":1}\u{0}", "{\"a\":1}\n\t\r ",
        "{1:1}", "{'a':1}", "{\"a\":1,}", " \t\n\r{\"a\":1}", "{\u{B}\"a\":1}", "{\u{C}\"a\":1}", "{\u{A0}\"a\":1}",
        "{\"zz\":1,\"yy\":2,\"xx\":3}", "{\"cluster\":\"c\",\"a\":1,\"b\":2}", "{\"\":1}", "{\"\\u0000\":1}", "{\"été\":1}",
        "{\"" + String(repeating: "k", count: 40) + "\":1}", "{\"ad\\nmin\\u001b[31m\":1}", "{\"a\":1,\"a\":2}",
        "{\"cluster\":\"c\",\"cluster\":5}", "{\"cluster\":5,\"cluster\":\"c\"}", "{\"\\u0063luster\":1}", "{\"clu\\ster\":1}",
        "{\"cluster\":\"c\",\"\\ud800\":1}", "{\"cluster\":\"c\",\"zz\":1,\"\\x\":2}",
    ]
}
