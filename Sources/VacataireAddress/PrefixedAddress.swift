import Glibc

/// An IPv4 or IPv6 address with the prefix length of the network it sits in, as an operator
/// writes it: "198.51.100.100/24" or "2001:db8::100/64". The prefix length is required: it
/// decides the route the kernel adds with the address.
public struct PrefixedAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address family, which picks ARP or neighbour discovery.
    public enum Family: Sendable, Hashable {
        case ipv4
        case ipv6

        /// AF_INET or AF_INET6.
        var socketFamily: Int32 {
            switch self {
            case .ipv4: AF_INET
            case .ipv6: AF_INET6
            }
        }

        /// The longest prefix: 32 or 128.
        var bitCount: Int {
            switch self {
            case .ipv4: 32
            case .ipv6: 128
            }
        }
    }

    public let family: Family
    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]
    public let prefixLength: UInt8

    /// Parses "ADDRESS/LENGTH". Rejects what cannot float: no prefix length, a length out
    /// of range, an unspecified, loopback, multicast or broadcast address, a scope suffix.
    public init(_ text: String) throws(FloatingAddressError) {
        func failure(_ reason: String) -> FloatingAddressError {
            .unparsableAddress(text: text, reason: reason)
        }
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let addressText = String(parts[0])
        guard parts.count == 2 else {
            throw failure("it has no prefix length: write it as ADDRESS/LENGTH, e.g. 198.51.100.100/24 or 2001:db8::100/64")
        }
        guard !addressText.contains("%") else {
            throw failure("a scope (%INTERFACE) is not part of the address: the interface is given on its own")
        }
        if let bytes = Self.parse(addressText, family: .ipv4) {
            family = .ipv4
            self.bytes = bytes
        } else if let bytes = Self.parse(addressText, family: .ipv6) {
            family = .ipv6
            self.bytes = bytes
        } else {
            throw failure("\"\(addressText)\" is neither an IPv4 address (198.51.100.100) nor an IPv6 address (2001:db8::100)")
        }
        let lengthText = parts[1]
        guard !lengthText.isEmpty, lengthText.allSatisfy(\.isASCII), lengthText.allSatisfy(\.isNumber),
              lengthText.count <= 3, let length = Int(lengthText), (1...family.bitCount).contains(length)
        else {
            throw failure("the prefix length \"\(lengthText)\" must be a whole number from 1 to \(family.bitCount)")
        }
        prefixLength = UInt8(length)
        if let unusable = Self.unusableKind(family: family, bytes: bytes) {
            throw failure("\(addressText) is \(unusable) address, which cannot be moved between hosts")
        }
    }

    /// Builds one from bytes in network order (4 or 16 of them); nil for another count or
    /// a prefix length out of range.
    public init?(bytes: [UInt8], prefixLength: UInt8) {
        switch bytes.count {
        case 4: family = .ipv4
        case 16: family = .ipv6
        default: return nil
        }
        guard prefixLength >= 1, Int(prefixLength) <= family.bitCount else { return nil }
        self.bytes = bytes
        self.prefixLength = prefixLength
    }

    /// The address alone, in its usual text form ("2001:db8::100").
    public var addressText: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = bytes.withUnsafeBytes { raw in
            inet_ntop(family.socketFamily, raw.baseAddress, &buffer, socklen_t(buffer.count))
        }
        guard written != nil else { return bytes.map { String($0) }.joined(separator: ".") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// "ADDRESS/LENGTH", with the address in its usual text form.
    public var description: String {
        "\(addressText)/\(prefixLength)"
    }

    private static func parse(_ text: String, family: Family) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: family == .ipv4 ? 4 : 16)
        let parsed = bytes.withUnsafeMutableBytes { raw in
            inet_pton(family.socketFamily, text, raw.baseAddress)
        }
        return parsed == 1 ? bytes : nil
    }

    /// What kind of address cannot float ("a multicast"), or nil when this one can.
    private static func unusableKind(family: Family, bytes: [UInt8]) -> String? {
        switch family {
        case .ipv4:
            if bytes.allSatisfy({ $0 == 0 }) { return "the unspecified" }
            if bytes[0] == 127 { return "a loopback" }
            if (224...239).contains(bytes[0]) { return "a multicast" }
            if bytes.allSatisfy({ $0 == 255 }) { return "the broadcast" }
        case .ipv6:
            if bytes.allSatisfy({ $0 == 0 }) { return "the unspecified" }
            if bytes.dropLast().allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return "the loopback" }
            if bytes[0] == 0xFF { return "a multicast" }
        }
        return nil
    }
}
