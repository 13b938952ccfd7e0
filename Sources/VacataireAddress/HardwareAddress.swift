/// An Ethernet (MAC) address: the interface's own, or the one of a host that answered a
/// duplicate probe. Its text is the usual lower-case "02:00:00:00:00:03".
public struct HardwareAddress: Sendable, Hashable, CustomStringConvertible {
    /// The six bytes, in the order they go on the wire.
    public let bytes: [UInt8]

    public static let broadcast = HardwareAddress(unchecked: [UInt8](repeating: 0xFF, count: 6))
    public static let zero = HardwareAddress(unchecked: [UInt8](repeating: 0, count: 6))

    /// Nil unless `bytes` has six bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 6 else { return nil }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The Ethernet group address of an IPv6 multicast address: 33:33 and its last 4 bytes.
    init(ipv6Multicast address: [UInt8]) {
        bytes = [0x33, 0x33] + address.suffix(4)
    }

    public var description: String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: ":")
    }
}
