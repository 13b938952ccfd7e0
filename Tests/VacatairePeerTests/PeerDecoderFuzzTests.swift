import Foundation
import VacataireTestSupport
import XCTest
@testable import VacatairePeer

/// The decoder as a fuzz target (Docs/peer-protocol.md): thousands of random and mutated datagrams,
/// none of which may crash it, and only the unmodified valid ones may be accepted.
///
/// Deterministic: set VACATAIRE_FUZZ_SEED to replay another run's seed.
final class PeerDecoderFuzzTests: XCTestCase {
    private var generator = Dice(state: 0)

    override func setUp() {
        let seed = ProcessInfo.processInfo.environment["VACATAIRE_FUZZ_SEED"].flatMap(UInt64.init) ?? 0x5641_4341_5441_4952
        generator = Dice(state: seed)
        print("peer fuzz seed: \(seed)")
    }

    func testMutatedAndRandomDatagramsAreRejectedWithAReasonAndValidOnesAccepted() throws {
        var validator = PeerFixtures.validator(keyring: PeerFixtures.keyring([PeerFixtures.keyOne, PeerFixtures.keyTwo], active: 1))
        var sender = PeerSender(identity: PeerFixtures.beta, bootID: 12, keyring: PeerFixtures.ringOne)
        var fed: UInt64 = 0
        var reasonsSeen: Set<PeerRejectionReason> = []
        let rounds = 200
        for round in 0..<rounds {
            let original = try sender.seal(
                PeerMessageKind.allCases[round % PeerMessageKind.allCases.count], epoch: UInt64(round / 10),
                payload: randomPayload(), requestID: UInt64(round), now: PeerFixtures.now + UInt64(round)
            )
            var mutants: [[UInt8]] = []
            for _ in 0..<10 { mutants.append(flipBits(of: original)) }
            for _ in 0..<3 { mutants.append(Array(original.prefix(Int.random(in: 0..<original.count, using: &generator)))) }
            for _ in 0..<2 { mutants.append(original + randomBytes(count: Int.random(in: 1...64, using: &generator))) }
            for _ in 0..<3 { mutants.append(randomDatagram()) }
            for _ in 0..<3 { mutants.append(signed(randomJSON(depth: 0))) }
            mutants.append(signed(structurallyBroken(body(of: original))))
            mutants.append(signed(Array(repeating: UInt8(ascii: "["), count: 1_400)))
            for mutant in mutants where mutant != original {
                fed += 1
                do {
                    let accepted = try validator.validate(mutant, now: PeerFixtures.now + UInt64(round))
                    XCTFail("round \(round): a modified datagram was accepted: \(accepted)")
                } catch {
                    reasonsSeen.insert(error.reason)
                }
            }
            fed += 1
            let message = try validator.validate(original, now: PeerFixtures.now + UInt64(round))
            XCTAssertEqual(message.sequence, UInt64(round + 1))
        }
        XCTAssertEqual(validator.counters.accepted, UInt64(rounds))
        XCTAssertEqual(validator.counters.accepted + validator.counters.totalRejected, fed, "every datagram is counted once")
        XCTAssertGreaterThan(fed, 4_000)
        for reason in [PeerRejectionReason.oversized, .truncated, .trailingBytes, .badMagic, .unsupportedVersion, .unknownKey, .badMAC, .malformedBody] {
            XCTAssertTrue(reasonsSeen.contains(reason), "the fuzzer reached \(reason)")
        }
        print("peer fuzz: \(fed) datagrams, \(validator.counters.accepted) accepted, rejected by reason:",
              validator.counters.byReason.filter { $0.count > 0 }.map { "\($0.reason)=\($0.count)" }.joined(separator: " "))
    }

    func testSignedBytewiseMutationsOfABodyNeverCrashAndStayWithinBounds() throws {
        let decoder = PeerMessageDecoder(keyring: PeerFixtures.ringOne)
        let original = try PeerFixtures.encode(PeerFixtures.message(kind: .ack, requestID: 9, payload: randomPayload()))
        var decoded = 0
        for _ in 0..<2_000 {
            var text = body(of: original)
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<text.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: text[index] = UInt8.random(in: 0...255, using: &generator)
                case 1: text.remove(at: index)
                default: text.insert(Self.jsonBytes.randomElement(using: &generator) ?? 0, at: index)
                }
            }
            do {
                let (message, _) = try decoder.decode(signed(text))
                XCTAssertNil(message.firstInvalidField(), "a decoded message is always within bounds")
                decoded += 1
            } catch {
                XCTAssertEqual(error.reason, .malformedBody, error.detail)
            }
        }
        print("peer fuzz: 2000 signed body mutations, \(decoded) still valid messages (e.g. a changed digit)")
    }

    // MARK: Generators

    private static let jsonBytes = Array("{}[]\":,0123456789-+.eEtrufalsn \\u".utf8)

    private func randomBytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    private func flipBits(of datagram: [UInt8]) -> [UInt8] {
        var copy = datagram
        for _ in 0..<Int.random(in: 1...8, using: &generator) {
            let index = Int.random(in: 0..<copy.count, using: &generator)
            copy[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &generator)
        }
        return copy
    }

    /// Random bytes up to 4 KiB; half of them behind a plausible header.
    private func randomDatagram() -> [UInt8] {
        let length = Int.random(in: 0...4_096, using: &generator)
        var bytes = randomBytes(count: length)
        if Bool.random(using: &generator), length >= 8 {
            let bodyLength = length - 40
            bytes.replaceSubrange(0..<8, with: Array("VAC".utf8) + [1, 0, UInt8.random(in: 0...3, using: &generator),
                                                                  UInt8(truncatingIfNeeded: max(bodyLength, 0) >> 8),
                                                                  UInt8(truncatingIfNeeded: max(bodyLength, 0))])
        }
        return bytes
    }

    /// A body framed and signed with key 1, as if a peer with the key sent garbage.
    private func signed(_ body: [UInt8]) -> [UInt8] {
        PeerWireFormat.seal(body: Array(body.prefix(PeerWireFormat.maximumBodyBytes)), key: PeerFixtures.keyOne) ?? []
    }

    private func body(of datagram: [UInt8]) -> [UInt8] {
        Array(datagram[8..<(datagram.count - 32)])
    }

    /// The valid body with a field removed, added, or given the wrong type: never valid.
    private func structurallyBroken(_ body: [UInt8]) -> [UInt8] {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else { return [] }
        let required = ["cluster", "node", "boot", "epoch", "seq", "sent_ms", "kind", "role", "state", "healthy"]
        let field = required.randomElement(using: &generator) ?? "node"
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: object[field] = nil
        case 1: object["x-\(UInt8.random(in: 0...255, using: &generator))"] = 1
        default: object[field] = [["nested": field]]
        }
        return (try? Array(JSONSerialization.data(withJSONObject: object))) ?? []
    }

    private func randomJSON(depth: Int) -> [UInt8] {
        let keys = ["cluster", "node", "boot", "epoch", "seq", "sent_ms", "kind", "request", "role", "state", "healthy", "x", ""]
        let choice = depth > 6 ? Int.random(in: 2..<8, using: &generator) : Int.random(in: 0..<8, using: &generator)
        switch choice {
        case 0:
            let members = (0..<Int.random(in: 0...8, using: &generator)).map { _ in
                "\"\(keys.randomElement(using: &generator) ?? "")\":" + String(decoding: randomJSON(depth: depth + 1), as: UTF8.self)
            }
            return Array("{\(members.joined(separator: ","))}".utf8)
        case 1:
            let elements = (0..<Int.random(in: 0...6, using: &generator)).map { _ in String(decoding: randomJSON(depth: depth + 1), as: UTF8.self) }
            return Array("[\(elements.joined(separator: ","))]".utf8)
        case 2: return Array(String(Int64.random(in: .min ... .max, using: &generator)).utf8)
        case 3: return Array(["1e400", "-0", "18446744073709551616", "1.5", "0x10", "NaN", "00"].randomElement(using: &generator).map { Array($0.utf8) } ?? [])
        case 4: return Array("\"\\u\(String(UInt16.random(in: 0...0xFFFF, using: &generator), radix: 16))\\ud800 \(UInt32.random(in: 0...9, using: &generator))\"".utf8)
        case 5: return Array((Bool.random(using: &generator) ? "true" : "null").utf8)
        case 6: return [UInt8(ascii: "\"")] + randomBytes(count: Int.random(in: 0...20, using: &generator)) + [UInt8(ascii: "\"")]
        default: return Array(["\"heartbeat\"", "\"beta\"", "\"web-pair\"", "false"].randomElement(using: &generator).map { Array($0.utf8) } ?? [])
        }
    }

    private func randomPayload() -> PeerPayload {
        let texts = ["", "disk full", "é€😀 mixed \"quotes\" \\ and /slashes/", "line one\nline two\ttabbed"]
        return PeerPayload(
            role: Bool.random(using: &generator) ? "master" : "standby",
            state: ["active", "standby", "failed", "taking-over"].randomElement(using: &generator) ?? "active",
            healthy: Bool.random(using: &generator),
            incidentID: Bool.random(using: &generator) ? "inc-\(UInt16.random(in: 0...999, using: &generator))" : nil,
            ackAuthor: Bool.random(using: &generator) ? "alice (uid 1000)" : nil,
            ackComment: texts.randomElement(using: &generator),
            detail: texts.randomElement(using: &generator)
        )
    }
}
