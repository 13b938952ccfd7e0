import Foundation

/// An SNMP engine id (RFC 3411 SnmpEngineID): 5 to 32 octets, written in hex.
///
/// The agent is the authoritative engine of the SNMPv3 traps it sends, so a receiver must
/// know this id to accept them (`createUser -e ID ...` in snmptrapd.conf).
public struct SNMPEngineID: ConfigValue, Equatable, Sendable, CustomStringConvertible {
    public var octets: [UInt8]

    public init?(octets: [UInt8]) {
        guard (5...32).contains(octets.count) else { return nil }
        self.octets = octets
    }

    public static var expectation: String { "an engine id of 5 to 32 octets in hex, such as 0x80007ed9050102030405060708" }

    /// Reads `0x8000...` or `8000...`; colons and spaces between octets are allowed.
    public static func parse(_ text: String) -> Result<SNMPEngineID, ConfigValueError> {
        var digits = text.trimmingCharacters(in: .whitespaces).lowercased()
        if digits.hasPrefix("0x") { digits.removeFirst(2) }
        digits.removeAll { $0 == ":" || $0 == " " }
        guard digits.count % 2 == 0, digits.allSatisfy(\.isHexDigit) else {
            return .failure(.init("expected \(expectation)"))
        }
        var octets: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            guard let octet = UInt8(digits[index..<next], radix: 16) else { return .failure(.init("expected \(expectation)")) }
            octets.append(octet)
            index = next
        }
        guard let id = SNMPEngineID(octets: octets) else {
            return .failure(.init("expected 5 to 32 octets, this is \(octets.count)"))
        }
        return .success(id)
    }

    /// `0x` and lower-case hex, as snmptrapd.conf's `createUser -e` takes it.
    public var description: String {
        "0x" + octets.map { String(format: "%02x", $0) }.joined()
    }

    /// A new random id in the RFC 3411 format: our enterprise number with the high bit
    /// set (0x80007ed9, IANA's documentation number 32473), format 5 (octets), 8 random octets.
    public static func random() -> SNMPEngineID {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
        // 13 octets: always within 5...32.
        return SNMPEngineID(octets: [0x80, 0x00, 0x7e, 0xd9, 0x05] + random) ?? SNMPEngineID.fallback
    }

    private static let fallback = SNMPEngineID(uncheckedOctets: [0x80, 0x00, 0x7e, 0xd9, 0x05, 0, 0, 0, 0, 0, 0, 0, 1])

    private init(uncheckedOctets: [UInt8]) {
        octets = uncheckedOctets
    }
}
