import CAddress

/// Tells the hosts and switches of the link that a floating address now answers at this
/// interface's hardware address: for IPv4 a gratuitous ARP (a broadcast request whose sender
/// and target IP are the address), for IPv6 an unsolicited neighbour advertisement to all
/// nodes with the override flag. One call sends one frame from a packet socket bound to the
/// interface; how many to send and when is the caller's schedule. Needs CAP_NET_RAW.
public enum NeighbourAnnouncer {
    /// Sends one announcement. Call it once the address is added (`AddressTable.add`):
    /// hosts that then send to the address must find it here.
    public static func announce(_ floating: FloatingAddress) throws(FloatingAddressError) {
        let attempt = AddressAttempt(operation: .announce, floating: floating)
        let (link, hardware) = try attempt.resolveEthernetInterface()
        let socket = try PacketSocket(interface: link, receiving: nil, for: attempt)
        let bytes = floating.address.bytes
        switch floating.address.family {
        case .ipv4:
            let packet = ARPPacket.announcement(of: bytes, at: hardware)
            try socket.send(packet.frame, etherType: ETH_P_ARP, to: packet.ethernetDestination)
        case .ipv6:
            let packet = NeighbourDiscoveryPacket.announcement(of: bytes, at: hardware)
            try socket.send(packet.frame, etherType: ETH_P_IPV6, to: packet.ethernetDestination)
        }
    }
}
