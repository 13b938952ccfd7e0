import CAddress
import Glibc

/// An IPv6 neighbour discovery message (RFC 4861) in its Ethernet frame, in the two forms a
/// floating address sends, and read back from the wire:
/// - an unsolicited advertisement: from the address to all nodes (ff02::1), override flag
///   set, with the target link-layer address option, so that every host with an entry for
///   the address takes the new MAC;
/// - a duplicate address probe: a solicitation for the address from the unspecified address
///   (::) to its solicited-node group, which a host that holds it answers with an
///   advertisement to all nodes.
/// Hop limit 255 (receivers drop anything else) and the ICMPv6 checksum over the pseudo-header.
struct NeighbourDiscoveryPacket: Sendable, Hashable {
    enum Message: Sendable, Hashable {
        case solicitation
        case advertisement(router: Bool, solicited: Bool, override: Bool)
    }

    var ethernetSource: HardwareAddress
    var ethernetDestination: HardwareAddress
    var source: [UInt8]
    var destination: [UInt8]
    var message: Message
    var target: [UInt8]
    /// The source link-layer option of a solicitation, the target one of an advertisement.
    var linkLayerAddress: HardwareAddress?

    static let allNodes: [UInt8] = [0xFF, 0x02] + [UInt8](repeating: 0, count: 13) + [1]
    static let unspecified = [UInt8](repeating: 0, count: 16)
    static let hopLimit: UInt8 = 255

    /// ff02::1:ffXX:XXXX, the group of every address ending in the same 3 bytes.
    static func solicitedNodeGroup(of address: [UInt8]) -> [UInt8] {
        [0xFF, 0x02] + [UInt8](repeating: 0, count: 9) + [0x01, 0xFF] + address.suffix(3)
    }

    /// The unsolicited advertisement of `address` (16 bytes) at `hardware`.
    static func announcement(of address: [UInt8], at hardware: HardwareAddress) -> NeighbourDiscoveryPacket {
        NeighbourDiscoveryPacket(
            ethernetSource: hardware, ethernetDestination: HardwareAddress(ipv6Multicast: allNodes),
            source: address, destination: allNodes,
            message: .advertisement(router: false, solicited: false, override: true),
            target: address, linkLayerAddress: hardware)
    }

    /// The duplicate address probe for `address` (16 bytes) from `hardware`. It carries no
    /// link-layer option: RFC 4861 forbids one when the source is unspecified.
    static func probe(for address: [UInt8], from hardware: HardwareAddress) -> NeighbourDiscoveryPacket {
        let group = solicitedNodeGroup(of: address)
        return NeighbourDiscoveryPacket(
            ethernetSource: hardware, ethernetDestination: HardwareAddress(ipv6Multicast: group),
            source: unspecified, destination: group, message: .solicitation,
            target: address, linkLayerAddress: nil)
    }

    /// The whole Ethernet frame: Ethernet header, IPv6 header, ICMPv6 message.
    var frame: [UInt8] {
        let icmp = icmpMessage
        var bytes = ethernetDestination.bytes + ethernetSource.bytes + Self.bigEndian(UInt16(ETH_P_IPV6))
        bytes += [0x60, 0, 0, 0] + Self.bigEndian(UInt16(icmp.count)) + [UInt8(IPPROTO_ICMPV6), Self.hopLimit]
        bytes += source + destination + icmp
        return bytes
    }

    /// The ICMPv6 message with its checksum.
    var icmpMessage: [UInt8] {
        var bytes: [UInt8]
        var optionType: Int32
        switch message {
        case .solicitation:
            bytes = [UInt8(ND_NEIGHBOR_SOLICIT), 0, 0, 0, 0, 0, 0, 0]
            optionType = ND_OPT_SOURCE_LINKADDR
        case let .advertisement(router, solicited, override):
            // The flags word, in network order as <netinet/icmp6.h> defines its values.
            var flags: UInt32 = 0
            if router { flags |= UInt32(ND_NA_FLAG_ROUTER) }
            if solicited { flags |= UInt32(ND_NA_FLAG_SOLICITED) }
            if override { flags |= UInt32(ND_NA_FLAG_OVERRIDE) }
            bytes = [UInt8(ND_NEIGHBOR_ADVERT), 0, 0, 0] + withUnsafeBytes(of: flags) { Array($0) }
            optionType = ND_OPT_TARGET_LINKADDR
        }
        bytes += target
        if let linkLayerAddress {
            // Type, length in units of 8 bytes, the address.
            bytes += [UInt8(optionType), 1] + linkLayerAddress.bytes
        }
        let checksum = Self.checksum(source: source, destination: destination, icmp: bytes)
        bytes[2] = UInt8(checksum >> 8)
        bytes[3] = UInt8(checksum & 0xFF)
        return bytes
    }

    /// Reads an Ethernet frame; nil unless it is a valid neighbour solicitation or
    /// advertisement (IPv6 without extension headers, hop limit 255, code 0, right checksum).
    init?(frame: [UInt8]) {
        guard frame.count >= 14 + 40 + 24, Self.uint16(frame, at: 12) == UInt16(ETH_P_IPV6),
              frame[14] >> 4 == 6, frame[20] == UInt8(IPPROTO_ICMPV6), frame[21] == Self.hopLimit
        else { return nil }
        let length = Int(Self.uint16(frame, at: 18))
        guard length >= 24, frame.count >= 54 + length else { return nil }
        let source = Array(frame[22..<38])
        let destination = Array(frame[38..<54])
        let icmp = Array(frame[54..<(54 + length)])
        guard icmp[1] == 0, Self.checksum(source: source, destination: destination, icmp: icmp) == 0 else { return nil }
        let optionType: Int32
        switch Int32(icmp[0]) {
        case ND_NEIGHBOR_SOLICIT:
            message = .solicitation
            optionType = ND_OPT_SOURCE_LINKADDR
        case ND_NEIGHBOR_ADVERT:
            let flags = icmp[4]
            message = .advertisement(router: flags & 0x80 != 0, solicited: flags & 0x40 != 0, override: flags & 0x20 != 0)
            optionType = ND_OPT_TARGET_LINKADDR
        default:
            return nil
        }
        ethernetDestination = HardwareAddress(unchecked: Array(frame[0..<6]))
        ethernetSource = HardwareAddress(unchecked: Array(frame[6..<12]))
        self.source = source
        self.destination = destination
        target = Array(icmp[8..<24])
        linkLayerAddress = nil
        var offset = 24
        while offset + 2 <= icmp.count {
            let optionLength = Int(icmp[offset + 1]) * 8
            guard optionLength > 0, offset + optionLength <= icmp.count else { return nil }
            if Int32(icmp[offset]) == optionType, optionLength == 8 {
                linkLayerAddress = HardwareAddress(unchecked: Array(icmp[(offset + 2)..<(offset + 8)]))
            }
            offset += optionLength
        }
    }

    init(
        ethernetSource: HardwareAddress, ethernetDestination: HardwareAddress, source: [UInt8], destination: [UInt8],
        message: Message, target: [UInt8], linkLayerAddress: HardwareAddress?
    ) {
        self.ethernetSource = ethernetSource
        self.ethernetDestination = ethernetDestination
        self.source = source
        self.destination = destination
        self.message = message
        self.target = target
        self.linkLayerAddress = linkLayerAddress
    }

    /// The ICMPv6 checksum (RFC 4443 §2.3): the one's complement of the one's complement sum
    /// of the pseudo-header (source, destination, length, next header) and the message.
    /// Over a message whose checksum field is filled in, it is 0 when that field is right.
    static func checksum(source: [UInt8], destination: [UInt8], icmp: [UInt8]) -> UInt16 {
        let length = UInt32(icmp.count)
        let pseudoHeader = source + destination
            + [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
            + [0, 0, 0, UInt8(IPPROTO_ICMPV6)]
        var sum: UInt32 = 0
        for bytes in [pseudoHeader, icmp] {
            var index = 0
            while index < bytes.count {
                let high = UInt32(bytes[index]) << 8
                let low = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
                sum += high | low
                index += 2
            }
        }
        while sum >> 16 != 0 {
            sum = (sum & 0xFFFF) + (sum >> 16)
        }
        return ~UInt16(sum)
    }

    private static func bigEndian(_ value: UInt16) -> [UInt8] {
        [UInt8(value >> 8), UInt8(value & 0xFF)]
    }

    private static func uint16(_ bytes: [UInt8], at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
}
