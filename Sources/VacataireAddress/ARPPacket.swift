import CAddress

/// An Ethernet ARP packet for IPv4 (RFC 826), in the two forms a floating address sends,
/// and read back from the wire:
/// - an announcement (a gratuitous ARP): a broadcast request whose sender and target IP are
///   both the address, so that every host with an entry for it takes the new sender MAC;
/// - a probe (RFC 5227): a broadcast request for the address from sender IP 0.0.0.0, which
///   a host that holds the address answers without learning anything from it.
struct ARPPacket: Sendable, Hashable {
    var operation: UInt16
    var ethernetSource: HardwareAddress
    var ethernetDestination: HardwareAddress
    var senderHardware: HardwareAddress
    var senderIP: [UInt8]
    var targetHardware: HardwareAddress
    var targetIP: [UInt8]

    /// Ethernet's smallest frame without its checksum: shorter frames are padded to it.
    static let minimumFrameLength = 60

    /// The announcement of `address` (4 bytes) at `hardware`. The target hardware address
    /// is zero, as RFC 5227 asks of announcements.
    static func announcement(of address: [UInt8], at hardware: HardwareAddress) -> ARPPacket {
        ARPPacket(
            operation: UInt16(ARPOP_REQUEST), ethernetSource: hardware, ethernetDestination: .broadcast,
            senderHardware: hardware, senderIP: address, targetHardware: .zero, targetIP: address)
    }

    /// The probe for `address` (4 bytes) from `hardware`: sender IP 0.0.0.0.
    static func probe(for address: [UInt8], from hardware: HardwareAddress) -> ARPPacket {
        ARPPacket(
            operation: UInt16(ARPOP_REQUEST), ethernetSource: hardware, ethernetDestination: .broadcast,
            senderHardware: hardware, senderIP: [0, 0, 0, 0], targetHardware: .zero, targetIP: address)
    }

    /// The whole Ethernet frame, padded to the minimum length.
    var frame: [UInt8] {
        var bytes = ethernetDestination.bytes + ethernetSource.bytes + Self.bigEndian(UInt16(ETH_P_ARP))
        bytes += Self.bigEndian(UInt16(ARPHRD_ETHER)) + Self.bigEndian(UInt16(ETH_P_IP))
        bytes += [6, 4] + Self.bigEndian(operation)
        bytes += senderHardware.bytes + senderIP + targetHardware.bytes + targetIP
        bytes += [UInt8](repeating: 0, count: max(0, Self.minimumFrameLength - bytes.count))
        return bytes
    }

    /// Reads an Ethernet frame; nil unless it is an Ethernet/IPv4 ARP packet.
    init?(frame: [UInt8]) {
        guard frame.count >= 42,
              Self.uint16(frame, at: 12) == UInt16(ETH_P_ARP),
              Self.uint16(frame, at: 14) == UInt16(ARPHRD_ETHER),
              Self.uint16(frame, at: 16) == UInt16(ETH_P_IP),
              frame[18] == 6, frame[19] == 4
        else { return nil }
        ethernetDestination = HardwareAddress(unchecked: Array(frame[0..<6]))
        ethernetSource = HardwareAddress(unchecked: Array(frame[6..<12]))
        operation = Self.uint16(frame, at: 20)
        senderHardware = HardwareAddress(unchecked: Array(frame[22..<28]))
        senderIP = Array(frame[28..<32])
        targetHardware = HardwareAddress(unchecked: Array(frame[32..<38]))
        targetIP = Array(frame[38..<42])
    }

    init(
        operation: UInt16, ethernetSource: HardwareAddress, ethernetDestination: HardwareAddress,
        senderHardware: HardwareAddress, senderIP: [UInt8], targetHardware: HardwareAddress, targetIP: [UInt8]
    ) {
        self.operation = operation
        self.ethernetSource = ethernetSource
        self.ethernetDestination = ethernetDestination
        self.senderHardware = senderHardware
        self.senderIP = senderIP
        self.targetHardware = targetHardware
        self.targetIP = targetIP
    }

    private static func bigEndian(_ value: UInt16) -> [UInt8] {
        [UInt8(value >> 8), UInt8(value & 0xFF)]
    }

    private static func uint16(_ bytes: [UInt8], at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
}
