import CAddress

/// Asks the link whether another host already holds a floating address, before this one
/// takes it: for IPv4 an ARP probe (RFC 5227: a request for the address from sender IP
/// 0.0.0.0, which the holder answers), for IPv6 a neighbour solicitation for the address
/// from :: to its solicited-node group (duplicate address detection), which the holder
/// answers with an advertisement. Frames this host sends, and any carrying the interface's
/// own hardware address, are never taken for an answer. Needs CAP_NET_RAW.
public enum DuplicateAddressProbe {
    /// Sends one probe and waits up to `timeout` for an answer. Returns the hardware address
    /// of the first host that answered, or nil when none did in time. Blocks for the whole
    /// timeout when nobody answers. Answers from `ignoring` (a peer known to be gone whose
    /// kernel may still hold the address) are not taken for one.
    public static func probe(_ floating: FloatingAddress, timeout: Duration, ignoring: Set<HardwareAddress> = []) throws(FloatingAddressError) -> HardwareAddress? {
        let attempt = AddressAttempt(operation: .probe, floating: floating)
        let (link, hardware) = try attempt.resolveEthernetInterface()
        let address = floating.address.bytes
        let etherType = floating.address.family == .ipv4 ? ETH_P_ARP : ETH_P_IPV6
        // Bound, and so receiving, before the probe leaves: an answer cannot come too early.
        let socket = try PacketSocket(interface: link, receiving: etherType, for: attempt)
        let deadline = ContinuousClock.now + timeout
        switch floating.address.family {
        case .ipv4:
            let probe = ARPPacket.probe(for: address, from: hardware)
            try socket.send(probe.frame, etherType: etherType, to: probe.ethernetDestination)
        case .ipv6:
            let probe = NeighbourDiscoveryPacket.probe(for: address, from: hardware)
            try socket.send(probe.frame, etherType: etherType, to: probe.ethernetDestination)
        }
        while let frame = try socket.receive(before: deadline) {
            guard !frame.outgoing else { continue }
            let holder = switch floating.address.family {
            case .ipv4: arpHolder(in: frame.bytes, of: address)
            case .ipv6: advertisedHolder(in: frame.bytes, of: address)
            }
            if let holder, holder != hardware, !ignoring.contains(holder) {
                return holder
            }
        }
        return nil
    }

    /// The sender of an ARP packet (a reply, or a request such as an announcement) that
    /// says it is `address`.
    static func arpHolder(in frame: [UInt8], of address: [UInt8]) -> HardwareAddress? {
        guard let packet = ARPPacket(frame: frame), packet.senderIP == address else { return nil }
        return packet.senderHardware
    }

    /// The advertiser of `address` in a neighbour advertisement: its target link-layer
    /// option, else the frame's Ethernet source.
    static func advertisedHolder(in frame: [UInt8], of address: [UInt8]) -> HardwareAddress? {
        guard let packet = NeighbourDiscoveryPacket(frame: frame), packet.target == address,
              case .advertisement = packet.message
        else { return nil }
        return packet.linkLayerAddress ?? packet.ethernetSource
    }
}
